"""Workers say they are alive in Redis (workflows/platform/worker_heartbeat.py): the operations
page lists them without pinging, which made every admin wait half a second."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, wait_until
from tests.servers import celery_worker_command
from workflows.platform.redis_clients import redis_client
from workflows.platform.worker_heartbeat import start_heartbeat, workers_seen


def names_seen(redis_url: str, within: float = 60) -> list[str]:
    return [worker.name for worker in workers_seen(redis_client(redis_url), within)]


def test_a_heartbeat_is_seen_until_it_stops(redis_url: str) -> None:
    client = redis_client(redis_url)
    stop = start_heartbeat(client, "worker@machine-a", every=0.05)
    try:
        wait_until(lambda: names_seen(redis_url) == ["worker@machine-a"])
    finally:
        stop()
    assert names_seen(redis_url) == []


def test_a_worker_that_stopped_beating_is_no_longer_seen(redis_url: str) -> None:
    client = redis_client(redis_url)
    client.zadd("ldn:workers:seen", {"worker@gone": 1_000.0})
    assert workers_seen(client, within=60, now=1_030.0)[0].name == "worker@gone"
    assert workers_seen(client, within=60, now=1_061.0) == []


@pytest.mark.slow  # starts the Procfile's worker as a process
def test_the_procfile_worker_announces_itself_and_withdraws_on_shutdown(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LDN_INSTANCE_PATH": str(tmp_path / "worker-instance"),
    }
    process = subprocess.Popen(
        celery_worker_command("beating"),
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        seen = wait_until(lambda: names_seen(redis_url), timeout=30)
        assert len(seen) == 1 and seen[0].startswith("beating@")
        # A warm shutdown (SIGTERM, as a supervisor stops it) takes its name out at once.
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        assert names_seen(redis_url) == []
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
