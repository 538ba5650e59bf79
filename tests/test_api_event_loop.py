"""No blocking database call on the event loop; statement and lock timeouts (issue 16).

A real uvicorn server in a thread serves yinsi on a real PostgreSQL database. Another
connection holds an ACCESS EXCLUSIVE lock on the consent ledger's tables for 5 s: while
it does, ``/healthz`` answers within 0.5 s (it runs on the event loop, the decision waits
in the executor), the decision route answers 503 with Retry-After once the lock timeout
expires (not a hang), and after the lock is released it answers 200 again, without a
restart. A connection killed under the pool gives one 503, then the pool recovers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from served import served as uvicorn_thread
from yinsi.consent import Channel, Evidence
from yinsi.security.api_keys import Scope
from yinsi.server import create_app
from yinsi.services.consent import Engine
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.settings.cache import CacheSettings
from yinsi.settings.database import DatabaseSettings
from yinsi.storage import upgrade

EXAMPLE = Path(__file__).resolve().parent.parent / "examples/declarations/xiaoying-kadai.yaml"
APP = "xiaoying_kadai"
EVIDENCE = Evidence(Channel.APP, account="u1", signature_sha256="0" * 64)
LOCK_TIMEOUT_S = 1.0
BATCH = [{"scenario": "camera_photos", "element": "face", "purpose": "identity_verification"}]


@dataclass
class Served:
    base: str
    url: str
    headers: dict[str, str]


@pytest.fixture
def served() -> Iterator[Served]:
    from storage_fixtures import postgres_database  # not a plugin here: import late

    with postgres_database() as url:
        upgrade(url)
        with Engine(url) as engine:
            engine.publish(EXAMPLE)
            engine.accept_policy(APP, "u1", evidence=EVIDENCE)
        with Services.open(url) as services:
            _, secret = services.api_keys.create("loop", [Scope.BACKEND])
        database = DatabaseSettings(statement_timeout_s=3.0, lock_timeout_s=LOCK_TIMEOUT_S)
        # no consent-state cache: every decision here must read the (locked) tables
        settings = Settings(database=database, cache=CacheSettings(consent_states=0))
        with (
            Services.open(url, actor="api", settings=settings) as services,
            uvicorn_thread(create_app(services), log_level="warning") as base,
        ):
            yield Served(base, url, {"authorization": f"Bearer {secret}"})


def _decide(served: Served) -> tuple[int, float, httpx.Response]:
    started = time.monotonic()
    answer = httpx.post(
        f"{served.base}/v1/apps/{APP}/subjects/u1/decisions",
        json=BATCH,
        headers=served.headers,
        timeout=30,
    )
    return answer.status_code, time.monotonic() - started, answer


def _healthz(served: Served) -> float:
    started = time.monotonic()
    answer = httpx.get(f"{served.base}/healthz", timeout=30)
    assert answer.status_code == 200
    return time.monotonic() - started


def test_locked_ledger_gives_503_while_healthz_stays_fast(served: Served) -> None:
    assert _decide(served)[0] == 200  # warm: the key is cached, the pool has a connection
    locker = sa.create_engine(served.url)
    try:
        with locker.connect() as conn, ThreadPoolExecutor(4) as pool:
            conn.execute(
                sa.text("LOCK TABLE consent_events, consent_states IN ACCESS EXCLUSIVE MODE")
            )
            held = time.monotonic()
            decisions = [pool.submit(_decide, served) for _ in range(3)]
            healthz: list[float] = []
            while time.monotonic() - held < 5.0:  # the lock is held for 5 s
                healthz.append(_healthz(served))
                time.sleep(0.1)
            results = [d.result(timeout=10) for d in decisions]
            conn.rollback()  # releases the lock
        assert len(healthz) > 20
        assert max(healthz) < 0.5, f"/healthz stalled: {max(healthz):.2f} s"
        for status, seconds, answer in results:
            assert status == 503, answer.text
            assert seconds < LOCK_TIMEOUT_S + 2.0, f"the decision hung {seconds:.1f} s"
            assert answer.headers["retry-after"] == "2"
            detail = answer.json()["detail"]
            assert "数据库暂时不可用" in detail and "temporarily unavailable" in detail
        status, seconds, answer = _decide(served)  # lock released: no restart needed
        assert status == 200, answer.text
        assert len(answer.json()) == 1
    finally:
        locker.dispose()


def test_killed_connection_recovers_without_restart(served: Served) -> None:
    assert _decide(served)[0] == 200
    admin = sa.create_engine(served.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        admin.dispose()
    statuses = [_decide(served)[0] for _ in range(3)]
    assert statuses[-1] == 200, statuses  # the pool reconnects by itself
    assert set(statuses) <= {200, 503}, statuses  # a lost connection is a 503, never a 500
