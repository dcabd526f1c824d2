"""Alembic migrations build exactly the models' schema, from empty and from every revision."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from tests.conftest import migrated_database
from workflows.platform.database import engine_for
from workflows.platform.migrate import alembic_config, upgrade
from workflows.platform.orm import Base

# The queues' order index is made of expressions and exists on PostgreSQL only
# (workflows/models.py, ix_intake_case_queue_order); SQLite cannot reflect such an index, and
# Alembic says so. On PostgreSQL it is compared like every other index.
SQLITE_CANNOT_REFLECT_EXPRESSION_INDEXES = pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index"
    " 'ix_intake_case_[a-z_]*order'; dialect 'sqlite':UserWarning"
)


def revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def schema_differences(url: str) -> list[Any]:
    with engine_for(url).connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


@pytest.fixture
def database_url(tmp_path: Path, postgres_admin_url: str | None) -> Iterator[str]:
    """Migrated by Alembic in this test, not copied from the session's template database: these
    tests are about the migrations themselves."""
    with migrated_database(tmp_path, postgres_admin_url) as url:
        yield url


@SQLITE_CANNOT_REFLECT_EXPRESSION_INDEXES
def test_head_matches_the_models(database_url: str) -> None:
    assert schema_differences(database_url) == []


@SQLITE_CANNOT_REFLECT_EXPRESSION_INDEXES
def test_every_revision_upgrades_to_head(database_url: str) -> None:
    from alembic import command

    config = alembic_config(database_url)
    all_revisions = revisions(database_url)
    assert all_revisions[0] == "0001"
    for revision in all_revisions:
        command.downgrade(config, "base")
        upgrade(database_url, revision)
        upgrade(database_url)
        assert schema_differences(database_url) == []


def test_cases_stored_before_0010_get_who_they_are_about(database_url: str) -> None:
    """Migration 0010 backfills the patient columns from each stored intake and result."""
    import json

    from alembic import command
    from sqlalchemy import text

    command.downgrade(alembic_config(database_url), "0009")
    intake = {
        "patient": {
            "first_name": "Zoë",
            "last_name": "O'Brien",
            "email": "Z@X.org",
            "date_of_birth": "1970-01-31",
            "state_of_residence": "Ontario",
        }
    }
    result = {"conditions": [{"input": "ms", "matched": "multiple_sclerosis"}]}
    with engine_for(database_url).begin() as connection:
        connection.execute(
            text(
                "INSERT INTO intake_case (public_id, access_token_hash, status, submitted_at,"
                " created_at, updated_at, intake, screening_result, pipeline_attempts, version,"
                " language) VALUES ('LDN-OLD', 'x', 'routed', '2026-01-01', '2026-01-01',"
                " '2026-01-01', :intake, :result, 0, 1, 'en')"
            ),
            {"intake": json.dumps(intake), "result": json.dumps(result)},
        )
    upgrade(database_url)
    with engine_for(database_url).connect() as connection:
        row = connection.execute(
            text(
                "SELECT patient_name, name_key, surname_key, email_key, birth_date, state_typed,"
                " main_condition FROM intake_case WHERE public_id = 'LDN-OLD'"
            )
        ).one()
    assert tuple(row[:4]) == ("Zoë O'Brien", "zoe obrien", "obrien", "z@x.org")
    assert str(row.birth_date) == "1970-01-31"
    assert (row.state_typed, row.main_condition) == ("Ontario", "multiple_sclerosis")
