"""Drive the patient intake through the Flask test client, CSRF tokens and all."""

from __future__ import annotations

import re
from typing import Any

from intake.patient import choices

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ERROR_LINKS = re.compile(r'<li><a href="#([^"]+)">([^<]+)</a></li>')

# The history step's yes/no questions, in page order.
YES_NO_QUESTIONS = [name for name, _, _ in choices.HISTORY_QUESTIONS]

HISTORY_ALL_NO = {
    **dict.fromkeys(YES_NO_QUESTIONS, "no"),
    "liver_disease": "none",
    "diabetes": "none",
}
ABOUT = {
    "first_name": "Zebulon",
    "last_name": "Fogwhistle",
    "date_of_birth-month": "4",
    "date_of_birth-day": "2",
    "date_of_birth-year": "1980",
    "email": "zebulon@example.org",
    "phone": "555-0100",
    "state_of_residence": "TX",
}
CONSENT = {
    "consent_accurate": "y",
    "consent_review": "y",
    "consent_contact": "y",
    "signature": "Zebulon Fogwhistle",
}


def csrf_token(client: Any, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_step(client: Any, slug: str, data: dict[str, str], **extra: str) -> Any:
    """Post a step as its form does; the answer is a redirect (302), errors or not."""
    path = f"/intake/{slug}"
    return client.post(path, data={**data, **extra, "csrf_token": csrf_token(client, path)})


def open_resume_link(client: Any, link: str, about: dict[str, str] = ABOUT) -> Any:
    """Open a resume link as its patient does: a browser new to the intake answers the date of
    birth first (workflows.cases.device_check). The response is the link's redirect into the
    intake (or to its status), whether or not the check was asked. The care team's amend link
    too: after the check it is opened again, and the answer is its redirect to the first step."""
    response = client.get(link)
    if response.status_code == 302 and response.headers["Location"].endswith("/intake/check"):
        data = {name: value for name, value in about.items() if name.startswith("date_of_birth")}
        response = client.post(
            "/intake/check", data={**data, "csrf_token": csrf_token(client, "/intake/check")}
        )
        if response.status_code == 302 and "/intake/amend?t=" in response.headers["Location"]:
            response = client.get(response.headers["Location"])
    return response


def open_amend_link(client: Any, link: str, born: str | None = None) -> Any:
    """Open the care team's "needs info" link as its patient does (the date of birth first in
    a browser new to the intake); `born` (ISO) for a patient other than ABOUT's. The response
    is the link's redirect to the first step to change."""
    about = ABOUT if born is None else date_of_birth_parts(born)
    return open_resume_link(client, link, about)


def date_of_birth_parts(born: str) -> dict[str, str]:
    """An ISO date of birth as the three fields of the forms."""
    year, month, day = born.split("-")
    return {
        "date_of_birth-month": month.lstrip("0"),
        "date_of_birth-day": day.lstrip("0"),
        "date_of_birth-year": year,
    }


def join_waitlist(client: Any) -> Any:
    """Out of state, after step 1: choose the waitlist (the choice asked once)."""
    token = csrf_token(client, "/intake/waitlist")
    return client.post("/intake/waitlist", data={"choice": "join", "csrf_token": token})


def send_step(client: Any, slug: str, data: dict[str, str], **extra: str) -> Any:
    """Post a step and follow its redirect, as a browser does: the page the patient lands on
    (`landed_on` names it; `errors` lists the ones it shows)."""
    path = f"/intake/{slug}"
    return client.post(
        path,
        data={**data, **extra, "csrf_token": csrf_token(client, path)},
        follow_redirects=True,
    )


def landed_on(response: Any) -> str:
    """The path of the page a followed post ended on ("/intake/diagnoses")."""
    return str(response.request.path)


def redirected_to(response: Any) -> str:
    """Where a POST's redirect (302: the browser GETs it) sends the browser."""
    assert response.status_code == 302, response.status_code
    return str(response.headers["Location"])


def errors(response: Any) -> dict[str, str]:
    return dict(ERROR_LINKS.findall(response.get_data(as_text=True)))


def complete_until(
    client: Any,
    last: str,
    medications: dict[str, str] | None = None,
    about: dict[str, str] | None = None,
) -> None:
    """Fill in every step up to and including ``last`` with valid answers (``medications`` and
    ``about``, when given, instead of those steps' usual ones)."""
    steps = [
        ("about", about or ABOUT),
        ("diagnoses", {"rows-0-name": "crohns", "rows-0-icd10": "K50.90"}),
        (
            "medications",
            medications
            or {"rows-0-name": "Norco 10/325", "rows-0-dose": "1 tab", "rows-0-status": "current"},
        ),
        ("history", HISTORY_ALL_NO),
        ("goals", {"goal_fatigue": "y", "severity_fatigue": "7"}),
        ("ketosis", {"interested": "no"}),
        ("review", CONSENT),
    ]
    for slug, data in steps:
        page = send_step(client, slug, data)
        if landed_on(page) == "/intake/waitlist":
            page = join_waitlist(client)
        assert landed_on(page) != f"/intake/{slug}", (slug, errors(page))
        if slug == last:
            return
