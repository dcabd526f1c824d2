"""Seeding for the scale benchmark (bench/scale.py): N realistic cases on PostgreSQL.

A few dozen template cases go through the real code: submitted with `submit_intake`, taken
through validate -> screen -> route -> notify by `pipeline.process` (no Celery needed), then
moved by staff actions of `casework` (assign, accept, decline, waitlist, ask for information),
each viewed once by a coordinator. So every template has the events, audit entries, outbox
messages and unidentified-medication rows that production writes, from the shared acceptance
cases: opioids current and stopped, ketosis, out-of-state residents, unidentified medications,
Spanish-speaking patients, and every licensed state.

SQL then clones the templates up to N (INSERT ... SELECT over generate_series, so a million
rows take minutes, not hours): each clone gets a new id, public id and token hashes, a
created_at spread over three years (open cases over the last 90 days), every timestamp of its
template shifted by the same amount, and copies of the template's events, audit entries,
outbox messages and unidentified names. The share of open cases is a parameter (5 % is
realistic for a practice that keeps every case for years; 30 % is the issue's stress case).
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from workflows.cases import casework, lifecycle, pipeline
from workflows.cases.models import Case
from workflows.cases.patient_fields import person_key
from workflows.cases.submission import submit_intake
from workflows.messaging.mail import DatabaseOutbox
from workflows.platform.orm import utcnow
from workflows.platform.secret_box import SecretBox
from workflows.staff import audit
from workflows.staff.accounts import create_staff
from workflows.staff.models import Role, StaffUser
from workflows.staff.two_factor import confirm_enrolment, start_enrolment, time_step

__all__ = [
    "PASSWORD",
    "STAFF",
    "Templates",
    "base_intakes",
    "clone_cases",
    "create_staff_roster",
    "seed",
    "seed_templates",
    "table_counts",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_CASES = Path(os.environ.get("LDN_SHARED_CASES", REPO_ROOT.parent / "shared" / "cases"))
PASSWORD = "scale bench password"
OPEN_STATES = [s.value for s in lifecycle.OPEN_STATES]

# email -> (name, role, licensed states, capacity). The first physician is the one the
# benchmark signs in as: licensed in three states, so its list is one of the longer ones.
STAFF: dict[str, tuple[str, Role, list[str], int]] = {
    "coordinator@scale.test": ("Casey Coordinator", Role.COORDINATOR, [], 0),
    "admin@scale.test": ("Ada Admin", Role.ADMIN, [], 0),
    "dr.tx@scale.test": ("Dr. Tessa Texas", Role.PHYSICIAN, ["TX", "FL", "GA"], 40),
    "dr.il@scale.test": ("Dr. Ian Illinois", Role.PHYSICIAN, ["IL", "IA", "MO"], 40),
    "dr.tx2@scale.test": ("Dr. Theo Texas", Role.PHYSICIAN, ["TX"], 25),
    "dr.fl@scale.test": ("Dr. Flora Florida", Role.PHYSICIAN, ["FL", "GA"], 25),
    "dr.mo@scale.test": ("Dr. Mona Missouri", Role.PHYSICIAN, ["MO", "IA", "IL"], 25),
}


def create_staff_roster(sessions: sessionmaker[Session], box: SecretBox) -> dict[str, int]:
    """The staff of STAFF; physicians and the admin enrolled in two-factor sign-in, as they
    must be before they can open a page (the benchmark then signs in with a recovery code)."""
    ids = {}
    for email, (name, role, states, capacity) in STAFF.items():
        ids[email] = create_staff(sessions, email, name, role, PASSWORD, states, capacity)
        if role != Role.COORDINATOR:
            secret = start_enrolment(sessions, box, ids[email]).secret
            code = pyotp.TOTP(secret).generate_otp(time_step(utcnow()))
            confirm_enrolment(sessions, box, ids[email], code)
    return ids


# Variations of the load benchmark's intake: the languages, states and medications the shared
# cases do not cover as often as real traffic does.
_VARIATIONS: list[tuple[str, dict[str, Any], str]] = [
    ("spanish-texas-eligible", {"state": "Texas", "medications": []}, "es"),
    ("spanish-florida-opioid", {"state": "FL"}, "es"),
    ("kansas-out-of-state", {"state": "Kansas", "medications": []}, "en"),
    ("california-out-of-state-opioid", {"state": "California"}, "en"),
    (
        "illinois-unidentified-medication",
        {"state": "IL", "medications": [{"name": "Zyntrolex 20 mg", "status": "current"}]},
        "en",
    ),
    (
        "georgia-unidentified-and-vitamin",
        {
            "state": "GA",
            "medications": [
                {"name": "Qorvanil", "status": "current"},
                {"name": "vitamin D3", "status": "current"},
            ],
        },
        "es",
    ),
]


def base_intakes() -> list[tuple[str, dict[str, Any], str]]:
    """(name, intake, language) of every valid shared acceptance case, then the variations."""
    bases = []
    for path in sorted(SHARED_CASES.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        if not case.get("expect", {}).get("invalid"):
            bases.append((path.stem, case["intake"], "en"))
    load_intake = json.loads((REPO_ROOT / "bench" / "load_intake.json").read_text())
    for name, change, language in _VARIATIONS:
        intake = copy.deepcopy(load_intake)
        intake["patient"]["state_of_residence"] = change["state"]
        if "medications" in change:
            intake["medications"] = change["medications"]
        bases.append((name, intake, language))
    return bases


@dataclass
class Templates:
    """Template case ids, open ones (they wait for a person) apart from closed ones."""

    open_ids: list[int] = field(default_factory=list)
    closed_ids: list[int] = field(default_factory=list)


def seed_templates(sessions: sessionmaker[Session], staff: dict[str, int]) -> Templates:
    """Each base intake twice through the pipeline: one copy is left open (routed, assigned,
    waiting for the patient's answers or waitlisted), the other closed (accepted or declined)."""
    coordinator = staff["coordinator@scale.test"]
    outbox = DatabaseOutbox()
    templates = Templates()
    with sessions() as db:
        physicians = db.scalars(select(StaffUser).where(StaffUser.role == Role.PHYSICIAN)).all()
        licensed = [(p.id, set(p.states)) for p in physicians]
    for index, (_, intake, language) in enumerate(base_intakes()):
        for keep_open in (True, False):
            case_id = submit_intake(
                sessions, intake, date.today(), lambda _: None, language=language
            ).id
            pipeline.process(sessions, case_id, outbox)
            with sessions.begin() as db:
                case = db.get(Case, case_id)
                assert case is not None
                # The coordinator opened it, as someone opens every case at least once.
                audit.record(db, db.get(StaffUser, coordinator), "case_viewed", case_id)
                queue, state = case.queue, case.patient_state
            doctors = [p for p, states in licensed if state in states]
            doctor = doctors[index % len(doctors)] if doctors else None
            _move(sessions, coordinator, case_id, queue, doctor, keep_open, index, outbox)
            (templates.open_ids if keep_open else templates.closed_ids).append(case_id)
    # A case the pipeline gave up on: visible to coordinators until someone retries it.
    _, intake, _ = base_intakes()[0]
    failed = submit_intake(sessions, intake, date.today(), lambda _: None).id
    pipeline.mark_failed(sessions, failed, "OperationalError")
    templates.open_ids.append(failed)
    return templates


def _move(
    sessions: sessionmaker[Session],
    coordinator: int,
    case_id: int,
    queue: str | None,
    doctor: int | None,
    keep_open: bool,
    index: int,
    outbox: DatabaseOutbox,
) -> None:
    """What staff do with a routed case, by its queue: open cases stop half way."""
    reason = "Reviewed against the screening result."
    if keep_open:
        if queue == "physician" and doctor is not None and index % 2 == 0:
            casework.assign(sessions, coordinator, case_id, None, doctor, reason)
        elif queue == "coordinator" and index % 3 == 0:
            casework.request_info(
                sessions,
                coordinator,
                case_id,
                None,
                ["medications"],
                "Please tell us more about your medications.",
                outbox,
                lambda token: f"http://127.0.0.1/intake/amend?t={token}",
                message="Which medications do you take, and at what dose?",
            )
        elif queue == "waitlist":
            casework.waitlist(sessions, coordinator, case_id, None, "Out of state.")
        return  # else: routed, waiting in its queue
    if doctor is None or queue == "waitlist":
        casework.decline(sessions, coordinator, case_id, None, "Outside the practice's states.")
        return
    if queue == "coordinator":
        if index % 2 == 0:
            casework.decline(sessions, coordinator, case_id, None, reason)
            return
        casework.reroute(sessions, coordinator, case_id, None, "physician", reason)
    casework.assign(sessions, coordinator, case_id, None, doctor, reason)
    casework.accept(sessions, doctor, case_id, None)


# Case references for the clones: a bijection of the id onto 8 characters of the alphabet of
# workflows.tokens (1000000007 is prime to 30, so no two ids share a reference).
_REFERENCE_FUNCTION = """
CREATE OR REPLACE FUNCTION pg_temp.bench_reference(n bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'LDN-' || string_agg(
    substr('ABCDEFGHJKMNPQRSTVWXYZ23456789',
           (((n * 1000000007 + 7) % 656100000000) / (30::bigint ^ k)::bigint % 30)::int + 1, 1)
    || CASE WHEN k = 4 THEN '-' ELSE '' END, '' ORDER BY k DESC)
  FROM generate_series(0, 7) AS k
$$
"""

# One row per clone: its new id (in created_at order, as a serial id grows), its template and
# its created_at. Open cases arrived in the last 90 days, closed ones over three years.
_PLAN = """
CREATE TEMP TABLE clone_plan ON COMMIT DROP AS
WITH pick AS (
  SELECT random() < :open_share AS is_open, random() AS which, random() AS age
  FROM generate_series(1, :count)
), dated AS (
  SELECT CASE WHEN is_open
              THEN (CAST(:open_ids AS int[]))[1 + floor(which * :open_count)::int]
              ELSE (CAST(:closed_ids AS int[]))[1 + floor(which * :closed_count)::int]
         END AS template_id,
         CASE WHEN is_open THEN now() AT TIME ZONE 'UTC' - age * interval '90 days'
              ELSE now() AT TIME ZONE 'UTC' - interval '2 days' - age * interval '3 years'
         END AS created_at
  FROM pick
)
SELECT :first_id + row_number() OVER (ORDER BY dated.created_at) - 1 AS case_id,
       dated.template_id, dated.created_at, dated.created_at - t.created_at AS shift,
       t.public_id AS template_reference
FROM dated JOIN intake_case t ON t.id = dated.template_id
"""

_CLONE_CASES = """
INSERT INTO intake_case (
  id, public_id, access_token_hash, status, submitted_at, created_at, updated_at, intake,
  screening_result, rule_set_version, decision, queue, priority, pipeline_attempts, last_error,
  notified_at, routed_at, accepted_at, patient_state, assignee_id, info_token_hash, info_steps,
  version, language, patient_name, name_key, surname_key, email_key, birth_date, state_typed,
  main_condition)
SELECT p.case_id, pg_temp.bench_reference(p.case_id),
       md5(random()::text) || md5(random()::text), t.status, p.created_at::date, p.created_at,
       t.updated_at + p.shift, t.intake, t.screening_result, t.rule_set_version, t.decision,
       t.queue, t.priority, t.pipeline_attempts, t.last_error, t.notified_at + p.shift,
       t.routed_at + p.shift, t.accepted_at + p.shift, t.patient_state, t.assignee_id,
       CASE WHEN t.info_token_hash IS NULL THEN NULL
            ELSE md5(random()::text) || md5(random()::text) END,
       t.info_steps, t.version, t.language,
       who.first || ' ' || who.last, who.first_key || ' ' || who.last_key, who.last_key,
       who.first_key || '.' || who.last_key || p.case_id || '@example.org',
       date '1940-01-01' + ((p.case_id * 48271) % 23000)::int, t.state_typed, t.main_condition
FROM clone_plan p JOIN intake_case t ON t.id = p.template_id
CROSS JOIN LATERAL (
  SELECT (CAST(:first_names AS text[]))[1 + (p.case_id * 7919) % :first_count] AS first,
         (CAST(:first_keys AS text[]))[1 + (p.case_id * 7919) % :first_count] AS first_key,
         (CAST(:last_names AS text[]))[1 + ((p.case_id * 104729) / 7) % :last_count] AS last,
         (CAST(:last_keys AS text[]))[1 + ((p.case_id * 104729) / 7) % :last_count] AS last_key
) who
ORDER BY p.case_id
"""

# The rows that belong to a case, copied for each clone with their times shifted.
_CLONE_CHILDREN = [
    """
INSERT INTO case_event (case_id, at, actor, action, detail)
SELECT p.case_id, e.at + p.shift, e.actor, e.action, e.detail
FROM clone_plan p JOIN case_event e ON e.case_id = p.template_id
ORDER BY p.case_id, e.id
""",
    """
INSERT INTO audit_entry (at, actor_id, actor, action, case_id, detail)
SELECT a.at + p.shift, a.actor_id, a.actor, a.action, p.case_id, a.detail
FROM clone_plan p JOIN audit_entry a ON a.case_id = p.template_id
ORDER BY a.at + p.shift
""",
    """
INSERT INTO outbox_message (created_at, kind, to_address, subject, body, case_id, sent_at,
                            transport, attempts, last_error, next_attempt_at, given_up_at)
SELECT o.created_at + p.shift, o.kind, o.to_address,
       replace(o.subject, p.template_reference, c.public_id),
       replace(o.body, p.template_reference, c.public_id), p.case_id, o.sent_at + p.shift,
       o.transport, o.attempts, o.last_error, o.next_attempt_at + p.shift,
       o.given_up_at + p.shift
FROM clone_plan p JOIN outbox_message o ON o.case_id = p.template_id
     JOIN intake_case c ON c.id = p.case_id
ORDER BY p.case_id, o.id
""",
    """
INSERT INTO case_flag (case_id, code, position)
SELECT p.case_id, f.code, f.position
FROM clone_plan p JOIN case_flag f ON f.case_id = p.template_id
ORDER BY p.case_id, f.position
""",
    """
INSERT INTO unidentified_medication (case_id, name_key, typed, seen_at)
SELECT p.case_id, u.name_key, u.typed, u.seen_at + p.shift
FROM clone_plan p JOIN unidentified_medication u ON u.case_id = p.template_id
ORDER BY p.case_id, u.id
""",
    # The names' totals, as recording each sighting would have kept them.
    "DELETE FROM unidentified_name",
    """
INSERT INTO unidentified_name (name_key, cases, first_seen, last_seen)
SELECT name_key, count(DISTINCT case_id), min(seen_at), max(seen_at)
FROM unidentified_medication GROUP BY name_key
""",
]


# Who the clones are about: varied names (accents included), so that the staff search reads
# as many rows at a million cases as a real practice's would: a last name's prefix such as
# "hern" matches about one case in a hundred, an email or a date of birth a few.
FIRST_NAMES = ("Rosa María José Ana Luis Carmen Juan Lucía Pedro Sofía James Mary Robert "
               "Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard "
               "Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa "
               "Anthony Betty Mark Helen Donald Sandra Steven Ashley Paul Kimberly Andrew Emily "
               "Joshua Donna Kenneth Michelle Kevin Dorothy Brian Carol George Amanda Timothy "
               "Melissa Ronald Deborah Jason Stephanie Édgar Inés Óscar Zoë Chloé Renée "
               "Noël").split()  # fmt: skip
LAST_NAMES = ("Hernández García Martínez Rodríguez López González Pérez Sánchez Ramírez Torres "
              "Flores Rivera Gómez Díaz Cruz Morales Reyes Gutiérrez Ortiz Chávez Ramos Ruiz "
              "Álvarez Mendoza Castillo Jiménez Moreno Romero Herrera Medina Aguilar Vargas "
              "Castro Guzmán Fernández Muñoz Núñez Ortega Delgado Vásquez Smith Johnson "
              "Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Jackson "
              "Martin Lee Thompson White Harris Clark Lewis Robinson Walker Young Allen King "
              "Wright Scott Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner "
              "Phillips Campbell Parker Evans Edwards Collins Stewart Morris Murphy Cook Rogers "
              "Morgan Cooper Peterson Reed Bailey Bell Kelly Howard Ward Cox Richardson Wood "
              "Watson Brooks Bennett Gray James Hughes Price Sanders Myers Long Ross Foster "
              "O'Brien Nguyen Tran Pham Kim Park Chen Wang Li Zhang Singh Patel Kumar Shah Cohen "
              "Levy Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann "
              "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno "
              "Gallo Conti De Luca Mancini Costa Giordano Rizzo Lombardi Moretti Dubois Durand "
              "Lefebvre Leroy Moreau Simon Laurent Michel Lefèvre Girard André Mercier "
              "Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc "
              "Guerin Muller Henry Roussel Nicolas Perrin Morin Mathieu Clement Gauthier "
              "Dumont").split()  # fmt: skip


def _people() -> dict[str, Any]:
    """The name lists as the clone statement takes them, typed and folded as the app folds."""
    return {
        "first_names": list(FIRST_NAMES),
        "first_keys": [person_key(name) for name in FIRST_NAMES],
        "first_count": len(FIRST_NAMES),
        "last_names": list(LAST_NAMES),
        "last_keys": [person_key(name) for name in LAST_NAMES],
        "last_count": len(LAST_NAMES),
    }


def clone_cases(engine: Engine, templates: Templates, count: int, open_share: float) -> None:
    """`count` more cases, cloned from the templates in one transaction."""
    if count <= 0:
        return
    with engine.begin() as connection:
        connection.execute(text(_REFERENCE_FUNCTION))
        first_id = connection.scalar(text("SELECT coalesce(max(id), 0) + 1 FROM intake_case"))
        connection.execute(
            text(_PLAN),
            {
                "open_share": open_share,
                "count": count,
                "open_ids": templates.open_ids,
                "closed_ids": templates.closed_ids,
                "open_count": len(templates.open_ids),
                "closed_count": len(templates.closed_ids),
                "first_id": first_id,
            },
        )
        connection.execute(text(_CLONE_CASES), _people())
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('intake_case', 'id'), max(id))"
                " FROM intake_case"
            )
        )
        for statement in _CLONE_CHILDREN:
            connection.execute(text(statement))
    # Fresh statistics, as autovacuum would have after a real practice's years of inserts.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def seed(
    sessions: sessionmaker[Session], engine: Engine, box: SecretBox, size: int, open_share: float
) -> dict[str, int]:
    """Staff, templates and clones: `size` cases in all. Returns the staff ids by email."""
    staff = create_staff_roster(sessions, box)
    templates = seed_templates(sessions, staff)
    clone_cases(
        engine, templates, size - len(templates.open_ids) - len(templates.closed_ids), open_share
    )
    return staff


def table_counts(engine: Engine) -> dict[str, int]:
    tables = ["intake_case", "case_flag", "case_event", "audit_entry", "outbox_message",
              "unidentified_medication"]  # fmt: skip
    with engine.connect() as connection:
        counts = {t: connection.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}
        counts["open"] = connection.scalar(
            text("SELECT count(*) FROM intake_case WHERE status = ANY(:open)"),
            {"open": OPEN_STATES},
        )
    return counts
