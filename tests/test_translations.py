"""The Spanish catalogue is complete and in step with the code; the app will not start without
its compiled form; document errors reach a Spanish patient in Spanish."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from intake.catalogue import extract, read_catalogue
from workflows.platform.i18n import LANGUAGES, CatalogueMissing

TRANSLATED = [language for language in LANGUAGES if language != "en"]


def _ids(catalogue: Any) -> set[Any]:
    return {message.id for message in catalogue if message.id}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    catalogue = read_catalogue(language)
    untranslated = [m.id for m in catalogue if m.id and not all(_strings(m))]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not untranslated, f"untranslated in {language}: {untranslated}"
    assert not fuzzy, f"fuzzy (check, then remove the flag) in {language}: {fuzzy}"


def _strings(message: Any) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_holds_exactly_the_strings_the_code_marks(language: str) -> None:
    marked = _ids(extract())
    catalogue = _ids(read_catalogue(language))
    missing = marked - catalogue
    stale = catalogue - marked
    assert not missing, (
        f"marked in the code but not in {language}'s catalogue: {missing}; run `make messages`"
    )
    assert not stale, (
        f"in {language}'s catalogue but no longer in the code: {stale}; run `make messages`"
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_of_every_translation_match_the_english(language: str) -> None:
    problems = [
        (message.id, [str(error) for error in errors])
        for message, errors in read_catalogue(language).check()
    ]
    assert not problems


def test_the_wtforms_catalogue_speaks_every_language() -> None:
    from wtforms.i18n import messages_path

    for language in TRANSLATED:
        assert (Path(messages_path()) / language / "LC_MESSAGES" / "wtforms.mo").exists()


def test_the_app_will_not_start_without_the_compiled_catalogue(
    tmp_path: Path, redis_url: str, database_url: str
) -> None:
    from intake import create_app

    with pytest.raises(CatalogueMissing, match=r"make translations"):
        create_app(
            {
                "TESTING": True,
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "INSTANCE_PATH": tmp_path / "instance",
                "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path / "no-catalogues"),
            }
        )


def test_a_document_error_reaches_a_spanish_patient_in_spanish(app: Any) -> None:
    from intake.patient.views import patient_message
    from workflows.screening.validation import FieldError

    schema_error = FieldError("medications[0].name", "Medication name: Enter the medication name.")
    other_error = FieldError(
        "patient.date_of_birth", "Date of birth cannot be after the submission date (2026-11-01)."
    )
    with app.test_request_context("/intake/review", headers={"Accept-Language": "es"}):
        assert patient_message(schema_error) == (
            "Sus medicamentos: Escriba el nombre del medicamento."
        )
        assert patient_message(other_error) == "Sus datos: revise esta respuesta, por favor."
    with app.test_request_context("/intake/review", headers={"Accept-Language": "en"}):
        assert patient_message(schema_error) == schema_error.message


def test_messages_in_a_worker_need_no_flask(base_intake: dict[str, Any]) -> None:
    from workflows.messaging.mail import messages

    message = messages.received("p@example.org", "LDN-AAAA-BBBB", 1, "es")
    assert message.subject == "Hemos recibido su formulario (LDN-AAAA-BBBB)"
    assert messages.received("p@example.org", "LDN-AAAA-BBBB", 1, "xx").subject == (
        "We received your intake (LDN-AAAA-BBBB)"
    )
