"""Engines and sessions: one engine per database URL per process.

SQLite gets a busy timeout and foreign keys on, so the web process, the worker and beat can
share one file; PostgreSQL is the production path and needs nothing special here.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

import sqlalchemy
from sqlalchemy import CursorResult, Engine, Executable, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "DatabaseUnavailable",
    "engine_for",
    "sessions_for",
    "rows_changed",
    "check_database",
]

# What the driver raises when the database does not answer (refused, dropped, timed out). The
# web layer catches it under this name so that it need not import SQLAlchemy to say "try again".
DatabaseUnavailable = OperationalError


@cache
def engine_for(url: str) -> Engine:
    options: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        options["pool_pre_ping"] = True
    # Looked up at each call: tracing (workflows/platform/tracing.py) wraps create_engine when
    # it starts, and an engine made through the wrapper has its statements traced.
    engine = sqlalchemy.create_engine(url, **options)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    return engine


@cache
def sessions_for(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url), expire_on_commit=False)


def rows_changed(db: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE (without RETURNING) and say how many rows it changed.

    Session.execute() is typed as returning a Result, which has no rowcount; for these
    statements it returns a CursorResult, which has (sqlalchemy/sqlalchemy#9185).
    """
    result = cast(CursorResult[Any], db.execute(statement))
    return result.rowcount


def check_database(sessions: sessionmaker[Session]) -> None:
    """Raises whatever the driver raises when the database does not answer (the health check)."""
    with sessions() as db:
        db.execute(text("SELECT 1"))
