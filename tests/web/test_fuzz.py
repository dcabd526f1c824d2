"""Hypothesis throws arbitrary input at the intake forms and the API: never a server error."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.intake_client import complete_until

pytestmark = pytest.mark.slow  # Hypothesis: hundreds of generated form posts and API calls

STEP_FIELDS = {
    "about": [
        "first_name",
        "last_name",
        "date_of_birth-month",
        "date_of_birth-day",
        "date_of_birth-year",
        "email",
        "phone",
        "state_of_residence",
    ],
    "diagnoses": ["rows-0-name", "rows-0-icd10", "rows-7-name", "action"],
    "medications": [
        "rows-0-name",
        "rows-0-dose",
        "rows-0-status",
        "rows-0-stopped_on",
        "rows-1-name",
        "action",
    ],
    "history": [
        "pregnant",
        "liver_disease",
        "diabetes",
        "planned_surgery_date",
        "notes",
        "kidney_stones",
    ],
    "goals": ["goal_fatigue", "severity_fatigue", "goal_pain", "severity_pain", "goal_notes"],
    "ketosis": ["interested"],
    "review": ["consent_accurate", "consent_review", "consent_contact", "signature"],
}
values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "yes",
            "no",
            "current",
            "stopped",
            "2026-02-30",
            "1980-04-02",
            "TX",
            "add",
            "remove-3",
            "remove-x",
            "back",
            "next",
            "11",
            "-1",
            "y",
            "\x00",
            "<script>alert(1)</script>",
        ]
    ),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=15,
)
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(step=st.sampled_from(list(STEP_FIELDS)), data=st.data())
def test_arbitrary_form_posts_never_cause_a_server_error(client: Any, step: str, data: Any) -> None:
    with client.session_transaction() as session:
        session.clear()
    complete_until(client, "ketosis")
    fields = {
        name: data.draw(values, label=name)
        for name in data.draw(st.sets(st.sampled_from(STEP_FIELDS[step])))
    }
    token = CSRF.search(client.get(f"/intake/{step}").get_data(as_text=True))
    fields["csrf_token"] = token.group(1) if token else ""
    response = client.post(f"/intake/{step}", data=fields)
    assert response.status_code < 500, (step, fields, response.status_code)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    document=st.one_of(
        JSON, st.fixed_dictionaries({"patient": JSON, "medications": JSON, "history": JSON})
    )
)
def test_arbitrary_json_to_the_api_never_causes_a_server_error(app: Any, document: Any) -> None:
    app.config["API_RATE_LIMIT_PER_MINUTE"] = 100000
    response = app.test_client().post("/api/v1/intakes", json=document)
    assert response.status_code in (202, 422), response.get_data(as_text=True)[:200]


def test_a_nul_character_typed_in_a_form_is_dropped_not_stored(client: Any) -> None:
    from tests.web.intake_client import ABOUT, post_step

    assert post_step(client, "about", {**ABOUT, "first_name": "Ze\x00bulon"}).status_code == 302
    assert 'value="Zebulon"' in client.get("/intake/about").get_data(as_text=True)
    # (the API refuses one instead, naming the field: tests/security/test_unstorable_text.py)


def test_a_tampered_remove_button_removes_nothing(client: Any) -> None:
    from tests.web.intake_client import send_step

    complete_until(client, "about")
    response = send_step(client, "diagnoses", {"rows-0-name": "lupus"}, action="remove-x")
    assert 'value="lupus"' in response.get_data(as_text=True)
    assert "removed." not in response.get_data(as_text=True)
