"""How many Celery workers answer a ping, asked at most once every few seconds per process.

/healthz is public: each call used to broadcast a ping and hold a web thread until the timeout
passed (a ping waits the whole timeout for replies that may still come), so sixteen calls took
every thread of the web server for as long as their timeouts. The answer is now shared by every
call in the next few seconds, and one ping is in flight at a time: a call that finds one under
way waits for its answer instead of starting another.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

__all__ = ["worker_count", "CACHE_SECONDS"]

CACHE_SECONDS = 5.0


@dataclass
class _LastPing:
    lock: threading.Lock = field(default_factory=threading.Lock)
    count: int = 0
    at: float | None = None  # time.monotonic() of the answer


# One per Celery app (an app per test, one per web process in production).
_pings: weakref.WeakKeyDictionary[Any, _LastPing] = weakref.WeakKeyDictionary()
_pings_lock = threading.Lock()


def worker_count(celery: Any, timeout: float) -> int:
    """Workers that answered the latest ping, pinging again if it is older than CACHE_SECONDS."""
    with _pings_lock:
        last = _pings.setdefault(celery, _LastPing())
    with last.lock:  # one ping at a time; the callers behind it then read its answer
        if last.at is None or time.monotonic() - last.at >= CACHE_SECONDS:
            last.count = len(celery.control.ping(timeout=timeout) or [])
            last.at = time.monotonic()
        return last.count
