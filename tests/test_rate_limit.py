"""The REST API's rate limit per API key (issue 14): 429 with Retry-After and a JSON
detail; in-process buckets, and buckets shared through a real Redis by several
processes."""

from __future__ import annotations

import multiprocessing
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from yinsi.api.ratelimit import LocalLimiter, RedisLimiter, limiter_for
from yinsi.security.api_keys import Scope
from yinsi.server import create_app
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.settings.limits import LimitSettings
from yinsi.storage import create_engine, upgrade

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"yinsi_test_{secrets.token_hex(4)}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)
    client.close()


def test_local_bucket_allows_the_burst_then_refills() -> None:
    limiter = LocalLimiter(per_second=20.0, burst=3, per_minute=1000)
    assert [limiter.take("k") for _ in range(3)] == [None, None, None]
    wait = limiter.take("k")
    assert wait is not None and 0 < wait <= 0.05
    assert limiter.take("other") is None  # per key
    time.sleep(0.06)
    assert limiter.take("k") is None


def test_local_minute_cap() -> None:
    limiter = LocalLimiter(per_second=1000.0, burst=1000, per_minute=5)
    if time.time() % 60 > 58:
        time.sleep(2.5)  # not across a minute boundary
    assert [limiter.take("k") for _ in range(5)] == [None] * 5
    wait = limiter.take("k")
    assert wait is not None and 0 < wait <= 60


def _take_in_another_process(prefix: str, count: int) -> int:
    limiter = RedisLimiter(REDIS_URL, 0.001, 10, 1000, prefix=prefix)
    return sum(limiter.take("key_shared") is None for _ in range(count))


def test_redis_buckets_are_shared_by_processes(prefix: str) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        allowed = pool.starmap(_take_in_another_process, [(prefix, 8)] * 3)
    assert sum(allowed) == 10  # one bucket of 10 for the key, over three processes
    here = RedisLimiter(REDIS_URL, 0.001, 10, 1000, prefix=prefix)
    wait = here.take("key_shared")
    assert wait is not None and wait > 100  # 1 token per 1000 s
    assert here.take("key_other") is None


def test_redis_minute_cap(prefix: str) -> None:
    if time.time() % 60 > 58:
        time.sleep(2.5)
    limiter = RedisLimiter(REDIS_URL, 1000.0, 1000, 4, prefix=prefix)
    assert [limiter.take("k") for _ in range(4)] == [None] * 4
    wait = limiter.take("k")
    assert wait is not None and 0 < wait <= 60


def test_unreachable_redis_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RedisLimiter("redis://127.0.0.1:1/0", 1.0, 1, 1)
    assert [limiter.take("k") for _ in range(3)] == [None, None, None]
    assert "Redis unreachable" in caplog.text


def test_settings_choose_the_backend() -> None:
    assert isinstance(limiter_for(LimitSettings()), LocalLimiter)
    assert isinstance(limiter_for(LimitSettings(redis_url=REDIS_URL)), RedisLimiter)
    assert limiter_for(LimitSettings(api_enabled=False)) is None


def _api(tmp_path: Path, limits: LimitSettings) -> Iterator[tuple[TestClient, str, str]]:
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    services = Services(create_engine(url), actor="api", settings=Settings(limits=limits))
    _, first = services.api_keys.create("ops", [Scope.ADMIN])
    _, second = services.api_keys.create("ops2", [Scope.ADMIN])
    try:
        with TestClient(create_app(services)) as client:
            yield client, first, second
    finally:
        services.close()


@pytest.mark.parametrize("shared", [False, True], ids=["in-process", "redis"])
def test_api_answers_429_with_retry_after_per_key(
    tmp_path: Path, prefix: str, shared: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yinsi.api.ratelimit as ratelimit

    if shared:  # a fresh key space per test
        made = ratelimit.RedisLimiter.__init__

        def init(self: RedisLimiter, *args: object, **kw: object) -> None:
            made(self, *args, prefix=prefix)  # type: ignore[arg-type]

        monkeypatch.setattr(ratelimit.RedisLimiter, "__init__", init)
    limits = LimitSettings(
        api_per_second=0.01, api_burst=3, redis_url=REDIS_URL if shared else None
    )
    for client, first, second in _api(tmp_path, limits):
        auth = {"Authorization": f"Bearer {first}"}
        codes = [client.get("/v1/keys", headers=auth).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = client.get("/v1/keys", headers=auth)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 60
        detail = refused.json()["detail"]
        assert detail["retry_after_s"] == int(refused.headers["retry-after"])
        assert detail["key_id"] and "too many requests" in detail["message"]
        other = client.get("/v1/keys", headers={"Authorization": f"Bearer {second}"})
        assert other.status_code == 200  # per key
        anonymous = client.get("/v1/keys")
        assert anonymous.status_code == 401  # unauthenticated requests are not counted
