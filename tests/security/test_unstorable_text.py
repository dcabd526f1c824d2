"""Text that cannot be stored or shown is refused at the API's edge, naming the field
(issue 16, item 3): a lone UTF-16 surrogate ("\\ud800" in JSON) or a NUL character."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from workflows.cases.models import Case
from workflows.screening.validation import unstorable_text_errors


def cases_stored(app: Any) -> int:
    with app.extensions["ldn"].sessions() as db:
        return int(db.scalar(select(func.count()).select_from(Case)) or 0)


def post_raw(client: Any, body: str) -> Any:
    """The body exactly as written: the JSON escape of a surrogate, not an encoded character."""
    return client.post("/api/v1/intakes", data=body, content_type="application/json")


@pytest.mark.parametrize(
    ("where", "field"),
    [
        (("patient", "email"), "patient.email"),
        (("patient", "first_name"), "patient.first_name"),
        (("diagnoses", 0, "name"), "diagnoses[0].name"),
        (("medications", 0, "name"), "medications[0].name"),
        (("history", "notes"), "history.notes"),
    ],
)
@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\u0000"])
def test_a_lone_surrogate_or_nul_gets_422_naming_the_field_and_nothing_is_stored(
    app: Any, base_intake: dict[str, Any], where: tuple[Any, ...], field: str, escape: str
) -> None:
    base_intake["medications"] = [{"name": "fish oil", "status": "current"}]
    node = base_intake
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = "MARKER"
    body = json.dumps(base_intake).replace("MARKER", f"Ro{escape}sa")
    response = post_raw(app.test_client(), body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert [error["field"] for error in errors] == [field]
    assert "cannot be stored" in errors[0]["message"]
    assert cases_stored(app) == 0


def test_a_surrogate_in_a_key_is_refused_too(app: Any, base_intake: dict[str, Any]) -> None:
    body = json.dumps(base_intake).replace('"history": {', '"history": {"no\\ud83d": 1, ', 1)
    response = post_raw(app.test_client(), body)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "history"
    assert cases_stored(app) == 0


def test_a_real_astral_character_written_as_a_surrogate_pair_is_accepted(
    app: Any, base_intake: dict[str, Any]
) -> None:
    base_intake["history"]["notes"] = "MARKER"
    body = json.dumps(base_intake).replace("MARKER", "sleep \\ud83d\\ude34 poorly")
    assert post_raw(app.test_client(), body).status_code == 202
    assert cases_stored(app) == 1


def test_every_bad_text_is_listed_once() -> None:
    document = {"patient": {"email": "a\udc00@x.org", "first_name": "Ok"}, "goals": ["\x00", "ok"]}
    assert [error.field for error in unstorable_text_errors(document)] == [
        "patient.email",
        "goals[0]",
    ]
