"""Validating an intake document: a fast path for valid documents, precise errors for the rest.

Valid documents dominate, so they go through a validator compiled to Python code
(fastjsonschema) and straight into the typed Intake. Anything it rejects, or that fails to
parse (an impossible date slips past a date regex), is validated again by jsonschema, which
collects every error at once; each becomes a FieldError naming the field path
(``medications[1].stopped_on``) with a message in plain words from the schema's ``x-label`` and
``x-messages`` annotations. Both validators read the same schema file, and a test checks that
they agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastjsonschema

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

from .intake import Intake

__all__ = [
    "SCHEMA_PATH",
    "FieldError",
    "InvalidIntake",
    "validate_intake",
    "intake_errors",
    "schema_messages",
]

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "intake.schema.json"
DOCUMENT = "(document)"
EARLIEST_BIRTH = date(1900, 1, 1)
_TYPE_WORDS = {
    "string": "text",
    "boolean": "yes or no (true or false)",
    "integer": "a whole number",
    "number": "a number",
    "array": "a list",
    "object": "a group of answers (a JSON object)",
    "null": "empty",
}


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class InvalidIntake(ValueError):
    """The document is not a valid intake; ``errors`` has one entry per bad field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))

    def to_dict(self) -> dict[str, Any]:
        return {"error": "invalid_intake", "errors": [e.to_dict() for e in self.errors]}


@cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


# fastjsonschema's draft-06 code is about twice as fast as its draft-07/2019 code, whose `if`
# support costs a frame inspection per object. The fast path therefore compiles the schema
# without its one if/then (a stopped medication needs stopped_on) and checks that rule on the
# typed intake instead; a test keeps both paths in agreement.
_FAST_DRAFT = "http://json-schema.org/draft-06/schema#"
_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"  # real dates are checked by date.fromisoformat


def _inline_refs(node: Any, definitions: dict[str, Any]) -> Any:
    """The schema with every local ``$ref`` replaced by its definition: fastjsonschema calls a
    function per reference and formats its error prefix even when the value is valid."""
    if isinstance(node, list):
        return [_inline_refs(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref", "")
    if ref.startswith("#/$defs/"):
        merged = {**definitions[ref.removeprefix("#/$defs/")], **node}
        del merged["$ref"]
        return _inline_refs(merged, definitions)
    return {key: _inline_refs(value, definitions) for key, value in node.items()}


@cache
def _fast_validator() -> Any:
    schema = _inline_refs(_schema(), _schema()["$defs"])
    schema["$schema"] = _FAST_DRAFT
    medication = schema["properties"]["medications"]["items"]
    medication.pop("if")
    medication.pop("then")
    return fastjsonschema.compile(schema, formats={"date": _DATE_PATTERN})


def _fast_path(document: dict[str, Any]) -> Intake | None:
    """The typed intake when the document is valid, else None (the precise path decides)."""
    try:
        _fast_validator()(document)
        intake = Intake.from_document(document)  # real dates: fromisoformat refuses 02-30
    except (fastjsonschema.JsonSchemaException, ValueError):
        return None
    if any(not m.is_current and m.stopped_on is None for m in intake.medications):
        return None
    return intake


@cache
def _precise_validator() -> Draft202012Validator:
    # Imported here, for rejected documents only: jsonschema and its referencing stack cost
    # every web process several MB that valid submissions (the fast path) never use.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate_intake(document: Any) -> Intake:
    """Return the typed intake, or raise InvalidIntake listing every bad field."""
    intake = _fast_path(document) if isinstance(document, dict) else None
    if intake is not None:
        semantic = list(_semantic_errors(document, set()))
        if not semantic:
            return intake
        raise InvalidIntake(semantic)
    errors = intake_errors(document)
    if not errors:  # the two validators disagree: never hide it behind a vague message
        errors = [FieldError(DOCUMENT, "The intake could not be read; please check every field.")]
    raise InvalidIntake(errors)


def intake_errors(document: Any) -> list[FieldError]:
    """Every problem with ``document``: schema errors first, then impossible date orders."""
    if not isinstance(document, dict):
        kind = _TYPE_WORDS.get(_json_type(document), "something else")
        return [FieldError(DOCUMENT, f"The intake must be a JSON object of answers, not {kind}.")]
    errors: list[FieldError] = []
    for error in _precise_validator().iter_errors(document):
        errors.extend(_field_errors(error))
    errors = list(dict.fromkeys(errors))  # one entry per field and message, first kept
    errors.extend(_semantic_errors(document, {e.field for e in errors}))
    return errors


def _semantic_errors(document: Mapping[str, Any], already_bad: set[str]) -> Iterable[FieldError]:
    """Dates that are real but impossible together (born after submitting, stopped in future)."""
    submitted = _parse_date(document.get("submitted_at"))
    if submitted is None:
        return
    patient = document.get("patient")
    if isinstance(patient, dict) and "patient.date_of_birth" not in already_bad:
        born = _parse_date(patient.get("date_of_birth"))
        if born is not None and born > submitted:
            yield FieldError(
                "patient.date_of_birth",
                f"Date of birth cannot be after the submission date ({submitted.isoformat()}).",
            )
        elif born is not None and born < EARLIEST_BIRTH:
            yield FieldError("patient.date_of_birth", "Date of birth must be in 1900 or later.")
    medications = document.get("medications")
    if isinstance(medications, list):
        for index, medication in enumerate(medications):
            field = f"medications[{index}].stopped_on"
            if not isinstance(medication, dict) or field in already_bad:
                continue
            stopped = _parse_date(medication.get("stopped_on"))
            if stopped is not None and stopped > submitted:
                yield FieldError(
                    field,
                    "The date you stopped cannot be after the submission date "
                    f"({submitted.isoformat()}); list a medication you still take as current.",
                )


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "")


def field_path(parts: Iterable[Any]) -> str:
    """("medications", 1, "stopped_on") -> "medications[1].stopped_on"."""
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or DOCUMENT


def _field_errors(error: ValidationError) -> list[FieldError]:
    path = list(error.absolute_path)
    custom = error.schema.get("x-messages", {}) if isinstance(error.schema, dict) else {}
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return [
            FieldError(
                field_path([*path, name]),
                custom.get("required")
                or f"{_capital(_label([*path, name]))}: this answer is required.",
            )
            for name in missing
        ]
    label = _capital(_label(path))
    message = custom.get(str(error.validator))
    value = error.instance
    if error.validator == "enum":
        choices = ", ".join(str(choice) for choice in error.validator_value)
        message = f"{label}: {_shown(value)} is not one of the choices. " + (
            message or f"Choose one of: {choices}."
        )
    elif error.validator == "format":
        message = f"{label}: {_shown(value)} is not a real date. " + (
            message or "Enter it as YYYY-MM-DD."
        )
    elif error.validator == "type":
        expected = error.validator_value
        words = " or ".join(
            _TYPE_WORDS.get(t, t) for t in (expected if isinstance(expected, list) else [expected])
        )
        message = f"{label}: {message}" if message else f"{label} must be {words}."
    elif error.validator in ("minimum", "maximum"):
        message = f"{label}: {_shown(value)} is out of range. " + (
            message or f"The {error.validator} is {error.validator_value}."
        )
    elif error.validator == "maxLength":
        message = f"{label} is too long: at most {error.validator_value} characters."
    elif error.validator == "maxItems":
        message = f"{label}: at most {error.validator_value} entries."
    else:
        message = message or f"{label} is not valid."
    return [FieldError(field_path(path), message)]


@cache
def schema_messages() -> tuple[str, ...]:
    """Every `x-messages` text of the schema, longest first (a page may translate them)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.update(m for m in node.get("x-messages", {}).values() if isinstance(m, str))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(_schema())
    return tuple(sorted(found, key=lambda message: (-len(message), message)))


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


@cache
def _labels() -> dict[str, str]:
    """Plain names of fields by path pattern ("medications.*.stopped_on" -> "date you stopped")."""
    schema = _schema()
    labels: dict[str, str] = {}

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return {**schema["$defs"][ref.removeprefix("#/$defs/")], **node}
        return node

    def walk(node: dict[str, Any], key: str) -> None:
        node = resolve(node)
        if "x-label" in node:
            labels[key] = node["x-label"]
        for name, child in node.get("properties", {}).items():
            walk(child, f"{key}.{name}" if key else name)
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{key}.*")

    walk(schema, "")
    return labels


def _label(path: list[Any]) -> str:
    pattern = ".".join("*" if isinstance(part, int) else str(part) for part in path)
    label = _labels().get(pattern)
    if label is None:
        return str(path[-1]) if path else "the intake"
    index = next((part for part in reversed(path) if isinstance(part, int)), None)
    return label if index is None else f"{label} (entry {index + 1})"
