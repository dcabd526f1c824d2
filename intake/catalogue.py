"""The message catalogues: extracting, checking and compiling them with Babel's own API.

`make messages` and `make translations` run pybabel; tests use these functions so that a
fresh clone run with plain `pytest` has the same compiled catalogue as `make test`, and so
that a test can compare what the code marks for translation with what the catalogue holds.

The intake schema's `x-messages` are plain JSON, which no standard extractor reads:
`extract_schema_messages` is the extractor babel.cfg names for it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from workflows.platform.i18n import DOMAIN, LANGUAGES, TRANSLATIONS_DIR

__all__ = [
    "REPO_ROOT",
    "KEYWORDS",
    "extract_schema_messages",
    "extract",
    "po_path",
    "read_catalogue",
    "compile_catalogues",
]

REPO_ROOT = TRANSLATIONS_DIR.parents[1]
# The gettext functions of the code base: pybabel's defaults (_ gettext ngettext N_ ...) plus
# lazy_gettext and its short name _l. `make messages` passes the same list to pybabel.
KEYWORDS: dict[str, Any] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "_l": None,
    "lazy_gettext": None,
}


def extract_schema_messages(
    fileobj: Any, keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extractor: every `x-messages` text of a JSON schema (line numbers are 1)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.extend(m for m in node.get("x-messages", {}).values() if isinstance(m, str))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(fileobj.read().decode("utf-8")))
    for message in dict.fromkeys(found):
        yield 1, None, message, ["intake schema x-messages"]


def extract(root: Path = REPO_ROOT) -> Catalog:
    """The template catalogue (.pot) of the code as it is now, as babel.cfg describes it."""
    with open(root / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config, str(root / "babel.cfg"))
    catalog = Catalog(project="ldn-intake", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(language: str) -> Path:
    return TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(language: str) -> Catalog:
    with open(po_path(language), "rb") as po:
        return read_po(po, locale=language, domain=DOMAIN)


def compile_catalogues() -> list[Path]:
    """Compile every .po to its .mo (what `pybabel compile` does); fuzzy entries are left out."""
    written = []
    for language in LANGUAGES:
        if not po_path(language).exists():
            continue
        catalog = read_catalogue(language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        target = po_path(language).with_suffix(".mo")
        if not target.exists() or target.read_bytes() != buffer.getvalue():
            target.write_bytes(buffer.getvalue())
        written.append(target)
    return written
