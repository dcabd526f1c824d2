"""The date of birth in three boxes (month, day, year; issue 18, item 1): each message says
which part is wrong, only that part is marked invalid, the summary's link lands on it, and the
draft keeps the canonical date beside what was typed."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import select

from intake.patient.document import document_to_raw
from tests.web.intake_client import ABOUT, csrf_token, errors
from workflows.cases.models import Draft

INPUT = re.compile(r"<input [^>]*>")


def about_with(month: str, day: str, year: str, client: Any) -> Any:
    """Step 1 with this date of birth, following any redirect to the page the patient sees."""
    typed = {"date_of_birth-month": month, "date_of_birth-day": day, "date_of_birth-year": year}
    data = {**ABOUT, **typed, "csrf_token": csrf_token(client, "/intake/about")}
    return client.post("/intake/about", data=data, follow_redirects=True)


def box(page: str, part: str) -> str:
    """The <input> tag of one box of the date of birth."""
    found = [tag for tag in INPUT.findall(page) if f'id="date_of_birth-{part}"' in tag]
    assert len(found) == 1, part
    return found[0]


@pytest.mark.parametrize(
    ("month", "day", "year", "wrong", "message"),
    [
        ("", "", "", ("month", "day", "year"), "Enter your date of birth."),
        ("4", "2", "", ("year",), "Date of birth must include a year."),
        ("", "2", "", ("month", "year"), "Date of birth must include a month and a year."),
        ("4", "2", "85", ("year",), "Year must be 4 numbers."),
        ("13", "2", "1980", ("month",), "Month must be between 1 and 12."),
        ("4", "32", "1980", ("day",), "Day must be between 1 and 31."),
        ("April", "2", "80", ("month", "year"), "Month must be between 1 and 12."),
        ("2", "30", "1980", ("day",), "Date of birth must be a real date."),
        ("1", "1", "2090", ("month", "day", "year"), "Date of birth must be in the past."),
        ("12", "31", "1899", ("year",), "Date of birth must be in 1900 or later."),
    ],
    ids=[
        "empty",
        "no-year",
        "day-only",
        "two-digit-year",
        "month-13",
        "day-32",
        "words",
        "february-30",
        "future",
        "before-1900",
    ],
)
def test_the_message_names_the_wrong_part_and_only_that_part_is_invalid(
    client: Any, month: str, day: str, year: str, wrong: tuple[str, ...], message: str
) -> None:
    response = about_with(month, day, year, client)
    page = html.unescape(response.get_data(as_text=True))
    # The summary's link goes to the first box in error.
    assert errors(response) == {f"date_of_birth-{wrong[0]}": message}
    for part in ("month", "day", "year"):
        tag = box(page, part)
        assert ('aria-invalid="true"' in tag) == (part in wrong), part
        assert 'inputmode="numeric"' in tag and f'autocomplete="bday-{part}"' in tag
    # What was typed comes back as typed: 85 stays 85, not 0085 or 1985.
    assert f'value="{year}"' in box(page, "year") and f'value="{month}"' in box(page, "month")


def test_the_boxes_are_a_labelled_group_with_the_hint_in_month_day_year_order(
    client: Any,
) -> None:
    page = client.get("/intake/about").get_data(as_text=True)
    group = page[page.index('<fieldset class="date-input"') :]
    group = group[: group.index("</fieldset>")]
    assert "<legend>Date of birth</legend>" in group
    assert "For example, 3 27 1980" in group
    assert [label for label in re.findall(r'<label for="date_of_birth-(\w+)">', group)] == [
        "month",
        "day",
        "year",
    ]
    assert 'aria-describedby="date_of_birth-hint"' in box(page, "month")


def test_each_message_is_in_spanish_too(app: Any) -> None:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    response = about_with("4", "2", "85", client)
    assert errors(response) == {"date_of_birth-year": "El año debe tener 4 cifras."}
    response = about_with("", "2", "", client)
    assert errors(response) == {
        "date_of_birth-month": "La fecha de nacimiento debe incluir el mes y el año."
    }
    page = client.get("/intake/about").get_data(as_text=True)
    assert "<legend>Fecha de nacimiento</legend>" in page and "Por ejemplo, 3 27 1980" in page


def test_the_draft_keeps_the_iso_date_and_the_boxes_as_typed(app: Any) -> None:
    client = app.test_client()
    response = about_with("04", "2", "1980", client)
    assert response.request.path == "/intake/diagnoses"
    with app.extensions["ldn"].sessions() as db:
        about = db.scalars(select(Draft)).one().answers["about"]
    assert about["data"]["date_of_birth"] == "1980-04-02"
    assert ["date_of_birth-month", "04"] in about["raw"]
    page = client.get("/intake/about").get_data(as_text=True)
    assert 'value="04"' in box(page, "month") and 'value="1980"' in box(page, "year")


def test_a_draft_saved_before_the_three_boxes_shows_its_date_in_them(app: Any) -> None:
    client = app.test_client()
    about_with("4", "2", "1980", client)
    old_raw = [
        [name, value] for name, value in ABOUT.items() if not name.startswith("date_of_birth")
    ] + [["date_of_birth", "1980-04-02"]]
    with app.extensions["ldn"].sessions.begin() as db:
        draft = db.scalars(select(Draft)).one()
        draft.answers = {"about": {"raw": old_raw, "data": draft.answers["about"]["data"]}}
    page = client.get("/intake/about").get_data(as_text=True)
    assert 'value="4"' in box(page, "month")
    assert 'value="2"' in box(page, "day")
    assert 'value="1980"' in box(page, "year")
    # and it saves again as it was
    data = {name: value for name, value in old_raw}
    data["csrf_token"] = csrf_token(client, "/intake/about")
    response = client.post("/intake/about", data=data, follow_redirects=True)
    assert response.request.path == "/intake/diagnoses"


def test_an_amended_case_shows_its_date_of_birth_in_the_three_boxes() -> None:
    pairs = dict(document_to_raw({"patient": {"date_of_birth": "1975-06-30"}}, "about"))
    assert (
        pairs["date_of_birth-month"],
        pairs["date_of_birth-day"],
        pairs["date_of_birth-year"],
    ) == ("6", "30", "1975")
