"""Real Celery worker processes (the Procfile's command): two at once handle each case once,
and a worker killed with SIGKILL mid-work five times loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import REPO_ROOT, TODAY, wait_until
from workflows.models import Case, CaseEvent
from workflows.services import submit_intake

EXPECTED = ["received", "screening_started", "screened", "routed", "notified"]
VISIBILITY_TIMEOUT = 5  # seconds: short here so a killed worker's messages come back quickly


@pytest.fixture
def start_worker(
    tmp_path: Path, database_url: str, redis_url: str
) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LDN_INSTANCE_PATH": str(tmp_path / "worker-instance"),
        "LDN_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "LDN_TASK_TIME_LIMIT": "4",
    }

    def start(name: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workflows.worker",
                "worker",
                "--pool=prefork",
                "--concurrency=2",
                "--loglevel=WARNING",
                f"--hostname={name}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: SIGKILL takes the pool children too
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def kill(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def submit_many(
    app: Any,
    base_intake: dict[str, Any],
    count: int,
    between: Callable[[int], None] = lambda n: None,
) -> list[int]:
    services = app.extensions["ldn"]
    ids = []
    for n in range(count):
        ids.append(submit_intake(services.sessions, base_intake, TODAY, services.enqueue).id)
        between(n + 1)
    return ids


def notified_count(app: Any, ids: list[int]) -> int:
    with app.extensions["ldn"].sessions() as db:
        return db.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.id.in_(ids), Case.notified_at.is_not(None))
        )


def assert_each_case_handled_once(app: Any, ids: list[int]) -> None:
    with app.extensions["ldn"].sessions() as db:
        rows = db.execute(
            select(CaseEvent.case_id, CaseEvent.action)
            .where(CaseEvent.case_id.in_(ids))
            .order_by(CaseEvent.id)
        ).all()
        statuses = set(db.scalars(select(Case.status).where(Case.id.in_(ids))))
    by_case: dict[int, list[str]] = {}
    for case_id, action in rows:
        by_case.setdefault(case_id, []).append(action)
    assert statuses == {"routed"}
    wrong = {case_id: actions for case_id, actions in by_case.items() if actions != EXPECTED}
    assert wrong == {}, (
        f"{len(wrong)} cases were not handled exactly once: {list(wrong.items())[:3]}"
    )


def test_two_workers_at_once_handle_each_case_once(
    app: Any, start_worker: Any, base_intake: dict[str, Any]
) -> None:
    start_worker("one")
    start_worker("two")
    ids = submit_many(app, base_intake, 60)
    wait_until(lambda: notified_count(app, ids) == 60, timeout=90)
    assert_each_case_handled_once(app, ids)


def test_a_worker_killed_five_times_during_200_submissions_loses_nothing(
    app: Any, start_worker: Any, base_intake: dict[str, Any]
) -> None:
    worker = {"process": start_worker("crashy")}
    kills: list[float] = []

    def maybe_kill(submitted: int) -> None:
        if submitted % 40 == 0:  # five times: at 40, 80, 120, 160 and 200 submissions
            time.sleep(0.2)  # let it take work, so the kill lands mid-task
            kill(worker["process"])
            kills.append(time.monotonic())
            worker["process"] = start_worker("crashy")

    ids = submit_many(app, base_intake, 200, maybe_kill)
    wait_until(lambda: notified_count(app, ids) == 200, timeout=VISIBILITY_TIMEOUT * 8 + 90)
    recovery = time.monotonic() - kills[-1]
    assert len(kills) == 5
    assert_each_case_handled_once(app, ids)
    print(
        f"\n200 of 200 routed exactly once; last case routed {recovery:.1f} s after the last kill "
        f"(visibility timeout {VISIBILITY_TIMEOUT} s)"
    )
