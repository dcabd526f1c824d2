"""One Redis client (and its connection pool) per REDIS_URL and timeout for the life of the
process, the embedded server's socket URL (redis+socket://) included."""

from __future__ import annotations

from functools import cache

import redis

__all__ = ["redis_client"]


@cache
def redis_client(url: str, socket_timeout: float | None = 5) -> redis.Redis:
    if url.startswith("redis+socket://"):
        path = url.removeprefix("redis+socket://")
        return redis.Redis(unix_socket_path=path, socket_timeout=socket_timeout)
    return redis.Redis.from_url(url, socket_timeout=socket_timeout)
