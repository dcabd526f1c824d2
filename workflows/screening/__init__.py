"""The pure screening engine of ldn-intake.

    from workflows.screening import screen_document
    result = screen_document(intake_document)   # raises InvalidIntake

Imports no Flask, Celery, SQLAlchemy or Redis (a test checks it), so the command line, the
web app and the Celery task all run exactly the same function.

The names below are imported on first use (PEP 562): the web process needs only validation
and the flag codes, and should not pay for the matching engine (rapidfuzz, the rule data and
jsonschema) in every gunicorn worker.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .codes import FlagCode, FlagKind
    from .engine import ScreeningResult, screen, screen_document
    from .intake import Intake
    from .ruledata import RuleDataError, RuleSet, default_rules, load_rules
    from .validation import FieldError, InvalidIntake, intake_errors, validate_intake

_HOME = {
    "FlagCode": "codes",
    "FlagKind": "codes",
    "ScreeningResult": "engine",
    "screen": "engine",
    "screen_document": "engine",
    "Intake": "intake",
    "RuleDataError": "ruledata",
    "RuleSet": "ruledata",
    "default_rules": "ruledata",
    "load_rules": "ruledata",
    "FieldError": "validation",
    "InvalidIntake": "validation",
    "intake_errors": "validation",
    "validate_intake": "validation",
}

__all__ = [
    "FieldError",
    "FlagCode",
    "FlagKind",
    "Intake",
    "InvalidIntake",
    "RuleDataError",
    "RuleSet",
    "ScreeningResult",
    "default_rules",
    "intake_errors",
    "load_rules",
    "screen",
    "screen_document",
    "validate_intake",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])
