"""One logging set-up for every process: web (gunicorn), worker, beat and ``make run``.

One line per event, JSON by default, ``LOG_FORMAT=text`` for a developer's terminal:

    {"ts": "2026-12-02T18:30:00.123+00:00", "level": "info", "event": "case.screened",
     "case_id": 7, "task_id": "5c1e...", "request_id": null, "logger": "workflows.cases.pipeline",
     "decision": "eligible", "rule_set_version": "...", "flags": ["OPIOID_CURRENT"]}

Log calls name the event and pass ids and codes in ``extra``. The ids of the surroundings come
from the context when the call does not give them: the web request's id (bound by
``intake.request_ids``) and the id of Celery's current task. Any other ``extra`` key must be on
ALLOWED_KEYS and hold a plain value (a number, a code, a list of codes), else it is dropped
before rendering: a name, birth date, address or free text passed by mistake is never printed.
An exception is rendered as its class and its frames, and its text is cut out of the message
(database errors quote the row they failed on; SMTP errors quote addresses).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from types import MappingProxyType
from typing import IO, Any, cast

__all__ = [
    "ALLOWED_KEYS",
    "LOG_FORMATS",
    "bind",
    "bound",
    "configure_logging",
    "formatter_for",
    "gunicorn_log_config",
    "handler_for",
    "unbind",
]

LOG_FORMATS = ("json", "text")

# The ids every line carries (null when the event has none), in this order after the event.
CONTEXT_KEYS = ("case_id", "task_id", "request_id")

# Keys a log call may add: ids, counts, durations, status names, codes, error class names.
# A key that is not here is dropped, whatever its value: add one only for data that can never
# be personal (never a name, contact detail, date of birth, medication or text someone typed).
ALLOWED_KEYS = frozenset(
    {
        # ids
        "case_id",
        "task_id",
        "request_id",
        "message_id",
        "delivery_id",
        "endpoint_id",
        "draft_id",
        "staff_id",
        "task",
        # counts and durations
        "attempt",
        "count",
        "priority",
        "duration_ms",
        # status names and codes
        "status",
        "decision",
        "queue",
        "channel",
        "kind",
        "outcome",
        "flags",
        "fields",
        "rule_set_version",
        "next_attempt_at",
        # error class names
        "error",
    }
)

# A value of an allowed key is a number, a boolean or a code: letters, digits and a few
# separators, no spaces and no "@", so a sentence or an address put under an allowed key by
# mistake is dropped as well.
_CODE = re.compile(r"[A-Za-z0-9_.:+\-/\[\]]{0,100}")

# Attributes every LogRecord has: anything else on a record came from ``extra``.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None))) | {
    "message",
    "asctime",
}

# A context variable rather than a thread-local: a gunicorn worker serves requests on several
# threads and the test worker runs tasks on a thread pool, and each must see only its own ids.
_bound: ContextVar[Mapping[str, object]] = ContextVar("ldn_log_ids", default=MappingProxyType({}))


def bind(**ids: object) -> Token[Mapping[str, object]]:
    """Add ids to every line logged from here on in this context; `unbind(token)` undoes it."""
    return _bound.set(MappingProxyType({**_bound.get(), **ids}))


def unbind(token: Token[Mapping[str, object]]) -> None:
    _bound.reset(token)


@contextmanager
def bound(**ids: object) -> Iterator[None]:
    token = bind(**ids)
    try:
        yield
    finally:
        unbind(token)


def _current_task_id() -> str | None:
    # Only a process that imported Celery can be running a task; importing it here would cost
    # the `make run` launcher and the CLI about 130 ms for nothing.
    celery_state = sys.modules.get("celery._state")
    task = celery_state.get_current_task() if celery_state is not None else None
    return getattr(task.request, "id", None) if task is not None else None


def _access_line_request_id(record: logging.LogRecord) -> object:
    # Gunicorn logs the access line after the request's context is gone; its atoms hold the
    # response's headers, the request id among them ("-" when missing).
    if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
        value = record.args.get("{x-request-id}o")
        return value if value not in (None, "-") else None
    return None


WITHHELD = "(exception text withheld)"


def _event_of(record: logging.LogRecord) -> str:
    """The record's message, without the text of an exception in it."""
    # Celery's task lines put the exception's text in args["exc"] (a failure's repr, a retry's
    # reason): the line keeps the task's name and id, and the class goes in "error".
    if isinstance(record.args, Mapping) and "exc" in record.args:
        return str(record.msg) % {**record.args, "exc": WITHHELD}
    message = record.getMessage()
    error = record.exc_info[1] if record.exc_info else None
    for text in {str(error), repr(error)} if error is not None else ():
        if text:
            message = message.replace(text, WITHHELD)
    return message


def _is_plain(value: object) -> bool:
    if value is None or isinstance(value, bool | int | float):
        return True
    if isinstance(value, str):
        return _CODE.fullmatch(value) is not None
    if isinstance(value, list | tuple | frozenset | set):
        return all(_is_plain(item) and not isinstance(item, list | tuple) for item in value)
    return False


def _plain(value: object) -> object:
    return sorted(value) if isinstance(value, frozenset | set) else value


def event_fields(record: logging.LogRecord) -> dict[str, object]:
    """What a line says about a record: its event, the context's ids, and the allowed extras."""
    context = _bound.get()
    fields: dict[str, object] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "event": _event_of(record),
        "case_id": context.get("case_id"),
        "task_id": context.get("task_id") or _current_task_id(),
        "request_id": context.get("request_id") or _access_line_request_id(record),
        "logger": record.name,
    }
    for key, value in vars(record).items():
        if key in _RECORD_ATTRIBUTES or key not in ALLOWED_KEYS or not _is_plain(value):
            continue
        fields[key] = _plain(value)
    if record.exc_info and record.exc_info[0] is not None:
        error_class, _, trace = record.exc_info
        fields.setdefault("error", error_class.__name__)
        fields["frames"] = [
            f"{frame.filename}:{frame.lineno} in {frame.name}"
            for frame in traceback.extract_tb(trace)
        ]
    return fields


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line (the default: for a log collector)."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(event_fields(record), default=str)


class TextLineFormatter(logging.Formatter):
    """One readable line for a developer's terminal, with the same fields as the JSON."""

    def format(self, record: logging.LogRecord) -> str:
        fields = event_fields(record)
        head = f"{fields.pop('ts')} {str(fields.pop('level')).upper():<7} {fields.pop('event')}"
        logger_name = fields.pop("logger")
        frames = cast(list[str], fields.pop("frames", []))  # event_fields: a list of lines
        pairs = " ".join(f"{key}={_text_value(value)}" for key, value in fields.items())
        lines = [f"{head} {pairs} [{logger_name}]", *(f"    at {frame}" for frame in frames)]
        return "\n".join(lines)


def _text_value(value: object) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else json.dumps(value, default=str)


def formatter_for(log_format: str) -> logging.Formatter:
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    return JsonLineFormatter() if log_format == "json" else TextLineFormatter()


def handler_for(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    """A handler that writes this set-up's lines to ``stream`` (standard output by default)."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler.setFormatter(formatter_for(log_format))
    return handler


def _is_ours(handler: logging.Handler) -> bool:
    return isinstance(handler.formatter, JsonLineFormatter | TextLineFormatter)


def configure_logging(log_format: str, level: int | str = logging.INFO) -> None:
    """Send every logger's records through one handler of this set-up on the root logger.

    Called once per process at its edge (the app factory, the worker's and beat's
    ``setup_logging`` signal, the ``make run`` launcher); calling it again replaces that
    handler, and handlers someone else added (pytest's, an error reporter's) stay.
    """
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if _is_ours(handler)]:
        root.removeHandler(handler)
    root.addHandler(handler_for(log_format))
    root.setLevel(level)


def gunicorn_log_config(log_format: str) -> dict[str, Any]:
    """Gunicorn's ``logconfig_dict``: its own loggers (the arbiter's messages, the access
    lines) go through the root handler of this set-up instead of gunicorn's own."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"ldn": {"()": formatter_for, "log_format": log_format}},
        "handlers": {
            "ldn": {
                "class": "logging.StreamHandler",
                "formatter": "ldn",
                "stream": "ext://sys.stdout",
            }
        },
        "root": {"level": "INFO", "handlers": ["ldn"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
        },
    }
