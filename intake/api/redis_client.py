"""A Redis client for a REDIS_URL, embedded socket URLs included (health checks)."""

from __future__ import annotations

from functools import cache

import redis


@cache
def _client(url: str) -> redis.Redis:
    if url.startswith("redis+socket://"):
        return redis.Redis(unix_socket_path=url.removeprefix("redis+socket://"), socket_timeout=2)
    return redis.Redis.from_url(url, socket_timeout=2)


def redis_client(url: str) -> redis.Redis:
    return _client(url)
