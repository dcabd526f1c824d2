"""The Procfile's own web and worker commands, run as written: gunicorn (with its hooks)
serves the API, the Celery worker routes what it accepted."""

from __future__ import annotations

import gc
import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import REPO_ROOT, wait_until
from tests.servers import free_port, stop_process_groups
from workflows.cases.models import Case


def procfile() -> dict[str, str]:
    lines = (REPO_ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


@contextmanager
def procfile_processes(
    folder: Path, database_url: str, redis_url: str, **extra_env: str
) -> Iterator[int]:
    """The Procfile's web and worker as processes on a free port (their logs in ``folder``),
    with ``extra_env`` added to their environment; yields the port."""
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LDN_INSTANCE_PATH": str(folder / "procfile-instance"),
        "SECRET_KEY": "procfile-test",
        **extra_env,
    }
    commands = procfile()
    processes: list[subprocess.Popen[bytes]] = []
    with ExitStack() as logs:
        for name in ("web", "worker"):
            log = logs.enter_context((folder / f"{name}.log").open("wb"))
            processes.append(
                subprocess.Popen(
                    ["bash", "-c", commands[name]],
                    cwd=REPO_ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        try:
            yield port
        finally:
            stop_process_groups(processes)


@pytest.fixture
def procfile_service(tmp_path: Path, database_url: str, redis_url: str) -> Iterator[int]:
    with procfile_processes(tmp_path, database_url, redis_url) as port:
        yield port


def post_intake(port: int, document: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(
            "POST", "/api/v1/intakes", json.dumps(document), {"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    except OSError:
        return 0, {}  # not listening yet
    finally:
        connection.close()


@pytest.mark.slow  # starts the web and a worker as processes, as `make run` does
def test_the_procfile_web_and_worker_accept_and_route_an_intake(
    app: Any, procfile_service: int, base_intake: dict[str, Any]
) -> None:
    status, body = wait_until(
        lambda: (answer := post_intake(procfile_service, base_intake))[0] and answer,
        timeout=30,
    )
    assert status == 202, body

    def routed_status() -> str | None:
        with app.extensions["ldn"].sessions() as db:
            status = db.scalar(select(Case.status).where(Case.public_id == body["id"]))
        return status if status in ("routed", "notified") else None

    assert wait_until(routed_status, timeout=30)


def test_the_web_hook_freezes_what_the_app_holds_out_of_the_collectors_reach() -> None:
    from intake.gunicorn_hooks import post_worker_init

    post_worker_init(worker=None)
    try:
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
