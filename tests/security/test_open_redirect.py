"""`next` sends a browser only to a path of this site (issue 16, item 1)."""

from __future__ import annotations

from typing import Any

import pytest

from intake.redirect_targets import local_path
from tests.staff.helpers import PASSWORD, make_staff

# What browsers read as another host, or another scheme, once they drop TAB/CR/LF, turn "\"
# into "/", or follow a scheme-relative URL.
HOSTILE = [
    "//evil.example/phish",
    "/\t/evil.example/phish",
    "/%09/evil.example/phish",
    "/\r\n/evil.example",
    "/\n/evil.example",
    "\t//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "/\x00/evil.example",
    "/\x7f/evil.example",
    " //evil.example",
    "",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_target_that_could_leave_the_site_is_refused(target: str) -> None:
    assert local_path(target) is None


@pytest.mark.parametrize(
    "target", ["/", "/intake/step/about", "/status?lang=es", "/intake/step/goals#goal-2"]
)
def test_a_path_of_this_site_is_kept(target: str) -> None:
    assert local_path(target) == target


def test_a_staff_target_must_stay_under_staff() -> None:
    assert local_path("/staff/queue?flag=OPIOID_CURRENT", within="/staff/") is not None
    assert local_path("/intake/step/about", within="/staff/") is None
    assert local_path("/staff/%2F%2Fevil.example", within="/staff/") == "/staff/%2F%2Fevil.example"


@pytest.mark.parametrize("target", HOSTILE)
def test_the_language_switch_never_redirects_off_the_site(client: Any, target: str) -> None:
    response = client.get("/language/en", query_string={"next": target})
    # (a NUL is refused before any view, with 400 and no Location at all)
    assert response.headers.get("Location", "/") == "/"
    assert response.status_code in (302, 400)


def test_the_language_switch_returns_to_the_page_it_was_used_on(client: Any) -> None:
    response = client.get("/language/es", query_string={"next": "/intake/step/about"})
    assert response.headers["Location"] == "/intake/step/about"


@pytest.mark.parametrize("target", ["/\t/evil.example", "//evil.example", "/intake/step/about"])
def test_the_staff_sign_in_goes_to_its_landing_page_for_any_other_target(
    app: Any, target: str
) -> None:
    from tests.staff.helpers import csrf

    make_staff(app)
    client = app.test_client()
    token = csrf(client, "/staff/login")
    response = client.post(
        "/staff/login",
        query_string={"next": target},
        data={"csrf_token": token, "email": "coord@test", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/queue"


def test_the_staff_sign_in_returns_to_the_staff_page_asked_for(app: Any) -> None:
    from tests.staff.helpers import csrf

    make_staff(app)
    client = app.test_client()
    token = csrf(client, "/staff/login")
    response = client.post(
        "/staff/login",
        query_string={"next": "/staff/dashboard"},
        data={"csrf_token": token, "email": "coord@test", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/staff/dashboard"
