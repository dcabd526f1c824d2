"""Helpers and fixtures of the fault tests: Celery workers as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import REPO_ROOT, TODAY
from tests.servers import celery_worker_command
from workflows.cases.models import Case, CaseEvent
from workflows.cases.submission import submit_intake

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
            celery_worker_command(name),
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


def another_patient(base_intake: dict[str, Any], n: int) -> dict[str, Any]:
    """The intake as patient number ``n`` sends it: a different patient each time, as real
    traffic is (the same one would be marked a possible duplicate of every other, events that
    are not the pipeline's steps)."""
    patient = {**base_intake["patient"], "email": f"patient{n}@example.org"}
    patient["last_name"] = f"Patient{n}"
    return {**base_intake, "patient": patient}


def submit_many(
    app: Any,
    base_intake: dict[str, Any],
    count: int,
    between: Callable[[int], None] = lambda n: None,
) -> list[int]:
    services = app.extensions["ldn"]
    ids = []
    for n in range(count):
        document = another_patient(base_intake, n)
        ids.append(submit_intake(services.sessions, document, TODAY, services.enqueue).id)
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
