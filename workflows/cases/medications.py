"""Medications the screening could not identify: what coordinators record them to be, and the
names no screening knew, for whoever keeps the rule data.

A coordinator's identification is stored (``MedicationIdentification``, keyed by the name
exactly as typed) and the case goes back through the pipeline, which screens it again with
every identification of the case (``identifications_for``). Each screening also notes the
names it could not identify (``record_unidentified``), once per case and normalised name, so
the admins' page counts them in SQL.

Plain Python: no Flask. The rule data is loaded on first use only (the web process needs it
for the identification form, not for every page).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, union_all
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import UnaryExpression

from workflows.cases.casework import Action, S, _require_role
from workflows.cases.lifecycle import TransitionNotAllowed, transition
from workflows.cases.models import (
    Case,
    MedicationIdentification,
    UnidentifiedMedication,
    UnidentifiedNameTotal,
)
from workflows.platform import metrics
from workflows.platform.after_commit import call_after_commit
from workflows.platform.orm import utcnow
from workflows.screening.normalise import fold, tokens
from workflows.staff.models import Role, StaffUser

if TYPE_CHECKING:
    from workflows.screening import RuleSet

__all__ = [
    "IDENTIFIABLE_STATES",
    "Family",
    "InvalidIdentification",
    "Reading",
    "Recorded",
    "UnidentifiedName",
    "identifications_for",
    "identifications_for_cases",
    "identify_medication",
    "family_labels",
    "ingredient_families",
    "latest_identifications",
    "name_key",
    "readings",
    "record_unidentified",
    "unidentified_names",
]

# A routed or assigned case goes back through screening with the new reading; a case waiting
# on the patient, waitlisted or closed is left as it is.
IDENTIFIABLE_STATES = (S.ROUTED, S.ASSIGNED)
MAX_INGREDIENT_LENGTH = 100
_SEPARATORS = re.compile(r"[,;\n]+")


class InvalidIdentification(ValueError):
    """A submission the service refuses; ``field`` names the form field to show it on."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def name_key(text: str) -> str:
    """The form unidentified names are grouped by: folded, spaces collapsed."""
    return " ".join(fold(text).split())


@dataclass(frozen=True)
class Family:
    """One flagged family of the rule data and its ingredients, for the identification form."""

    key: str
    label: str
    ingredients: tuple[str, ...]


@cache
def _rules() -> RuleSet:
    """The rule data without the drug vocabulary: the form needs the ingredients, their
    families and the rule data's own names, and the web process stays under its memory
    target (the vocabulary alone is some 20 MB; the worker, which screens, loads it)."""
    from workflows.screening.ruledata import load_rules

    return load_rules(vocabulary=None)


def family_labels(rules: RuleSet | None = None) -> dict[str, str]:
    return dict((rules or _rules()).class_labels)


def ingredient_families(rules: RuleSet | None = None) -> list[Family]:
    rules = rules or _rules()
    return [
        Family(
            key,
            label,
            tuple(sorted(i for i, classes in rules.ingredient_classes.items() if key in classes)),
        )
        for key, label in rules.class_labels.items()
    ]


def canonical_ingredients(
    chosen: Iterable[str], typed: str, rules: RuleSet | None = None
) -> list[str]:
    """The rule-data ingredients chosen plus the other names typed (split on commas, semicolons
    or lines), in order, without repeats. A typed name the rule data knows is read as its
    ingredients, so typing "Oxycodone" or "pethidine" fires the opioid flags as ticking does."""
    rules = rules or _rules()
    known = {name_key(ingredient): ingredient for ingredient in rules.ingredient_classes}
    names: list[str] = []
    for ingredient in chosen:
        if ingredient not in rules.ingredient_classes:
            raise InvalidIdentification("ingredients", f"{ingredient} is not in the rule data")
        names.append(ingredient)
    for part in _SEPARATORS.split(typed or ""):
        name = " ".join(part.split())
        if not name:
            continue
        if len(name) > MAX_INGREDIENT_LENGTH:
            raise InvalidIdentification(
                "other", f"an ingredient name has at most {MAX_INGREDIENT_LENGTH} characters"
            )
        names.extend(_read_typed(name, known, rules))
    names = list(dict.fromkeys(names))
    if not names:
        raise InvalidIdentification(
            "ingredients", "choose at least one ingredient, or type the ingredient's name"
        )
    return names


def _read_typed(name: str, known: Mapping[str, str], rules: RuleSet) -> list[str]:
    """A typed ingredient name as the screening must take it. The engine fires only on the
    rule data's own ingredient names, so a synonym or brand the rule data knows ("pethidine",
    "Norco") becomes its ingredients; otherwise an opioid typed under another of its names
    would pass as an ingredient of no family. A local form (eye drops) fires nothing, as in
    screening, so it stays as typed."""
    from workflows.screening.ruledata import Product

    if name_key(name) in known:
        return [known[name_key(name)]]
    products = [
        (hit, hit.meaning)
        for hit in rules.drugs.find(name)
        if isinstance(hit.meaning, Product) and not hit.is_negative and not hit.meaning.is_local
    ]
    words = len(tokens(name))
    whole = [
        product
        for hit, product in products
        if not hit.is_fuzzy and (hit.start, hit.stop) == (0, words)
    ]
    if whole:
        return [i for product in whole for i in (*product.ingredients, *product.others)]
    # A partial or approximate match: its flagged ingredients (never guess a product's other
    # ones), and the name as typed beside them.
    return [*(i for _, product in products for i in product.ingredients), name]


def identify_medication(
    sessions: sessionmaker[Session],
    staff_id: int,
    case_id: int,
    version: int | None,
    index: int,
    ingredients: Sequence[str],
    other: str,
    reason: str,
    enqueue: Callable[[int], None],
) -> int:
    """Record what medication ``index`` of the case is, and send the case through screening
    again with it (routed or assigned -> screening; the pipeline re-screens and routes it).

    The screening runs in a worker, not here: the engine and its vocabulary stay out of the web
    process. ``enqueue(case_id)`` is called once this commits; if the broker is away, the
    sweeper re-enqueues the case left in screening. Returns the identification's id.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidIdentification("reason", "give a reason: it goes into the case history")
    names = canonical_ingredients(ingredients, other)
    recorded: list[int] = []

    def change(db: Session, case: Case, user: StaffUser) -> dict[str, Any]:
        _require_role(user, Role.COORDINATOR, Role.ADMIN)
        if case.status not in IDENTIFIABLE_STATES:
            raise TransitionNotAllowed(case.id, case.status, S.SCREENING.value)
        medications = case.intake.get("medications") or []
        if not 0 <= index < len(medications):
            raise InvalidIdentification("medication", "this medication is not on the intake")
        identification = MedicationIdentification(
            case_id=case.id,
            medication=medications[index]["name"],
            name_key=name_key(medications[index]["name"])[:500],
            ingredients={"ingredients": names},
            reason=reason,
            staff_id=user.id,
        )
        db.add(identification)
        db.flush()
        recorded.append(identification.id)
        # The pipeline screens a case in `screening` whose rule set version is not the current
        # one: clearing it makes the worker screen again with the identification.
        transition(case, S.SCREENING)
        case.assignee_id, case.rule_set_version = None, None
        call_after_commit(db, enqueue, case.id)
        # Ids, ingredient names and the field path: never the patient's words.
        return {
            "identification_id": identification.id,
            "field": f"medications[{index}].name",
            "ingredients": names,
            "reason": reason,
        }

    Action(sessions).run(staff_id, case_id, version, "medication_identified", change)
    return recorded[0]


def identifications_for(db: Session, case_id: int) -> dict[str, list[str]]:
    """What screen_document takes: the name as typed -> the ingredients last recorded for it."""
    return {
        name: identification.ingredient_names
        for name, identification in latest_identifications(db, case_id).items()
    }


def identifications_for_cases(
    db: Session, case_ids: Sequence[int]
) -> dict[int, dict[str, list[str]]]:
    """identifications_for of many cases in one query (the re-screening's batches)."""
    found: dict[int, dict[str, list[str]]] = {case_id: {} for case_id in case_ids}
    rows = db.scalars(
        select(MedicationIdentification)
        .where(MedicationIdentification.case_id.in_(list(case_ids)))
        .order_by(MedicationIdentification.id)
    )
    for row in rows:  # newest last, so a correction replaces the reading before it
        found[row.case_id][row.medication] = row.ingredient_names
    return found


def latest_identifications(db: Session, case_id: int) -> dict[str, MedicationIdentification]:
    """The newest identification of each name of the case (a correction replaces a reading)."""
    rows = db.scalars(
        select(MedicationIdentification)
        .where(MedicationIdentification.case_id == case_id)
        .order_by(MedicationIdentification.id)
    )
    return {row.medication: row for row in rows}


@dataclass(frozen=True)
class Recorded:
    """Who recorded an identification, when and why: shown beside the reading it made."""

    by: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class Reading:
    """One medication of a case as the screening read it, for the staff case page."""

    index: int  # its place in the intake's medications (the identification form's key)
    typed: str
    status: str
    stopped_on: str | None
    identified: bool
    ingredients: tuple[str, ...]
    matched_name: str | None
    source: str | None  # rules, vocabulary, everyday, coordinator
    flagged: tuple[str, ...]  # the rule-data classes of its ingredients
    needs_review: bool  # a review flag (MEDICATION_UNIDENTIFIED) names it
    recorded: Recorded | None  # the identification the reading came from, if any


_FIELD_INDEX = re.compile(r"^medications\[(\d+)\]")


def readings(db: Session, case: Case) -> list[Reading]:
    """Each medication of the case's screening result, with the identification behind a
    coordinator's reading (who, when, why)."""
    result = case.screening_result or {}
    typed = [m.get("name", "") for m in case.intake.get("medications") or []]
    reviewed = {review.get("field") for review in result.get("reviews") or []}
    recorded = latest_identifications(db, case.id)
    rows = []
    for position, entry in enumerate(result.get("medications") or []):
        match = _FIELD_INDEX.match(entry.get("field") or "")
        index = int(match.group(1)) if match else _index_of(entry["input"], typed, position)
        medication = case.intake["medications"][index] if index < len(typed) else {}
        identification = (
            recorded.get(entry["input"]) if entry.get("source") == "coordinator" else None
        )
        rows.append(
            Reading(
                index=index,
                typed=entry["input"],
                status=entry.get("status") or medication.get("status", "current"),
                stopped_on=medication.get("stopped_on"),
                identified=bool(entry.get("identified")),
                ingredients=tuple(entry.get("ingredients") or ()),
                matched_name=entry.get("matched_name"),
                source=entry.get("source"),
                flagged=tuple(entry.get("flagged") or ()),
                needs_review=f"medications[{index}].name" in reviewed,
                recorded=Recorded(
                    identification.staff.name, identification.created_at, identification.reason
                )
                if identification
                else None,
            )
        )
    return rows


def unidentified_names_of_cases(db: Session, case_ids: list[int]) -> dict[int, set[str]]:
    """The names noted as unidentified for each of these cases, in one query."""
    noted: dict[int, set[str]] = {case_id: set() for case_id in case_ids}
    if case_ids:
        for case_id, key in db.execute(
            select(UnidentifiedMedication.case_id, UnidentifiedMedication.name_key).where(
                UnidentifiedMedication.case_id.in_(case_ids)
            )
        ):
            noted[case_id].add(key)
    return noted


def _index_of(name: str, typed: list[str], position: int) -> int:
    return typed.index(name) if name in typed else position


def record_unidentified(
    db: Session,
    case: Case,
    result: Mapping[str, Any],
    already_seen: Collection[str] | None = None,
) -> int:
    """Note each medication the screening result could not identify, once per case and name;
    returns how many were new. ``already_seen``: the names noted for this case before, when
    the caller read them already (the re-screening reads a batch's at once)."""
    typed_by_key: dict[str, str] = {}
    for medication in result.get("medications") or []:
        if not medication.get("identified", True):
            key = name_key(medication["input"])
            if key:
                typed_by_key.setdefault(key[:500], medication["input"][:500])
    if not typed_by_key:
        return 0
    seen = (
        set(already_seen)
        if already_seen is not None
        else set(
            db.scalars(
                select(UnidentifiedMedication.name_key).where(
                    UnidentifiedMedication.case_id == case.id,
                    UnidentifiedMedication.name_key.in_(list(typed_by_key)),
                )
            )
        )
    )
    new = [(key, typed) for key, typed in typed_by_key.items() if key not in seen]
    db.add_all(UnidentifiedMedication(case_id=case.id, name_key=k, typed=t) for k, t in new)
    _count_sightings(db, [key for key, _ in new])
    # A count only: the name a patient typed is free text, never a label.
    metrics.UNIDENTIFIED_MEDICATIONS.inc(len(new))
    return len(new)


def _count_sightings(db: Session, keys: list[str]) -> None:
    """One more case for each name, in the same transaction as its sightings. An upsert, so
    that two workers recording the same new name at once both count."""
    if not keys:
        return
    now = utcnow()
    dialect = db.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(UnidentifiedNameTotal).values(
        [{"name_key": key, "cases": 1, "first_seen": now, "last_seen": now} for key in keys]
    )
    db.execute(
        statement.on_conflict_do_update(
            index_elements=[UnidentifiedNameTotal.name_key],
            set_={
                "cases": UnidentifiedNameTotal.cases + 1,
                "last_seen": statement.excluded.last_seen,
            },
        )
    )


@dataclass(frozen=True)
class UnidentifiedName:
    name_key: str
    typed: str  # one spelling as typed (the most recent)
    cases: int
    first_seen: datetime
    last_seen: datetime
    case_ids: tuple[str, ...]  # public ids, newest first (at most CASES_PER_NAME)
    # What coordinators recorded it to be, each reading once, newest first.
    recorded_as: tuple[tuple[str, ...], ...] = ()


CASES_PER_NAME = 20
ORDERS = ("recent", "frequent")


def unidentified_names(
    db: Session, order: str = "recent", limit: int = 100, offset: int = 0
) -> tuple[list[UnidentifiedName], int]:
    """One page of the names screenings could not identify, grouped by normalised name, and
    how many names there are in all. Four statements, whatever the page's size, each reading
    an index in order: the names' totals, then at most CASES_PER_NAME sightings of each."""
    totals = UnidentifiedNameTotal
    ordering: list[UnaryExpression[Any]] = (
        [totals.cases.desc(), totals.last_seen.desc()]
        if order == "frequent"
        else [totals.last_seen.desc(), totals.cases.desc()]
    )
    groups = db.execute(
        select(totals.name_key, totals.cases, totals.first_seen, totals.last_seen)
        .order_by(*ordering, totals.name_key.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    total = db.scalar(select(func.count()).select_from(totals)) or 0
    keys = [row[0] for row in groups]
    sightings: dict[str, list[tuple[str, str]]] = {key: [] for key in keys}
    if keys:
        # The newest CASES_PER_NAME sightings of each name, however many cases it has: one
        # limited branch per name, each read from the (name, seen) index.
        newest = union_all(
            *(
                select(
                    UnidentifiedMedication.name_key,
                    UnidentifiedMedication.typed,
                    UnidentifiedMedication.case_id,
                    UnidentifiedMedication.seen_at,
                    UnidentifiedMedication.id,
                )
                .where(UnidentifiedMedication.name_key == key)
                .order_by(UnidentifiedMedication.seen_at.desc(), UnidentifiedMedication.id.desc())
                .limit(CASES_PER_NAME)
                .subquery()
                .select()
                for key in keys
            )
        ).subquery()
        for key, typed, public_id in db.execute(
            select(newest.c.name_key, newest.c.typed, Case.public_id)
            .join(Case, Case.id == newest.c.case_id)
            .order_by(newest.c.name_key, newest.c.seen_at.desc(), newest.c.id.desc())
        ):
            sightings[key].append((typed, public_id))
    recorded: dict[str, list[tuple[str, ...]]] = {key: [] for key in keys}
    if keys:
        for key, ingredients in db.execute(
            select(MedicationIdentification.name_key, MedicationIdentification.ingredients)
            .where(MedicationIdentification.name_key.in_(keys))
            .order_by(MedicationIdentification.id.desc())
            .limit(len(keys) * CASES_PER_NAME)
        ):
            reading = tuple(ingredients.get("ingredients", []))
            if reading not in recorded[key]:
                recorded[key].append(reading)
    names = [
        UnidentifiedName(
            name_key=key,
            typed=sightings[key][0][0] if sightings[key] else key,
            cases=count,
            first_seen=first,
            last_seen=last,
            case_ids=tuple(public_id for _, public_id in sightings[key]),
            recorded_as=tuple(recorded[key]),
        )
        for key, count, first, last in groups
    ]
    return names, total
