"""A fixed-window rate limit per client address, counted in Redis so all web workers share it."""

from __future__ import annotations

import time
from functools import cache

import redis


@cache
def _client(url: str) -> redis.Redis:
    if url.startswith("redis+socket://"):
        return redis.Redis(unix_socket_path=url.removeprefix("redis+socket://"), socket_timeout=2)
    return redis.Redis.from_url(url, socket_timeout=2)


def redis_client(url: str) -> redis.Redis:
    return _client(url)


def allow(url: str, scope: str, client: str, limit: int, window_seconds: int = 60) -> bool:
    """True while `client` has made at most `limit` requests in this window."""
    window = int(time.time() // window_seconds)
    key = f"ratelimit:{scope}:{client}:{window}"
    pipe = _client(url).pipeline()
    pipe.incr(key)
    pipe.expire(key, window_seconds * 2)
    count, _ = pipe.execute()
    return int(count) <= limit
