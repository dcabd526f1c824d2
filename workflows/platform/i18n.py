"""The patient's language outside a web request: gettext catalogues for workers and services.

Messages to a patient (resume link, confirmation, requests for more information) are composed
by services that a Celery worker runs, where there is no request and no Flask-Babel locale.
They read the same compiled catalogue as the web pages (``intake/translations``) through
Babel's plain gettext API, so this module knows nothing of Flask.
"""

from __future__ import annotations

from functools import cache
from gettext import NullTranslations
from pathlib import Path

from babel.support import Translations

__all__ = [
    "LANGUAGES",
    "DEFAULT_LANGUAGE",
    "LANGUAGE_NAMES",
    "TRANSLATIONS_DIR",
    "DOMAIN",
    "CatalogueMissing",
    "catalogue_path",
    "known_language",
    "translations",
]

DEFAULT_LANGUAGE = "en"
# The languages a patient may use; English is the source language of every string.
LANGUAGES = ("en", "es")
# Each language named in English, for staff pages (which stay English).
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}
TRANSLATIONS_DIR = Path(__file__).resolve().parents[2] / "intake" / "translations"
DOMAIN = "messages"  # one catalogue for pages, forms and messages


class CatalogueMissing(RuntimeError):
    """A compiled catalogue (.mo) is missing: the build step was skipped."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The compiled message catalogue {path} is missing. Run `make translations` "
            "(pybabel compile -d intake/translations); `make run` and `make test` do it for you."
        )
        self.path = path


def known_language(language: str | None) -> str:
    """``language`` if the service speaks it, else English (old rows, odd input)."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def catalogue_path(language: str, directory: Path = TRANSLATIONS_DIR) -> Path:
    """Where the compiled catalogue (.mo) of ``language`` lives."""
    return directory / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


@cache
def translations(language: str | None) -> NullTranslations:
    """The gettext translations of ``language``; English needs none (its strings are the ids)."""
    language = known_language(language)
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    path = catalogue_path(language)
    if not path.exists():
        raise CatalogueMissing(path)
    return Translations.load(str(TRANSLATIONS_DIR), [language], DOMAIN)
