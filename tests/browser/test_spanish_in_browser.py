"""A patient fills the intake partly in Spanish in a real browser, switching language half way:
nothing typed is lost, the case is Spanish and routes on the Spanish drug name."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.browser.test_patient_intake_in_browser import fill_date_of_birth
from tests.conftest import wait_until
from workflows.cases.models import Case
from workflows.messaging.models import OutboxMessage


def html_lang(page: Any) -> str:
    return page.evaluate("document.documentElement.lang")


def test_an_intake_in_spanish_with_a_switch_to_english_and_back_routes_the_case(
    page: Any, live_server: str, app: Any
) -> None:
    page.goto(f"{live_server}/")
    switch = page.get_by_role("navigation", name="Language").get_by_role("link")
    assert switch.get_attribute("hreflang") == "es" and switch.get_attribute("lang") == "es"
    switch.click()
    expect(page.locator("html")).to_have_attribute("lang", "es")  # waits for the new page
    page.get_by_role("link", name="Comenzar ahora").click()

    # Step 1 in Spanish, first with mistakes: the errors are Spanish too.
    assert page.get_by_text("Paso 1 de 7").is_visible()
    page.get_by_label("Nombre", exact=True).fill("Zebulon")
    fill_date_of_birth(page, "1", "1", "2090")
    page.get_by_label("Correo electrónico").fill("zebulon-arroba-example")
    page.get_by_role("button", name="Guardar y continuar").click()
    summary = page.get_by_role("alert")
    assert "Hay 4 problemas que corregir" in summary.inner_text()
    assert summary.get_by_role("link", name="Escriba sus apellidos.").is_visible()
    assert summary.get_by_role("link", name="Elija el estado donde vive.").is_visible()
    assert page.get_by_label("Nombre", exact=True).input_value() == "Zebulon"
    screenshot(page, "es-01-about-errors")

    page.get_by_label("Apellidos").fill("Fogwhistle")
    fill_date_of_birth(page, "4", "2", "1980")
    page.get_by_label("Correo electrónico").fill("zebulon@example.org")
    page.get_by_label("Estado donde vive").select_option("TX")
    page.get_by_role("button", name="Guardar y continuar").click()

    expect(page.get_by_text("Paso 2 de 7")).to_be_visible()
    page.get_by_label("Diagnóstico", exact=True).fill("enfermedad de Crohn")
    page.get_by_role("button", name="Guardar y continuar").click()

    # Step 3: type, then switch to English before saving; what was typed comes along.
    assert page.get_by_text("Paso 3 de 7").is_visible()
    page.get_by_label("Medicamento o suplemento").fill("oxicodona")
    page.get_by_label("Dosis (opcional)").fill("5 mg dos veces al día")
    switch = page.get_by_role("group", name="Idioma").get_by_role("button")
    assert switch.get_attribute("lang") == "en"
    switch.click()
    expect(page.get_by_text("Step 3 of 7")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.get_by_label("Medication or supplement").input_value() == "oxicodona"
    assert page.get_by_label("Dose (optional)").input_value() == "5 mg dos veces al día"
    screenshot(page, "es-03-switched-to-english")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_text("Step 4 of 7")).to_be_visible()
    for group in page.locator("fieldset.radios--inline").all():
        group.get_by_label("No", exact=True).check()
    page.get_by_label("No liver disease").check()
    page.get_by_label("No diabetes").check()
    page.get_by_role("button", name="Save and continue").click()

    # Step 5: back to Spanish with the switch, after ticking a goal.
    assert page.get_by_text("Step 5 of 7").is_visible()
    page.get_by_label("Fatigue or low energy", exact=True).check()
    page.get_by_role("group", name="Language").get_by_role("button").click()
    expect(page.get_by_text("Paso 5 de 7")).to_be_visible()
    assert page.get_by_label("Cansancio o falta de energía", exact=True).is_checked()
    page.get_by_label("¿Cuánto le afectan el cansancio o la falta de energía?").select_option("8")
    page.get_by_role("button", name="Guardar y continuar").click()

    expect(page.get_by_text("Paso 6 de 7")).to_be_visible()
    page.get_by_label("No, solo LDN").check()
    page.get_by_role("button", name="Guardar y continuar").click()

    expect(page.get_by_text("Paso 7 de 7")).to_be_visible()
    assert page.get_by_text("oxicodona, 5 mg dos veces al día (lo toma ahora)").is_visible()
    assert page.get_by_text("enfermedad de Crohn").is_visible()
    for checkbox in page.locator("input[type=checkbox]").all():
        checkbox.check()
    page.get_by_label("Escriba su nombre completo como firma").fill("Zebulon Fogwhistle")
    screenshot(page, "es-07-review")
    page.get_by_role("button", name="Enviar mi formulario").click()

    expect(
        page.get_by_role("heading", name="Gracias, hemos recibido su formulario")
    ).to_be_visible()
    reference = page.locator(".reference").inner_text()
    screenshot(page, "es-08-confirmation")

    def routed() -> Case | None:
        with app.extensions["ldn"].sessions() as db:
            case = db.scalars(select(Case).where(Case.public_id == reference)).one()
            return case if case.status == "routed" else None

    case = wait_until(routed)
    assert case.language == "es"
    [stop] = case.screening_result["hard_stops"]
    assert (stop["code"], stop["evidence"]) == ("OPIOID_CURRENT", "oxicodona")
    assert [c["matched"] for c in case.screening_result["conditions"]] == ["crohn_disease"]

    def received() -> OutboxMessage | None:
        with app.extensions["ldn"].sessions() as db:
            query = select(OutboxMessage).where(OutboxMessage.kind == "received")
            return db.scalars(query).one_or_none()

    assert wait_until(received).subject == f"Hemos recibido su formulario ({reference})"
    page.get_by_role("link", name="Ver el estado ahora").click()
    expect(page.locator(".status-pill")).to_have_text("Con el equipo médico")
    screenshot(page, "es-09-status")


def test_a_spanish_step_with_errors_reads_well_on_a_phone(browser: Any, live_server: str) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, locale="es-MX"
    )
    page = context.new_page()
    page.goto(f"{live_server}/intake/about")
    assert html_lang(page) == "es"
    page.get_by_role("button", name="Guardar y continuar").click()
    expect(page.get_by_role("alert")).to_contain_text("Hay 5 problemas que corregir")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width} px)"
    screenshot(page, "es-11-about-errors-phone")
    context.close()
