"""Spanish for the patient side: Flask-Babel, the locale of each request, the language switch.

The locale of a patient page is, in order: the language the patient chose with the switch
(kept in the session and on their draft), else the best match of the browser's
Accept-Language among the languages we speak, else English. Staff pages, the API and the
developer pages are always English. Catalogues live in ``intake/translations`` and are
compiled at build time (`make translations`); the app refuses to start without them rather
than show Spanish patients English pages without a word of warning.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_babel import Babel, get_locale, gettext, refresh
from flask_babel import lazy_gettext as _l

from workflows.platform.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    TRANSLATIONS_DIR,
    CatalogueMissing,
    catalogue_path,
)

__all__ = [
    "LANGUAGE_KEY",
    "SWITCH_LABELS",
    "init_i18n",
    "select_locale",
    "current_language",
    "choose_language",
    "translated",
]

babel = Babel()
LANGUAGE_KEY = "language"
# Paths whose pages stay English whatever the browser asks for.
_ENGLISH_ONLY = ("/staff", "/api/", "/dev", "/healthz")
# The switch speaks the language it offers, to someone who may not read the page's.
SWITCH_LABELS = {"en": "View in English", "es": "Ver en español"}

# Messages that other libraries put on our forms and pages, marked here so that they are
# extracted into the catalogue; `translated()` looks them up when they are shown.
_FOREIGN_MESSAGES = (
    _l("The CSRF token is missing."),
    _l("The CSRF session token is missing."),
    _l("The CSRF token has expired."),
    _l("The CSRF token is invalid."),
    _l("The CSRF tokens do not match."),
    _l("Bad Request"),
    _l("Forbidden"),
    _l("Not Found"),
    _l("Method Not Allowed"),
    _l("Request Entity Too Large"),
    _l("Too Many Requests"),
    _l("Internal Server Error"),
    _l("Service Unavailable"),
)


def init_i18n(app: Flask) -> None:
    """Wire Flask-Babel (and WTForms' own messages) into the app; check the catalogues exist."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    directory = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    for language in LANGUAGES:
        if language != DEFAULT_LANGUAGE and not catalogue_path(language, directory).exists():
            raise CatalogueMissing(catalogue_path(language, directory))
    # Flask-WTF hands WTForms the request locale, so its built-in messages follow it too.
    app.config.setdefault("WTF_I18N_ENABLED", True)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["translate"] = translated  # a message known only at run time
    app.jinja_env.globals.update(
        current_language=current_language,
        switch_labels=SWITCH_LABELS,
        LANGUAGES=LANGUAGES,
        language_names=LANGUAGE_NAMES,  # in English, for staff pages
    )


def select_locale() -> str:
    if request.path.startswith(_ENGLISH_ONLY):
        return DEFAULT_LANGUAGE
    chosen = session.get(LANGUAGE_KEY)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of this request ("en" or "es"); English outside a request."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def choose_language(language: str) -> str:
    """Make ``language`` the patient's choice for this and later requests."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    session[LANGUAGE_KEY] = language
    refresh()  # this request's pages are rendered in the new language too
    return language


def translated(message: object) -> str:
    """A message in the request's language: ours are lazy already; others' are looked up."""
    return gettext(str(message))
