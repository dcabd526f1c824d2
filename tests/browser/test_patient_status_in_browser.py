"""What a patient reads on the status page in each state, in English and Spanish, on a 390 px
phone: the plain title and explanation (workflows.cases.patient_status), no staff word, no
sideways scrolling. Screenshots: status-<language>-<stage>-390px.png."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot, serving, share_session
from tests.web.patient_cases import (
    OUT_OF_STATE_ABOUT,
    PATIENT_AT_STAGE,
    SYNTHROID,
    submitted,
)

PHONE = {"width": 390, "height": 844}
LOCALES = {"en": "en-US", "es": "es-MX"}
STAFF_WORDS = ["Routed", "routed", "queue", "screening", "needs_info", "Enviado al equipo médico"]


# stage -> its title and a phrase of its explanation, per language
WORDING: dict[str, dict[str, tuple[str, str]]] = {
    "received": {
        "en": ("Received", "We have received your intake"),
        "es": ("Recibido", "Hemos recibido su formulario"),
    },
    "being_checked": {
        "en": ("Being checked", "We are checking your answers."),
        "es": ("Verificando sus respuestas", "Estamos verificando sus respuestas."),
    },
    "with_care_team": {
        "en": ("With the care team", "Our care team is reviewing your intake"),
        "es": ("Con el equipo médico", "Nuestro equipo médico está revisando"),
    },
    "waiting_for_answer": {
        "en": ("Waiting for your answer", "open the link in the email we sent you"),
        "es": ("Esperando su respuesta", "Abra el enlace del correo electrónico"),
    },
    "on_waitlist": {
        "en": ("On the waitlist", "We are not yet licensed in your state"),
        "es": ("En lista de espera", "Todavía no tenemos licencia en su estado"),
    },
    "accepted": {
        "en": ("Accepted", "A physician has accepted your intake"),
        "es": ("Aceptado", "Un médico ha aceptado su formulario"),
    },
    "not_able_to_continue": {
        "en": ("Not able to continue", "contact the practice and give your reference"),
        "es": ("No podemos continuar", "comuníquese con la consulta"),
    },
}


@pytest.mark.parametrize("language", LOCALES)
def test_each_status_reads_plainly_on_a_phone(browser: Any, app: Any, language: str) -> None:
    with serving(app) as base:
        for stage, wording in WORDING.items():
            client = PATIENT_AT_STAGE[stage](app, language)
            context = browser.new_context(viewport=PHONE, is_mobile=True, locale=LOCALES[language])
            try:
                share_session(context, client, base)
                page = context.new_page()
                page.set_default_timeout(15_000)
                page.goto(f"{base}/intake/status")
                title, explanation = wording[language]
                pill = page.locator(".status-pill")
                assert pill.inner_text() == title
                assert pill.get_attribute("data-stage") == stage
                assert explanation in page.locator(".status-explanation").inner_text()
                assert page.locator("html").get_attribute("lang") == language
                text = page.locator("main").inner_text()
                assert not [word for word in STAFF_WORDS if word in text], text
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"], f"{stage} is {width} px wide"
                screenshot(page, f"status-{language}-{stage}-390px")
            finally:
                context.close()


def test_the_done_page_of_an_out_of_state_patient_on_a_phone(browser: Any, app: Any) -> None:
    client, _ = submitted(app, "en", about=OUT_OF_STATE_ABOUT, medications=SYNTHROID)
    with serving(app) as base:
        context = browser.new_context(viewport=PHONE, is_mobile=True, locale="en-US")
        try:
            share_session(context, client, base)
            page = context.new_page()
            page.goto(f"{base}/intake/done")
            main = page.locator("main").inner_text()
            assert page.locator(".status-pill").inner_text() == "Received"
            assert "We are not yet licensed in your state" in main
            assert "licensed in your state decides" not in main
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            screenshot(page, "status-en-done-out-of-state-390px")
        finally:
            context.close()
