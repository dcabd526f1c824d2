"""The pure screening engine of ldn-intake.

    from workflows.screening import screen_document
    result = screen_document(intake_document)   # raises InvalidIntake

Imports no Flask, Celery, SQLAlchemy or Redis (a test checks it), so the command line, the
web app and the Celery task all run exactly the same function.
"""

from .codes import FlagCode, FlagKind
from .engine import ScreeningResult, screen, screen_document
from .intake import Intake
from .ruledata import RuleDataError, RuleSet, default_rules, load_rules
from .validation import FieldError, InvalidIntake, intake_errors, validate_intake

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
