"""Errors about one of several items name it (issue 18, item 4): three goals without a severity
or two medications without a stop date give three or two different messages, in the error
summary and beside each field, in English and Spanish, in the intake and in the amend flow."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.web.intake_client import complete_until, csrf_token, errors, open_resume_link, post_step
from tests.web.patient_cases import ask_for_information, routed
from workflows.messaging.models import OutboxMessage

SPANISH = "es-MX,es;q=0.9"
FIELD_ERROR = re.compile(r'<p class="field-error" id="([^"]+)-error">.*?</span> (.*?)</p>', re.S)


def landed(client: Any, response: Any) -> Any:
    """The page the patient ends on: the response itself, or where its redirects lead (a step
    may answer a form with errors by a redirect to itself, the errors kept in the draft)."""
    while response.status_code in (302, 303):
        response = client.get(response.headers["Location"])
    return response


def summary_of(page: Any) -> dict[str, str]:
    return {field: html.unescape(message) for field, message in errors(page).items()}


def beside_fields(page: Any) -> dict[str, str]:
    text = page.get_data(as_text=True)
    return {field: html.unescape(message) for field, message in FIELD_ERROR.findall(text)}


def patient(app: Any, language: str) -> Any:
    client = app.test_client()
    if language == "es":
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH
    return client


GOALS_WITHOUT_SEVERITY = {"goal_sleep": "y", "goal_pain": "y", "goal_mood": "y"}
GOAL_ERRORS = {
    "en": {
        "severity_pain": "Pain: choose how much it affects you, from 0 to 10.",
        "severity_sleep": "Sleep: choose how much it affects you, from 0 to 10.",
        "severity_mood": "Mood: choose how much it affects you, from 0 to 10.",
    },
    "es": {
        "severity_pain": "Dolor: elija cuánto le afecta, de 0 a 10.",
        "severity_sleep": "Sueño: elija cuánto le afecta, de 0 a 10.",
        "severity_mood": "Estado de ánimo: elija cuánto le afecta, de 0 a 10.",
    },
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_three_goals_without_a_severity_give_three_named_errors(app: Any, language: str) -> None:
    client = patient(app, language)
    complete_until(client, "history")
    page = landed(client, post_step(client, "goals", GOALS_WITHOUT_SEVERITY))
    assert summary_of(page) == GOAL_ERRORS[language]
    assert beside_fields(page) == GOAL_ERRORS[language]


MEDICATIONS = {
    "rows-0-name": "Percocet",
    "rows-0-status": "stopped",
    "rows-1-name": "  Norco   10/325 ",
    "rows-1-status": "stopped",
    "rows-2-name": "",
    "rows-2-dose": "10 mg",
    "rows-2-status": "current",
    "rows-3-name": "morphine",
    "rows-3-status": "stopped",
    "rows-3-stopped_on": "2099-01-01",
    "rows-4-name": "tramadol",
    "rows-4-status": "stopped",
    "rows-4-stopped_on": "last week",
}
MEDICATION_ERRORS = {
    "en": {
        "rows-0-stopped_on": "Percocet: say when you stopped taking it.",
        "rows-1-stopped_on": "Norco 10/325: say when you stopped taking it.",
        "rows-2-name": "Medication 3: enter the medication name, or remove this row.",
        "rows-3-stopped_on": (
            "morphine: the date you stopped cannot be in the future; if you still take it, "
            "choose 'I take it now'."
        ),
        "rows-4-stopped_on": "tramadol: enter a real date as YYYY-MM-DD, for example 1980-04-02.",
    },
    "es": {
        "rows-0-stopped_on": "Percocet: indique cuándo dejó de tomarlo.",
        "rows-1-stopped_on": "Norco 10/325: indique cuándo dejó de tomarlo.",
        "rows-2-name": "Medicamento 3: escriba el nombre del medicamento o elimine esta fila.",
        "rows-3-stopped_on": (
            "morphine: la fecha en que lo dejó no puede ser una fecha futura; si todavía lo "
            "toma, elija 'Lo tomo ahora'."
        ),
        "rows-4-stopped_on": (
            "tramadol: escriba una fecha real en el formato AAAA-MM-DD, por ejemplo 1980-04-02."
        ),
    },
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_each_medication_error_names_the_medication_as_typed_or_its_row(
    app: Any, language: str
) -> None:
    client = patient(app, language)
    complete_until(client, "diagnoses")
    page = landed(client, post_step(client, "medications", MEDICATIONS))
    assert summary_of(page) == MEDICATION_ERRORS[language]
    assert beside_fields(page) == MEDICATION_ERRORS[language]


def test_a_long_medication_name_is_shortened_in_its_error(client: Any) -> None:
    complete_until(client, "diagnoses")
    name = "Extended-release morphine sulfate capsules, the purple ones from the pharmacy"
    rows = {"rows-0-name": name, "rows-0-status": "stopped"}
    page = landed(client, post_step(client, "medications", rows))
    assert summary_of(page) == {
        "rows-0-stopped_on": "Extended-release morphine sulfate capsu…: say when you stopped "
        "taking it."
    }


def test_a_typed_name_in_an_error_is_text_not_markup(client: Any) -> None:
    complete_until(client, "diagnoses")
    rows = {"rows-0-name": "<b>Percocet</b>", "rows-0-status": "stopped"}
    page = landed(client, post_step(client, "medications", rows)).get_data(as_text=True)
    assert "<b>Percocet</b>" not in page.replace('value="&lt;b&gt;Percocet&lt;/b&gt;"', "")
    assert page.count("&lt;b&gt;Percocet&lt;/b&gt;: say when you stopped taking it.") == 2


@pytest.mark.parametrize("language", ["en", "es"])
def test_each_diagnosis_code_error_names_the_diagnosis_or_its_row(app: Any, language: str) -> None:
    client = patient(app, language)
    complete_until(client, "about")
    rows = {"rows-0-name": "lupus", "rows-0-icd10": "nope", "rows-1-icd10": "12"}
    page = landed(client, post_step(client, "diagnoses", rows))
    expected = {
        "en": {
            "rows-0-icd10": "lupus: enter an ICD-10 code such as K50.90, or leave it empty.",
            "rows-1-icd10": "Diagnosis 2: enter an ICD-10 code such as K50.90, or leave it empty.",
        },
        "es": {
            "rows-0-icd10": (
                "lupus: escriba un código CIE-10 (ICD-10) como K50.90, o déjelo en blanco."
            ),
            "rows-1-icd10": (
                "Diagnóstico 2: escriba un código CIE-10 (ICD-10) como K50.90, o déjelo en blanco."
            ),
        },
    }[language]
    assert summary_of(page) == expected
    assert beside_fields(page) == expected


def open_amend_link(app: Any) -> Any:
    """A patient who opened the link of a coordinator's question about their medications."""
    _client, case_id = routed(app)
    ask_for_information(app, case_id)
    with app.extensions["ldn"].sessions() as db:
        body = db.scalars(
            select(OutboxMessage.body).where(OutboxMessage.kind == "needs_info")
        ).one()
    amending = app.test_client()  # another device: the date of birth first
    open_resume_link(amending, re.search(r"http://localhost(/intake/amend\?t=\S+)", body).group(1))
    return amending


def test_the_amend_flow_names_each_medication_too(app: Any) -> None:
    amending = open_amend_link(app)
    path = "/intake/amend/medications"
    rows = {
        "rows-0-name": "Norco 10/325",
        "rows-0-status": "stopped",
        "rows-1-name": "Percocet",
        "rows-1-status": "stopped",
    }
    response = amending.post(path, data={**rows, "csrf_token": csrf_token(amending, path)})
    page = landed(amending, response)
    assert summary_of(page) == {
        "rows-0-stopped_on": "Norco 10/325: say when you stopped taking it.",
        "rows-1-stopped_on": "Percocet: say when you stopped taking it.",
    }
