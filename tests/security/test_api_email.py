"""The API checks the patient's email as the form does: one address, no header tricks
(issue 16, low: several recipients; CR/LF that broke the message for three days)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.test_unstorable_text import cases_stored


@pytest.mark.parametrize(
    "address",
    [
        "a@x.org, b@y.org",
        "a@x.org; b@y.org",
        "a@x.org\r\nBcc: victim@y.org",
        "a@x.org\nSubject: hi",
        "not an address",
        "rosa@",
        "@example.org",
    ],
)
def test_anything_but_one_address_gets_422_on_the_email_and_nothing_is_stored(
    app: Any, base_intake: dict[str, Any], address: str
) -> None:
    base_intake["patient"]["email"] = address
    response = app.test_client().post("/api/v1/intakes", json=base_intake)
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "patient.email", "message": "Enter one email address like name@example.com."}
    ]
    assert cases_stored(app) == 0


@pytest.mark.parametrize(
    "address", ["rosa@example.org", " Rosa.H@Example.org ", "josé@example.org", ""]
)
def test_one_address_or_none_is_accepted(
    app: Any, base_intake: dict[str, Any], address: str
) -> None:
    base_intake["patient"]["email"] = address
    assert app.test_client().post("/api/v1/intakes", json=base_intake).status_code == 202
