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
