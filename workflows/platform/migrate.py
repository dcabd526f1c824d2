"""Alembic migrations without an alembic.ini: ``python -m workflows.platform.migrate upgrade``.

python -m workflows.platform.migrate upgrade            # to head, on DATABASE_URL (or the default)
python -m workflows.platform.migrate revision -m "..."  # autogenerate a new revision
"""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config

from workflows.platform.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m workflows.platform.migrate")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("upgrade")
    revision = sub.add_parser("revision")
    revision.add_argument("-m", "--message", required=True)
    args = parser.parse_args()
    url = Settings.from_env().database_url
    if args.action == "upgrade":
        upgrade(url)
    else:
        command.revision(alembic_config(url), message=args.message, autogenerate=True)


if __name__ == "__main__":
    main()
