"""Which Celery workers are alive, known without asking them (the operations page).

A ping waits its whole timeout for replies that may still come, so a page that pinged made
every admin wait half a second. Instead each worker writes its name and the time into one
Redis sorted set every HEARTBEAT_SECONDS, from a thread of its main process (started when the
worker is ready, stopped when it shuts down, which also takes its name out), and the page
reads the names seen lately: one Redis command, no wait.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

__all__ = ["HEARTBEAT_SECONDS", "SEEN_KEY", "WorkerSeen", "start_heartbeat", "workers_seen"]

log = logging.getLogger(__name__)

SEEN_KEY = "ldn:workers:seen"
HEARTBEAT_SECONDS = 15.0
# Names not seen for this long are dropped from the set (a worker that died without saying so).
FORGET_AFTER_SECONDS = 3600.0


@dataclass(frozen=True)
class WorkerSeen:
    name: str  # Celery's node name, worker@host: a machine's name, never a person's
    seconds_ago: float


def workers_seen(client: redis.Redis, within: float, now: float | None = None) -> list[WorkerSeen]:
    """The workers whose heartbeat came in the last ``within`` seconds, the latest first."""
    now = time.time() if now is None else now
    rows: list[tuple[bytes, float]] = client.zrangebyscore(  # type: ignore[assignment]
        SEEN_KEY, now - within, "+inf", withscores=True
    )
    seen = [WorkerSeen(name.decode(), max(0.0, now - float(at))) for name, at in rows]
    return sorted(seen, key=lambda worker: worker.seconds_ago)


def start_heartbeat(
    client: redis.Redis, name: str, every: float = HEARTBEAT_SECONDS
) -> Callable[[], None]:
    """Beat for ``name`` until the returned function is called (which also removes it)."""
    stop = threading.Event()

    def beat() -> None:
        while True:
            try:
                now = time.time()
                with client.pipeline() as pipe:
                    pipe.zadd(SEEN_KEY, {name: now})
                    pipe.zremrangebyscore(SEEN_KEY, "-inf", now - FORGET_AFTER_SECONDS)
                    pipe.execute()
            except redis.RedisError as error:
                # Redis away: the worker cannot take tasks either; say so once per beat.
                log.warning("worker.heartbeat_failed", extra={"error": type(error).__name__})
            if stop.wait(every):
                return

    thread = threading.Thread(target=beat, name="ldn-heartbeat", daemon=True)
    thread.start()

    def stopped(*_: Any) -> None:
        stop.set()
        thread.join(timeout=5)
        try:
            client.zrem(SEEN_KEY, name)
        except redis.RedisError:
            pass  # forgotten after FORGET_AFTER_SECONDS, or shown as not seen lately

    return stopped
