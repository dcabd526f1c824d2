"""Statements per request, for the scale benchmark (bench/scale.py).

With ``LDN_BENCH_COUNT_STATEMENTS=1`` every response carries ``X-Statement-Count``: the SQL
statements the database saw while the request ran. The benchmark reads it from the real web
process, so the count includes the sign-in check, the audit entry and the commit, as a user's
request pays them. Off by default: a production process neither counts nor shows it.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event

__all__ = ["HEADER", "count_statements"]

HEADER = "X-Statement-Count"
# One counter per request: gunicorn's threads each run their own request, and a context
# variable set at the start of a request is what that thread's queries see.
_statements: ContextVar[list[int] | None] = ContextVar("statements_this_request", default=None)


def count_statements(app: Flask, engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_: Any) -> None:
        counter = _statements.get()
        if counter is not None:
            counter[0] += 1

    @app.before_request
    def _start_counting() -> None:
        _statements.set([0])

    @app.after_request
    def _report_count(response: Any) -> Any:
        counter = _statements.get()
        if counter is not None:
            response.headers[HEADER] = str(counter[0])
        return response
