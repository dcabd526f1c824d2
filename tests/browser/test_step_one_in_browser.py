"""Issue 18, items 2 and 3 in a real browser, in English and Spanish on a 390 px phone: a child
is told at step 1 that the practice sees adults only (a page reached by a redirect, so Back and
Forward never post again), corrects a mistyped year without typing again or deletes what was
typed; someone out of state chooses once between the waitlist and stopping."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LOCALES, PHONE, fits_the_phone, screenshot, serving

# What each language calls what the tests touch.
WORDS = {
    "en": {
        "first": "First name",
        "last": "Last name",
        "born": "Date of birth",
        "email": "Email address",
        "state": "State where you live",
        "save": "Save and continue",
        "adults": "We can only see adults",
        "change": "Change your date of birth",
        "delete": "Delete what I typed",
        "typed_deleted": "What you typed is deleted",
        "not_licensed": "We are not licensed in your state yet",
        "join": "Join the waitlist and continue",
        "stop": "Stop and delete my answers",
        "on_waitlist": "You are on our waitlist",
        "deleted": "Your answers are deleted",
        "step_2": "Step 2 of 7",
    },
    "es": {
        "first": "Nombre",
        "last": "Apellidos",
        "born": "Fecha de nacimiento",
        "email": "Correo electrónico",
        "state": "Estado donde vive",
        "save": "Guardar y continuar",
        "adults": "Solo podemos atender a adultos",
        "change": "Cambiar su fecha de nacimiento",
        "delete": "Borrar lo que escribí",
        "typed_deleted": "Lo que escribió se ha borrado",
        "not_licensed": "Todavía no tenemos licencia en su estado",
        "join": "Entrar en la lista de espera y continuar",
        "stop": "Terminar y borrar mis respuestas",
        "on_waitlist": "Está en nuestra lista de espera",
        "deleted": "Sus respuestas se han borrado",
        "step_2": "Paso 2 de 7",
    },
}


@pytest.fixture
def base(app: Any) -> Iterator[str]:
    with serving(app) as url:
        yield url


def phone(browser: Any, lang: str) -> Any:
    context = browser.new_context(viewport=PHONE, locale=LOCALES[lang])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def type_birth_date(page: Any, words: dict[str, str], iso: str) -> None:
    """The one place that knows how the date of birth is typed: month, day and year boxes."""
    year, month, day = iso.split("-")
    boxes = page.get_by_role("group", name=words["born"])
    for part, value in (("month", month), ("day", day), ("year", year)):
        boxes.locator(f"#date_of_birth-{part}").fill(str(int(value)))


def fill_step_1(page: Any, words: dict[str, str], born: str, state: str) -> None:
    page.get_by_label(words["first"], exact=True).fill("Dolores")
    page.get_by_label(words["last"]).fill("Quintanilla")
    type_birth_date(page, words, born)
    page.get_by_label(words["email"]).fill("dolores@example.org")
    page.get_by_label(words["state"]).select_option(state)
    page.get_by_role("button", name=words["save"]).click()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_child_is_told_at_step_1_and_corrects_a_mistyped_year(
    browser: Any, base: str, lang: str
) -> None:
    words = WORDS[lang]
    page = phone(browser, lang)
    page.goto(f"{base}/intake/about")
    fill_step_1(page, words, "2012-04-02", "TX")

    expect(page.get_by_role("heading", level=1)).to_have_text(words["adults"])
    assert page.url == f"{base}/intake/adults-only"
    assert "2012" in page.locator(".lead").inner_text()
    fits_the_phone(page)
    screenshot(page, f"issue18-02-adults-only-{lang}-390")

    page.get_by_role("link", name=words["change"]).click()
    expect(page.get_by_label(words["first"], exact=True)).to_have_value("Dolores")
    assert page.url.endswith("/intake/about#date_of_birth")
    assert page.get_by_label(words["email"]).input_value() == "dolores@example.org"
    type_birth_date(page, words, "1982-04-02")
    page.get_by_role("button", name=words["save"]).click()
    expect(page.get_by_text(words["step_2"])).to_be_visible()
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_back_and_forward_around_the_adults_only_page_never_post_again(
    browser: Any, base: str, lang: str
) -> None:
    words = WORDS[lang]
    page = phone(browser, lang)
    page.goto(f"{base}/intake/about")
    fill_step_1(page, words, "2012-04-02", "TX")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["adults"])

    # From here on, history navigation: record every request and every dialog.
    methods: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: methods.append(request.method))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    assert page.go_back() is not None
    assert page.url == f"{base}/intake/about"
    expect(page.get_by_label(words["first"], exact=True)).to_have_value("Dolores")
    forward = page.go_forward()
    assert forward is not None and forward.request.method == "GET" and forward.ok
    expect(page.get_by_role("heading", level=1)).to_have_text(words["adults"])
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["adults"])
    assert "POST" not in methods and dialogs == []
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_child_may_delete_what_was_typed(browser: Any, base: str, lang: str) -> None:
    words = WORDS[lang]
    page = phone(browser, lang)
    page.goto(f"{base}/intake/about")
    fill_step_1(page, words, "2012-04-02", "TX")
    page.get_by_role("button", name=words["delete"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(words["typed_deleted"])
    fits_the_phone(page)
    screenshot(page, f"issue18-02-adults-only-deleted-{lang}-390")
    page.goto(f"{base}/intake/about")
    expect(page.get_by_label(words["first"], exact=True)).to_have_value("")
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_out_of_state_chooses_the_waitlist_once_and_the_later_steps_say_it_briefly(
    browser: Any, base: str, lang: str
) -> None:
    words = WORDS[lang]
    page = phone(browser, lang)
    page.goto(f"{base}/intake/about")
    fill_step_1(page, words, "1982-04-02", "KS")

    expect(page.get_by_role("heading", level=1)).to_have_text(words["not_licensed"])
    fits_the_phone(page)
    screenshot(page, f"issue18-03-waitlist-choice-{lang}-390")

    page.get_by_role("button", name=words["join"]).click()
    expect(page.get_by_text(words["step_2"])).to_be_visible()
    expect(page.get_by_text(words["on_waitlist"])).to_be_visible()
    assert page.get_by_role("heading", name=words["not_licensed"]).count() == 0
    fits_the_phone(page)
    screenshot(page, f"issue18-03-waitlist-step-2-{lang}-390")
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_out_of_state_may_stop_here_and_the_answers_are_deleted(
    browser: Any, base: str, lang: str
) -> None:
    words = WORDS[lang]
    page = phone(browser, lang)
    page.goto(f"{base}/intake/about")
    fill_step_1(page, words, "1982-04-02", "KS")
    page.get_by_role("button", name=words["stop"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(words["deleted"])
    fits_the_phone(page)
    screenshot(page, f"issue18-03-stopped-{lang}-390")
    page.goto(f"{base}/intake/about")
    expect(page.get_by_label(words["first"], exact=True)).to_have_value("")
    page.context.close()
