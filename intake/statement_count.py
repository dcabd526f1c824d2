"""Statements per request, for the scale benchmark (bench/scale.py).

With ``LDN_BENCH_COUNT_STATEMENTS=1`` every response carries ``X-Statement-Count``: the SQL
statements the database saw while the request ran. The benchmark reads it from the real web
process, so the count includes the sign-in check, the audit entry and the commit, as a user's
request pays them. Off by default: a production process neither counts nor shows it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from workflows.platform.database import engine_for
from workflows.platform.statement_count import (
    count_statements_on,
    start_counting,
    statements_counted,
)

__all__ = ["HEADER", "count_statements"]

HEADER = "X-Statement-Count"


def count_statements(app: Flask, database_url: str) -> None:
    count_statements_on(engine_for(database_url))
    app.before_request(start_counting)

    @app.after_request
    def _report_count(response: Any) -> Any:
        counted = statements_counted()
        if counted is not None:
            response.headers[HEADER] = str(counted)
        return response
