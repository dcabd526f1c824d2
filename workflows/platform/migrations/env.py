"""Alembic environment: migrates the database named in the Alembic config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from workflows.models import Base
from workflows.platform.database import engine_for

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = engine_for(url)
    with engine.connect() as connection:
        # render_as_batch: SQLite can only ALTER tables by copying them.
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


_ = pool  # imported for autogenerate templates that reference it
if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
