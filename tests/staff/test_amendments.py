"""What an amendment changed, field by field, and which hard stops it cleared."""

from __future__ import annotations

from workflows.cases.amendments import hard_stops_removed, intake_changes


def test_a_changed_answer_is_listed_with_its_path_before_and_after() -> None:
    before = {"medications": [{"name": "Percocet", "status": "current"}], "goals": ["sleep"]}
    after = {
        "medications": [{"name": "Percocet", "status": "stopped", "stopped_on": "2026-11-30"}],
        "goals": ["sleep"],
    }
    assert intake_changes(before, after) == [
        {"path": "medications[0].status", "before": "current", "after": "stopped"},
        {"path": "medications[0].stopped_on", "before": None, "after": "2026-11-30"},
    ]


def test_a_medication_added_or_removed_lists_each_of_its_fields() -> None:
    one = {"medications": [{"name": "Percocet", "status": "current"}]}
    two = {"medications": [*one["medications"], {"name": "vitamin D", "status": "current"}]}
    added = [
        {"path": "medications[1].name", "before": None, "after": "vitamin D"},
        {"path": "medications[1].status", "before": None, "after": "current"},
    ]
    assert intake_changes(one, two) == added
    assert intake_changes(two, one) == [
        {**change, "before": change["after"], "after": None} for change in added
    ]


def test_the_same_document_has_no_changes() -> None:
    document = {"patient": {"first_name": "Rosa"}, "medications": []}
    assert intake_changes(document, dict(document)) == []


def test_a_hard_stop_the_new_screening_no_longer_raises_is_cleared() -> None:
    still_opioid = {"hard_stops": [{"code": "OPIOID_CURRENT"}]}
    now_clear = {"hard_stops": [], "cautions": [{"code": "OPIOID_RECENT"}]}
    assert hard_stops_removed(["OPIOID_CURRENT"], now_clear) == ["OPIOID_CURRENT"]
    assert hard_stops_removed(["OPIOID_CURRENT"], still_opioid) == []
    assert hard_stops_removed([], now_clear) == []
