"""The REST API's rate limit per API key (issue 14): ``429`` with ``Retry-After``.

Every request with a valid key takes one token from that key's bucket: the bucket holds
``limits.api_burst`` tokens and refills at ``limits.api_per_second``; on top, a key makes
at most ``limits.api_per_minute`` requests per calendar minute. A request with no token
left is answered ``429 {"detail": {"message", "key_id", "retry_after_s"}}`` with a
``Retry-After`` header (whole seconds, at least 1).

Two backends, chosen by the settings:

* :class:`RedisLimiter` when ``limits.redis_url`` (``YINSI_LIMITS__REDIS_URL``) is set:
  the buckets live in Redis and one Lua script takes tokens atomically, with Redis's
  own clock, so every process and host serving the API shares one limit per key (a
  process takes a small batch of tokens at a time: see :class:`RedisLimiter`). If
  Redis cannot be reached the request is let through (fail-open: the API stays up) and
  a warning is logged, at most once a minute.
* :class:`LocalLimiter` otherwise: per process — ``N`` processes allow ``N`` times the
  rate. Fine for one process; set ``redis_url`` when running several.

The check runs in :func:`yinsi.api.auth.authorize`, after the key is known, so it costs
nothing for requests refused 401/403. The local check is a dictionary update under a
lock (about 2 µs); the Redis one is one round trip per batch of tokens.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from fastapi import HTTPException, Request, status

from yinsi.settings.limits import LimitSettings

__all__ = ["Limiter", "LocalLimiter", "RedisLimiter", "enforce", "limiter_for"]

log = logging.getLogger("yinsi.api.ratelimit")


class Limiter(Protocol):
    def take(self, key: str) -> float | None:
        """Take one request for ``key``: None when allowed, else seconds to wait."""


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    minute: int
    in_minute: int


class LocalLimiter:
    """Token buckets and minute counters in this process (see the module docstring)."""

    def __init__(self, per_second: float, burst: int, per_minute: int) -> None:
        self._rate = per_second
        self._burst = float(burst)
        self._per_minute = per_minute
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        now = time.monotonic()
        minute = int(time.time() // 60)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(self._burst, now, minute, 0)
            bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
            bucket.updated = now
            if bucket.minute != minute:
                bucket.minute, bucket.in_minute = minute, 0
            if bucket.in_minute >= self._per_minute:
                return 60.0 - time.time() % 60
            if bucket.tokens < 1.0:
                return (1.0 - bucket.tokens) / self._rate
            bucket.tokens -= 1.0
            bucket.in_minute += 1
            return None


_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local per_minute = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local mkey = KEYS[2] .. ':' .. math.floor(now / 60)
local used = tonumber(redis.call('GET', mkey) or '0')
if used >= per_minute then
  return 'w' .. tostring(60 - (now % 60))
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local grant = math.min(want, math.floor(tokens), per_minute - used)
local ttl = math.ceil(burst / rate) + 60
if grant < 1 then
  redis.call('HSET', KEYS[1], 'tokens', tokens, 'updated', now)
  redis.call('EXPIRE', KEYS[1], ttl)
  return 'w' .. tostring((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tokens - grant, 'updated', now)
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('INCRBY', mkey, grant)
redis.call('EXPIRE', mkey, 120)
return 'g' .. tostring(grant)
"""
LEASE_SECONDS = 1.0
"""How long tokens taken from Redis in advance may be used by this process."""


class RedisLimiter:
    """The same limits kept in Redis, shared by every process (see the module docstring).

    To keep Redis off the path of most requests, a process takes up to :attr:`batch`
    tokens at once (one twentieth of the rate or burst, at least 1) and spends them
    locally for up to :data:`LEASE_SECONDS`; the limit is exact when ``batch`` is 1 and
    otherwise over-admits by at most ``batch`` requests per process. Tokens not spent in
    time are dropped (never over the limit). A refusal is remembered for the wait Redis
    gave (at most the lease), so a key hammering past its limit does not hammer Redis.
    """

    def __init__(
        self, url: str, per_second: float, burst: int, per_minute: int, *, prefix: str = "yinsi"
    ) -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._client.register_script(_SCRIPT)
        self.batch = max(1, min(burst // 20, int(per_second // 20), per_minute // 100))
        self._args = (per_second, burst, per_minute)
        self._prefix = f"{prefix}:ratelimit"
        self._leases: dict[str, tuple[int, float, float]] = {}
        self._lock = threading.Lock()
        self._warned = 0.0

    def take(self, key: str) -> float | None:
        now = time.monotonic()
        with self._lock:
            left, until, refused_until = self._leases.get(key, (0, 0.0, 0.0))
            if now < until and left != 0:
                if left < 0:  # refused a moment ago: Redis need not be asked again
                    return refused_until - now
                self._leases[key] = (left - 1, until, 0.0)
                return None
        answer = self._ask(key)
        if answer is None:
            return None
        if answer.startswith("w"):
            wait = float(answer[1:])
            with self._lock:
                self._leases[key] = (-1, now + min(wait, LEASE_SECONDS), now + wait)
            return wait
        with self._lock:
            self._leases[key] = (int(answer[1:]) - 1, now + LEASE_SECONDS, 0.0)
        return None

    def _ask(self, key: str) -> str | None:
        import redis

        keys = [f"{self._prefix}:bucket:{key}", f"{self._prefix}:minute:{key}"]
        try:
            answer = self._script(keys=keys, args=[*self._args, self.batch])
        except redis.RedisError as exc:
            now = time.monotonic()
            if now - self._warned > 60:
                self._warned = now
                log.warning("rate limit not enforced: Redis unreachable (%s)", type(exc).__name__)
            return None
        return answer.decode() if isinstance(answer, bytes) else str(answer)

    def close(self) -> None:
        self._client.close()


def limiter_for(settings: LimitSettings) -> Limiter | None:
    """The limiter the settings ask for; None when ``api_enabled`` is false."""
    if not settings.api_enabled:
        return None
    args = (settings.api_per_second, settings.api_burst, settings.api_per_minute)
    if settings.redis_url:
        return RedisLimiter(settings.redis_url, *args)
    return LocalLimiter(*args)


_BUILD = threading.Lock()


def _limiter(request: Request) -> Limiter | None:
    state = request.app.state
    try:
        found: Limiter | None = state.rate_limiter
        return found
    except AttributeError:
        pass
    with _BUILD:
        if not hasattr(state, "rate_limiter"):
            services = getattr(state, "services", None)
            limits = services.settings.limits if services is not None else LimitSettings()
            state.rate_limiter = limiter_for(limits)
    built: Limiter | None = state.rate_limiter
    return built


def enforce(request: Request, key_id: str) -> None:
    """Count the request against ``key_id``'s limit; raise 429 when it is exceeded."""
    limiter = _limiter(request)
    if limiter is None:
        return
    wait = limiter.take(key_id)
    if wait is None:
        return
    seconds = max(1, math.ceil(wait))
    raise HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        {
            "message": (
                f"API key {key_id} sent too many requests; retry after {seconds} s "
                "(limits: YINSI_LIMITS__API_PER_SECOND, __API_BURST, __API_PER_MINUTE)"
            ),
            "key_id": key_id,
            "retry_after_s": seconds,
        },
        headers={"Retry-After": str(seconds)},
    )
