"""The patient side in Spanish: the browser's language, the switch that keeps what was typed,
every step and its errors, the language stored on the case and the messages that follow it.
Staff pages stay English and name the patient's language."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.staff.helpers import act, login, make_staff
from tests.web.intake_client import (
    ABOUT,
    CONSENT,
    HISTORY_ALL_NO,
    csrf_token,
    errors,
    landed_on,
    open_amend_link,
    open_resume_link,
    post_step,
    send_step,
)
from workflows.cases import pipeline
from workflows.cases.models import Case, Draft
from workflows.messaging.mail import DatabaseOutbox
from workflows.messaging.models import OutboxMessage

SPANISH = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}
STEPS_IN_ORDER = [
    ("about", ABOUT),
    ("diagnoses", {"rows-0-name": "enfermedad de Crohn", "rows-0-icd10": "K50.90"}),
    ("medications", {"rows-0-name": "oxicodona 5 mg", "rows-0-status": "current"}),
    ("history", HISTORY_ALL_NO),
    ("goals", {"goal_fatigue": "y", "severity_fatigue": "7"}),
    ("ketosis", {"interested": "no"}),
    ("review", CONSENT),
]


@pytest.fixture
def spanish_client(app: Any) -> Any:
    """A patient whose browser asks for Spanish."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH["Accept-Language"]
    return client


def page_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([a-z]+)"', page).group(1)


def complete(client: Any, last: str) -> None:
    for slug, data in STEPS_IN_ORDER:
        response = post_step(client, slug, data)
        assert response.status_code == 302, (slug, errors(response))
        if slug == last:
            return


def outbox(app: Any, kind: str) -> list[OutboxMessage]:
    with app.extensions["ldn"].sessions() as db:
        rows = list(db.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))
        for row in rows:
            db.expunge(row)
        return rows


def the_case(app: Any) -> Case:
    with app.extensions["ldn"].sessions() as db:
        case = db.scalars(select(Case)).one()
        db.expunge(case)
        return case


# --- choosing the language -------------------------------------------------------------------


def routed_with_a_coordinator(app: Any, spanish_client: Any) -> tuple[Case, Any]:
    """A Spanish intake submitted and routed, and a coordinator signed in from a browser that
    asks for Spanish (staff pages stay English regardless)."""
    complete(spanish_client, "review")
    case = the_case(app)
    pipeline.process(app.extensions["ldn"].sessions, case.id, DatabaseOutbox())
    make_staff(app)
    staff = app.test_client()
    staff.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH["Accept-Language"]
    login(staff, "coord@test")
    return case, staff


def test_a_browser_asking_for_spanish_gets_step_1_in_spanish(spanish_client: Any) -> None:
    page = page_of(spanish_client.get("/intake/about"))
    assert html_lang(page) == "es"
    for text in ["Paso 1 de 7", "Sus datos", "Nombre", "Apellidos", "Fecha de nacimiento",
                 "Estado donde vive", "Elija su estado", "Guardar y continuar", "Misuri"]:  # fmt: skip
        assert text in page, text
    assert "Save and continue" not in page


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("es", "es"),
        ("es-US", "es"),
        ("fr-FR, es;q=0.8, en;q=0.5", "es"),
        ("en-US,en;q=0.9,es;q=0.8", "en"),
        ("fr, de", "en"),
        ("", "en"),
    ],
)
def test_the_best_match_of_accept_language_is_the_default(
    client: Any, accept_language: str, expected: str
) -> None:
    page = page_of(client.get("/", headers={"Accept-Language": accept_language}))
    assert html_lang(page) == expected


def test_the_start_page_link_switches_language_and_the_choice_beats_the_browser(
    spanish_client: Any,
) -> None:
    start = page_of(spanish_client.get("/"))
    assert "Comience su formulario de LDN" in start
    link = re.search(r'<a href="([^"]+)" hreflang="en" lang="en">View in English</a>', start)
    assert link, "the start page offers English, in English"
    response = spanish_client.get(link.group(1))
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = page_of(spanish_client.get("/"))
    assert html_lang(page) == "en" and "Start your LDN intake" in page
    assert 'hreflang="es" lang="es">Ver en español</a>' in page


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "evil"])
def test_the_language_link_never_redirects_off_the_site(client: Any, target: str) -> None:
    response = client.get("/language/es", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_an_unknown_language_is_not_found(client: Any) -> None:
    assert client.get("/language/fr").status_code == 404


def test_the_switch_on_step_1_keeps_what_was_typed_in_a_draft_that_emails_nothing(
    app: Any, client: Any
) -> None:
    typed = {"first_name": "Zebulon", "last_name": "", "email": "zebulon@exa", "phone": "555"}
    response = send_step(client, "about", typed, action="language-es")
    assert landed_on(response) == "/intake/about"
    page = page_of(response)
    assert html_lang(page) == "es" and "Paso 1 de 7" in page
    assert 'value="Zebulon"' in page and 'value="zebulon@exa"' in page and 'value="555"' in page
    assert "error-summary" not in page, "switching language is not a submission"
    assert 'lang="en">View in English</button>' in page
    # the choice stays for the next pages
    assert "Paso 1 de 7" in page_of(client.get("/intake/about"))
    # What was typed waits in a draft (not the cookie); nothing validated, so no link yet.
    with app.extensions["ldn"].sessions() as db:
        draft = db.scalars(select(Draft)).one()
        assert draft.answers == {} and not draft.resume_link_sent
    assert outbox(app, "resume_link") == [] and "/intake/resume" not in page


def test_the_switch_mid_way_keeps_saved_answers_and_what_was_typed(app: Any, client: Any) -> None:
    complete(client, "diagnoses")
    typed = {"rows-0-name": "levotiroxina", "rows-0-dose": "50 mcg", "rows-0-status": "current"}
    response = post_step(client, "medications", typed, action="language-es")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/intake/medications")
    page = page_of(client.get("/intake/medications"))
    assert html_lang(page) == "es" and "Paso 3 de 7" in page and "Sus medicamentos" in page
    assert 'value="levotiroxina"' in page and 'value="50 mcg"' in page
    about = page_of(client.get("/intake/about"))
    assert 'value="Zebulon"' in about and "Nombre" in about
    with app.extensions["ldn"].sessions() as db:
        assert db.scalars(select(Draft)).one().language == "es"
    # and back to English, keeping what was typed again
    response = post_step(client, "medications", typed, action="language-en")
    page = page_of(client.get("/intake/medications"))
    assert html_lang(page) == "en" and "Step 3 of 7" in page and 'value="levotiroxina"' in page


def test_the_switch_from_the_review_keeps_the_way_back_to_the_review(client: Any) -> None:
    complete(client, "ketosis")
    path = "/intake/history"
    response = client.post(
        path,
        data={
            **HISTORY_ALL_NO,
            "return_to": "review",
            "action": "language-es",
            "csrf_token": csrf_token(client, path),
        },
    )
    assert response.headers["Location"].endswith("/intake/history?return_to=review")
    page = page_of(client.get("/intake/history?return_to=review"))
    assert "Guardar y volver a la revisión" in page


# --- every step and its errors ---------------------------------------------------------------

STEP_ERRORS = [
    (
        "about",
        {
            "date_of_birth-month": "2",
            "date_of_birth-day": "30",
            "date_of_birth-year": "1980",
            "email": "no-es-un-correo",
            "state_of_residence": "ZZ",
        },
        {
            "first_name": "Escriba su nombre.",
            "last_name": "Escriba sus apellidos.",
            "date_of_birth-day": "La fecha de nacimiento debe ser una fecha real.",
            "email": "Escriba un correo electrónico como nombre@ejemplo.com.",
            # WTForms' own message, from its Spanish catalogue
            "state_of_residence": "Opción inválida.",
        },
    ),
    (
        "diagnoses",
        {"rows-0-name": "lupus", "rows-0-icd10": "no"},
        {
            "rows-0-icd10": (
                "lupus: escriba un código CIE-10 (ICD-10) como K50.90, o déjelo en blanco."
            )
        },
    ),
    (
        "medications",
        {
            "rows-0-name": "oxicodona",
            "rows-0-status": "stopped",
            "rows-1-name": "",
            "rows-1-dose": "10 mg",
            "rows-1-status": "current",
            "rows-2-name": "morfina",
            "rows-2-status": "stopped",
            "rows-2-stopped_on": "2030-01-01",
        },
        {
            # Each names its medication (issue 18, item 4), or its row when it has no name.
            "rows-0-stopped_on": "oxicodona: indique cuándo dejó de tomarlo.",
            "rows-1-name": "Medicamento 2: escriba el nombre del medicamento o elimine esta fila.",
            "rows-2-stopped_on": (
                "morfina: la fecha en que lo dejó no puede ser una fecha futura; si todavía lo "
                "toma, elija 'Lo tomo ahora'."
            ),
        },
    ),
    (
        "history",
        {**HISTORY_ALL_NO, "pregnant": "", "liver_disease": "", "notes": "x" * 4001},
        {
            "pregnant": "Responda sí o no.",
            "liver_disease": "Elija la respuesta que mejor describa su situación.",
            "notes": "Las notas deben tener 4.000 caracteres como máximo; usted escribió 4.001.",
        },
    ),
    (
        "goals",
        {"goal_pain": "y"},
        {"severity_pain": "Dolor: elija cuánto le afecta, de 0 a 10."},
    ),
    ("goals", {}, {"goal_fatigue": "Elija al menos un objetivo."}),
    ("ketosis", {}, {"interested": "Elija sí o no."}),
    (
        "review",
        {"signature": "Otra Persona"},
        {
            "consent_accurate": "Marque esta casilla para continuar.",
            "consent_review": "Marque esta casilla para continuar.",
            "consent_contact": "Marque esta casilla para continuar.",
            "signature": "Escriba su nombre completo exactamente como lo indicó en el paso 1.",
        },
    ),
]


@pytest.mark.parametrize(
    ("slug", "data", "expected"),
    STEP_ERRORS,
    ids=[f"{s}-{i}" for i, (s, _, _) in enumerate(STEP_ERRORS)],
)
def test_every_step_and_its_validation_errors_are_in_spanish(
    spanish_client: Any, slug: str, data: dict[str, str], expected: dict[str, str]
) -> None:
    previous = [s for s, _ in STEPS_IN_ORDER][: [s for s, _ in STEPS_IN_ORDER].index(slug)]
    if previous:
        complete(spanish_client, previous[-1])
    response = send_step(spanish_client, slug, data)
    assert landed_on(response) == f"/intake/{slug}"
    found = {field: html.unescape(m) for field, m in errors(response).items()}
    assert set(found) == set(expected)
    # The summary may name the question before the message (yes/no and tick boxes).
    assert all(found[field].endswith(message) for field, message in expected.items()), found
    page = page_of(response)
    assert html_lang(page) == "es"
    problems = len(expected)
    heading = "Hay un problema que corregir" if problems == 1 else f"Hay {problems} problemas"
    assert heading in page
    assert re.search(r"<title>Error: [^<]*\(paso \d de 7\)", page)
    assert "Error:</span>" in page


def test_every_step_page_is_in_spanish(spanish_client: Any) -> None:
    headings = {
        "about": "Sus datos",
        "diagnoses": "Sus diagnósticos",
        "medications": "Sus medicamentos",
        "history": "Antecedentes médicos",
        "goals": "Sus objetivos",
        "ketosis": "Plan de cetosis",
        "review": "Revise sus respuestas y firme",
    }
    for number, (slug, data) in enumerate(STEPS_IN_ORDER, start=1):
        page = page_of(spanish_client.get(f"/intake/{slug}"))
        assert f"Paso {number} de 7" in page and f"<h1>{headings[slug]}</h1>" in page, slug
        assert "Ver en español" not in page and "View in English" in page
        if slug != "review":
            assert post_step(spanish_client, slug, data).status_code == 302
    review = page_of(spanish_client.get("/intake/review"))
    for text in ["¿Está embarazada?", "¿Está amamantando (dando el pecho)?", "No tengo diabetes", "7 de 10", "lo toma ahora",
                 "Cansancio o falta de energía", "Texas", "Consentimiento"]:  # fmt: skip
        assert text in review, text
    history = page_of(spanish_client.get("/intake/history"))
    assert "¿Ha tenido alguna vez pancreatitis?" in history


def test_a_missing_csrf_token_is_explained_in_spanish(spanish_client: Any) -> None:
    response = spanish_client.post("/intake/about", data=ABOUT)
    assert response.status_code == 400
    page = page_of(response)
    # The session-expired page (issue 18, item 6), not the library's words.
    assert "Esta página ha caducado" in page
    assert "CSRF" not in page


def test_the_out_of_state_notice_is_in_spanish(spanish_client: Any) -> None:
    post_step(spanish_client, "about", {**ABOUT, "state_of_residence": "NY"})
    page = page_of(spanish_client.get("/intake/waitlist"))
    assert "Todavía no tenemos licencia en su estado" in page


# --- the case and the messages ---------------------------------------------------------------


def test_a_spanish_intake_is_stored_as_spanish_and_its_messages_are_in_spanish(
    app: Any, spanish_client: Any
) -> None:
    complete(spanish_client, "review")
    [resume] = outbox(app, "resume_link")
    assert resume.subject == "Su formulario de LDN: enlace para continuar"
    assert resume.body.startswith("Hola:") and "/intake/resume?t=" in resume.body
    assert "30 días" in resume.body

    done = page_of(spanish_client.get("/intake/done"))
    assert "Gracias, hemos recibido su formulario" in done
    case = the_case(app)
    assert case.language == "es"
    assert case.intake["consent"]["statements"][0].startswith("Mis respuestas son verdaderas")

    sessions = app.extensions["ldn"].sessions
    pipeline.process(sessions, case.id, DatabaseOutbox())
    [received] = outbox(app, "received")
    assert received.subject == f"Hemos recibido su formulario ({case.public_id})"
    assert "Nunca le pediremos sus datos de salud" in received.body
    # the drug typed in Spanish fired the same hard stop as oxycodone
    assert the_case(app).screening_result["hard_stops"][0]["code"] == "OPIOID_CURRENT"

    status = page_of(spanish_client.get("/intake/status"))
    assert "Con el equipo médico" in status
    assert "Nuestro equipo médico está revisando su formulario" in status


def test_an_english_intake_keeps_english_messages(app: Any, client: Any) -> None:
    complete(client, "review")
    assert the_case(app).language == "en"
    [resume] = outbox(app, "resume_link")
    assert resume.subject == "Your LDN intake: link to continue"


def test_the_resume_link_brings_back_the_patients_language(app: Any, spanish_client: Any) -> None:
    complete(spanish_client, "diagnoses")
    [resume] = outbox(app, "resume_link")
    link = re.search(r"(/intake/resume\?t=\S+)", resume.body).group(1)
    other_device = app.test_client()  # a browser in English
    response = open_resume_link(other_device, link)
    page = page_of(other_device.get(response.headers["Location"]))
    assert html_lang(page) == "es" and "Paso 3 de 7" in page
    assert "Le damos la bienvenida de nuevo" in page


def test_a_request_for_information_reaches_a_spanish_patient_in_spanish(
    app: Any, spanish_client: Any
) -> None:
    case, staff = routed_with_a_coordinator(app, spanish_client)
    response = act(
        staff,
        case.public_id,
        "request-info",
        **{
            "info-steps": "medications",
            "info-reason": "Is the oxycodone still taken?",
            "info-message": "¿Sigue tomando oxicodona?",
            "info-version": str(the_case(app).version),
        },
    )
    assert response.status_code == 302
    [message] = outbox(app, "needs_info")
    assert message.subject == (
        f"Nuestro equipo médico tiene una pregunta sobre su formulario ({case.public_id})"
    )
    assert "Abra este enlace para leer la pregunta" in message.body
    assert "oxicodona" not in message.body  # the question itself is read on the page only

    link = re.search(r"http://localhost(/intake/amend\?t=\S+)", message.body).group(1)
    patient = app.test_client()  # the link opened in a browser set to English
    assert patient.get(link).headers["Location"] == "/intake/check"
    assert "Confirme su fecha de nacimiento" in page_of(patient.get("/intake/check"))
    step = patient.get(open_amend_link(patient, link).headers["Location"])
    page = page_of(step)
    assert html_lang(page) == "es"
    assert "Actualización de su formulario: parte 1 de 1" in page
    assert 'value="oxicodona 5 mg"' in page
    assert "La pregunta de nuestro equipo médico" in page
    assert "¿Sigue tomando oxicodona?" in page  # as the coordinator wrote it
    # the switch works while amending too, and keeps what was typed
    path = step.request.path
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = patient.post(
        path,
        data={
            "rows-0-name": "oxicodona: la dejé",
            "rows-0-status": "current",
            "action": "language-en",
            "csrf_token": token,
        },
    )
    assert response.headers["Location"].endswith(path)
    page = page_of(patient.get(path))
    assert html_lang(page) == "en" and "Updating your intake: part 1 of 1" in page
    assert 'value="oxicodona: la dejé"' in page


def test_staff_pages_stay_english_and_show_the_patients_language(
    app: Any, spanish_client: Any
) -> None:
    case, staff = routed_with_a_coordinator(app, spanish_client)
    queue = page_of(staff.get("/staff/queue"))
    assert html_lang(queue) == "en"
    assert re.search(
        rf"{case.public_id}</a></th>(?:(?!</tr>).)*<td data-label=\"Language\">Spanish</td>",
        queue,
        re.DOTALL,
    )
    page = page_of(staff.get(f"/staff/cases/{case.public_id}"))
    assert html_lang(page) == "en" and "Ver en español" not in page
    assert "<dt>Patient's language</dt><dd>Spanish" in page


@pytest.mark.parametrize(
    ("header", "language"), [("es", "es"), ("es-MX", "es"), ("fr", "en"), (None, "en")]
)
def test_the_api_takes_the_patients_language_from_content_language(
    app: Any, client: Any, base_intake: dict[str, Any], header: str | None, language: str
) -> None:
    headers = {"Content-Language": header} if header else {}
    response = client.post("/api/v1/intakes", json=base_intake, headers=headers)
    assert response.status_code == 202
    assert the_case(app).language == language
