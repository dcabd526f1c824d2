"""Alembic migrations build exactly the models' schema, from empty and from every revision."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from workflows.models import Base
from workflows.platform.database import engine_for
from workflows.platform.migrate import alembic_config, upgrade


def revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def schema_differences(url: str) -> list[Any]:
    with engine_for(url).connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def test_head_matches_the_models(database_url: str) -> None:
    assert schema_differences(database_url) == []


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
