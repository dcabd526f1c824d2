"""Counting the SQL statements of one unit of work (a web request), for the scale benchmark.

Only switched on by LDN_BENCH_COUNT_STATEMENTS=1 (intake/statement_count.py): a production
process never installs the listener.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, event

__all__ = ["count_statements_on", "start_counting", "statements_counted"]

# One counter per unit of work: gunicorn's threads each run their own request, and a context
# variable set at the start of a request is what that thread's queries see.
_statements: ContextVar[list[int] | None] = ContextVar("statements_counted", default=None)


def count_statements_on(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_: Any) -> None:
        counter = _statements.get()
        if counter is not None:
            counter[0] += 1


def start_counting() -> None:
    _statements.set([0])


def statements_counted() -> int | None:
    counter = _statements.get()
    return counter[0] if counter is not None else None
