"""Real Celery worker processes (the Procfile's command): two at once handle each case once,
and a worker killed with SIGKILL mid-work five times loses nothing."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import wait_until
from tests.faults.conftest import (
    VISIBILITY_TIMEOUT,
    assert_each_case_handled_once,
    kill,
    notified_count,
    submit_many,
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
