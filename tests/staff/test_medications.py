"""Medications the screening could not identify: a coordinator records what one is, the case
is screened again with it, and the names nobody knew are counted for the rule data's keeper."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import case_actions, stored_case
from tests.staff.helpers import make_staff, routed_case
from workflows.cases import casework, medications, pipeline, queries
from workflows.cases.models import Case, CaseEvent, MedicationIdentification
from workflows.messaging.mail import DatabaseOutbox
from workflows.staff.models import AuditEntry

UNKNOWN = "white pill from urgent care"


@pytest.fixture
def staff(app: Any) -> dict[str, int]:
    return make_staff(app)


@pytest.fixture
def unknown_case(app: Any, base_intake: dict[str, Any]) -> Case:
    base_intake["medications"] = [
        {"name": "vitamin D", "status": "current"},
        {"name": UNKNOWN, "status": "current"},
    ]
    return routed_case(app, base_intake)


def identify(app: Any, staff_id: int, case: Case, **given: Any) -> int:
    """Record an identification of medication 1 as a coordinator would, and let the pipeline
    (the worker, run here in-process) screen the case again."""
    sessions = app.extensions["ldn"].sessions
    enqueued: list[int] = []
    arguments = {"index": 1, "ingredients": [], "other": "", "reason": "pharmacy label"} | given
    identification_id = medications.identify_medication(
        sessions, staff_id, case.id, None, enqueue=enqueued.append, **arguments
    )
    assert enqueued == [case.id]  # after the commit, with the case id only
    pipeline.process(sessions, case.id, DatabaseOutbox())
    return identification_id


def reading(app: Any, case_id: int, index: int = 1) -> dict[str, Any]:
    return stored_case(app, case_id).screening_result["medications"][index]


def test_an_unidentified_medication_sends_the_case_to_a_coordinator_with_its_review_code(
    app: Any, unknown_case: Case
) -> None:
    assert (unknown_case.decision, unknown_case.queue) == ("needs_review", "coordinator")
    assert "MEDICATION_UNIDENTIFIED" in casework.flag_codes(unknown_case)
    with app.extensions["ldn"].sessions() as db:
        queued = queries.coordinator_queue(
            db, queries.QueueFilters(flag="MEDICATION_UNIDENTIFIED"), page_size=50
        )
    assert [row.id for row in queued.rows] == [unknown_case.id]


def test_identified_as_an_opioid_the_case_is_rescreened_ineligible(
    app: Any, staff: dict[str, int], unknown_case: Case
) -> None:
    identify(app, staff["coordinator"], unknown_case, ingredients=["oxycodone"])
    case = stored_case(app, unknown_case.id)
    assert (case.status, case.decision, case.queue) == ("routed", "ineligible", "coordinator")
    assert "OPIOID_CURRENT" in casework.flag_codes(case)
    assert "MEDICATION_UNIDENTIFIED" not in casework.flag_codes(case)
    assert reading(app, case.id) | {"source": "coordinator", "identified": True} == reading(
        app, case.id
    )
    assert reading(app, case.id)["ingredients"] == ["oxycodone"]


def test_identified_as_an_everyday_drug_the_case_goes_back_to_eligible(
    app: Any, staff: dict[str, int], unknown_case: Case
) -> None:
    identify(app, staff["coordinator"], unknown_case, other="lisinopril")
    case = stored_case(app, unknown_case.id)
    assert (case.status, case.decision, case.queue) == ("routed", "eligible", "physician")
    assert casework.flag_codes(case) == []


def test_a_typed_name_that_is_a_rule_data_ingredient_counts_as_that_ingredient(
    app: Any, staff: dict[str, int], unknown_case: Case
) -> None:
    identify(app, staff["coordinator"], unknown_case, other=" Oxycodone ;  acetaminophen")
    with app.extensions["ldn"].sessions() as db:
        stored = db.scalars(select(MedicationIdentification)).one()
        assert stored.ingredient_names == ["oxycodone", "acetaminophen"]
        assert stored.medication == UNKNOWN  # keyed by the name exactly as typed
    assert "OPIOID_CURRENT" in casework.flag_codes(stored_case(app, unknown_case.id))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("pethidine", ["meperidine"]),  # a synonym of a rule-data ingredient
        ("Norco", ["hydrocodone", "acetaminophen"]),  # a brand: its ingredients
        ("oxycodon", ["oxycodone", "oxycodon"]),  # approximate: both, the typed name kept
    ],
)
def test_a_typed_synonym_or_brand_the_rule_data_knows_fires_its_family(
    app: Any, staff: dict[str, int], unknown_case: Case, typed: str, stored: list[str]
) -> None:
    identify(app, staff["coordinator"], unknown_case, other=typed)
    with app.extensions["ldn"].sessions() as db:
        assert db.scalars(select(MedicationIdentification)).one().ingredient_names == stored
    assert "OPIOID_CURRENT" in casework.flag_codes(stored_case(app, unknown_case.id))


def test_a_local_form_typed_as_an_ingredient_fires_nothing(
    app: Any, staff: dict[str, int], unknown_case: Case
) -> None:
    identify(app, staff["coordinator"], unknown_case, other="Ikervis")
    assert casework.flag_codes(stored_case(app, unknown_case.id)) == []


def test_the_history_and_the_audit_say_who_identified_what_without_the_patient_words(
    app: Any, staff: dict[str, int], unknown_case: Case
) -> None:
    identification_id = identify(app, staff["coordinator"], unknown_case, other="lisinopril")
    assert case_actions(app, unknown_case.id)[-3:] == [
        "medication_identified",
        "screened",
        "routed",
    ]
    with app.extensions["ldn"].sessions() as db:
        event = db.scalars(
            select(CaseEvent).where(CaseEvent.action == "medication_identified")
        ).one()
        entry = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "medication_identified")
        ).one()
    assert event.actor == "staff:coord@test"
    assert event.detail == {
        "identification_id": identification_id,
        "field": "medications[1].name",
        "ingredients": ["lisinopril"],
        "reason": "pharmacy label",
    }
    assert entry.case_id == unknown_case.id and entry.actor == "coordinator:coord@test"
    assert UNKNOWN not in str(entry.detail) and UNKNOWN not in str(event.detail)


def test_a_correction_replaces_the_earlier_reading(
    app: Any, staff: dict[str, int], unknown_case: Case
) -> None:
    identify(app, staff["coordinator"], unknown_case, ingredients=["oxycodone"])
    identify(app, staff["admin"], unknown_case, other="lisinopril", reason="called the pharmacy")
    with app.extensions["ldn"].sessions() as db:
        assert medications.identifications_for(db, unknown_case.id) == {UNKNOWN: ["lisinopril"]}
        assert len(db.scalars(select(MedicationIdentification)).all()) == 2  # both kept
    assert stored_case(app, unknown_case.id).decision == "eligible"


def test_an_amended_name_gets_a_fresh_reading(
    app: Any, staff: dict[str, int], unknown_case: Case
) -> None:
    identify(app, staff["coordinator"], unknown_case, other="lisinopril")
    sessions = app.extensions["ldn"].sessions
    with sessions.begin() as db:  # as if the patient typed the name again, differently
        case = db.get(Case, unknown_case.id)
        intake = dict(case.intake)
        intake["medications"] = [{"name": "another white pill", "status": "current"}]
        case.intake, case.status, case.rule_set_version = intake, "screening", None
    pipeline.process(sessions, unknown_case.id, DatabaseOutbox())
    assert reading(app, unknown_case.id, 0)["identified"] is False


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"reason": "  "}, "reason", "give a reason"),
        ({"ingredients": [], "other": " , "}, "ingredients", "choose at least one ingredient"),
        ({"ingredients": ["unobtainium"]}, "ingredients", "not in the rule data"),
        ({"index": 7, "other": "lisinopril"}, "medication", "not on the intake"),
        ({"other": "x" * 101}, "other", "at most 100 characters"),
    ],
)
def test_a_bad_identification_is_refused_naming_the_field(
    app: Any,
    staff: dict[str, int],
    unknown_case: Case,
    given: dict[str, Any],
    field: str,
    message: str,
) -> None:
    arguments = {"index": 1, "ingredients": ["oxycodone"], "other": "", "reason": "why"} | given
    with pytest.raises(medications.InvalidIdentification, match=message) as refused:
        medications.identify_medication(
            app.extensions["ldn"].sessions,
            staff["coordinator"],
            unknown_case.id,
            None,
            enqueue=lambda _: None,
            **arguments,
        )
    assert refused.value.field == field
    assert stored_case(app, unknown_case.id).status == "routed"


def test_a_physician_may_not_record_an_identification(
    app: Any, staff: dict[str, int], unknown_case: Case
) -> None:
    with pytest.raises(casework.NotPermitted):
        medications.identify_medication(
            app.extensions["ldn"].sessions,
            staff["dr_tx"],
            unknown_case.id,
            None,
            1,
            ["oxycodone"],
            "",
            "I know it",
            lambda _: None,
        )


def test_an_unknown_case_is_refused(app: Any, staff: dict[str, int]) -> None:
    with pytest.raises(casework.CaseNotFound):
        medications.identify_medication(
            app.extensions["ldn"].sessions,
            staff["coordinator"],
            999_999,
            None,
            0,
            ["oxycodone"],
            "",
            "why",
            lambda _: None,
        )


def test_a_closed_case_is_not_screened_again(
    app: Any, staff: dict[str, int], unknown_case: Case
) -> None:
    sessions = app.extensions["ldn"].sessions
    casework.decline(sessions, staff["coordinator"], unknown_case.id, None, "duplicate")
    with pytest.raises(casework.TransitionNotAllowed):
        medications.identify_medication(
            sessions, staff["coordinator"], unknown_case.id, None, 1, [], "lisinopril", "x", print
        )


def test_the_rescreen_command_keeps_the_identifications(
    app: Any, staff: dict[str, int], unknown_case: Case
) -> None:
    from workflows.cases.rescreen import rescreen_open_cases

    identify(app, staff["coordinator"], unknown_case, ingredients=["oxycodone"])
    sessions = app.extensions["ldn"].sessions
    with sessions.begin() as db:
        db.get(Case, unknown_case.id).rule_set_version = "rules-older"
    assert rescreen_open_cases(sessions) == [unknown_case.id]
    assert reading(app, unknown_case.id)["source"] == "coordinator"


def test_the_form_offers_every_rule_data_ingredient_by_family() -> None:
    from workflows.screening import default_rules

    rules = default_rules()
    families = medications.ingredient_families(rules)
    assert [family.key for family in families] == list(rules.class_labels)
    offered = [i for family in families for i in family.ingredients]
    assert sorted(offered) == sorted(rules.ingredient_classes)
    opioids = next(family for family in families if family.key == "opioid_agonist")
    assert (
        "oxycodone" in opioids.ingredients and opioids.label == rules.class_labels["opioid_agonist"]
    )


# --- the names nobody knew -------------------------------------------------------------------


def test_unidentified_names_are_counted_once_per_case_grouped_by_their_folded_form(
    app: Any, base_intake: dict[str, Any]
) -> None:
    cases = []
    for typed in (UNKNOWN, "White  Pill from Urgent Care", UNKNOWN.upper()):
        base_intake["medications"] = [{"name": typed, "status": "current"}]
        cases.append(routed_case(app, base_intake))
    base_intake["medications"] = [{"name": "blue capsule, unlabelled", "status": "current"}]
    other = routed_case(app, base_intake)
    sessions = app.extensions["ldn"].sessions
    with sessions.begin() as db:  # screening the same case again adds no sighting
        assert (
            medications.record_unidentified(
                db,
                db.get(Case, cases[0].id),
                {"medications": [{"input": UNKNOWN, "identified": False}]},
            )
            == 0
        )
    with sessions() as db:
        names, total = medications.unidentified_names(db, order="frequent")
    assert total == 2
    first = names[0]
    assert (first.name_key, first.cases) == (UNKNOWN, 3)
    assert set(first.case_ids) == {case.public_id for case in cases}
    assert first.first_seen <= first.last_seen
    assert names[1].case_ids == (other.public_id,)


def test_the_names_page_takes_four_statements_whatever_the_number_of_names(
    app: Any, base_intake: dict[str, Any]
) -> None:
    from sqlalchemy import event

    for number in range(6):
        base_intake["medications"] = [{"name": f"mystery tablet {number}", "status": "current"}]
        routed_case(app, base_intake)
    sessions = app.extensions["ldn"].sessions
    statements: list[str] = []

    def count(*arguments: Any) -> None:
        statements.append(arguments[2])

    with sessions() as db:
        engine = db.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        names, total = medications.unidentified_names(db, limit=4)
        event.remove(engine, "before_cursor_execute", count)
    assert (len(names), total) == (4, 6)
    # the page of names, the total, their cases, what coordinators recorded them as
    assert len(statements) == 4


def test_the_identification_form_loads_neither_the_engine_nor_the_vocabulary() -> None:
    """The web process builds the form and reads typed names; the worker screens. The
    vocabulary would take the web process past its memory target."""
    from tests.conftest import modules_loaded_by

    probe = (
        "from workflows.cases import medications\n"
        "medications.ingredient_families()\n"
        "medications.canonical_ingredients([], 'pethidine, lisinopril')"
    )
    loaded = ("workflows.screening.vocabulary", "workflows.screening.engine")
    assert modules_loaded_by(probe, loaded) == []
