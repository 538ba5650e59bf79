"""Privacy-center entry links open one session only (issue 14): the second opening is
refused with a Chinese page saying how to get a new link; concurrent openings (several
connections, as several server processes would) let exactly one through — on SQLite and
PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from conftest import EXAMPLES
from yinsi.security.entry_links import ENTRY_SECONDS, entry_link, read_entry_token
from yinsi.server import create_app
from yinsi.services.privacy_links import PrivacyLinkService, Redeemed
from yinsi.services.root import Services
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade
from yinsi.storage.ports import UnitOfWork

pytest_plugins = ["storage_fixtures"]

APP = "xiaoying_kadai"
SECRET = bytes(range(32))


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["t"][0]


def links(engine: Engine, now: datetime | None = None) -> PrivacyLinkService:
    def units(*, read_only: bool = False) -> UnitOfWork:
        return SqlUnitOfWork(engine, read_only=read_only)

    clock = (lambda: now) if now is not None else (lambda: datetime.now(UTC))
    return PrivacyLinkService(None, units, actor="test", clock=clock)  # type: ignore[arg-type]


def test_entry_token_carries_a_random_link_id() -> None:
    one = read_entry_token(SECRET, token_of(entry_link(SECRET, "https://x", APP, "u1")))
    two = read_entry_token(SECRET, token_of(entry_link(SECRET, "https://x", APP, "u1")))
    assert one is not None and two is not None and one.link_id != two.link_id
    assert len(one.link_id) == 32 and (one.app_id, one.subject_id) == (APP, "u1")
    left = one.expires_at - datetime.now(UTC)
    assert timedelta(seconds=ENTRY_SECONDS - 5) < left <= timedelta(seconds=ENTRY_SECONDS)


def test_a_link_opens_once(engine: Engine) -> None:
    service = links(engine)
    token = token_of(entry_link(SECRET, "https://x", APP, "u1"))
    assert service.redeem(token, secret=SECRET) is Redeemed.OPENED
    assert service.redeem(token, secret=SECRET) is Redeemed.USED
    assert service.redeem(token[:-2] + "xx", secret=SECRET) is Redeemed.INVALID
    other = token_of(entry_link(SECRET, "https://x", APP, "u1"))
    assert service.redeem(other, secret=SECRET) is Redeemed.OPENED


def test_used_links_are_forgotten_once_they_would_have_expired(engine: Engine) -> None:
    first = token_of(entry_link(SECRET, "https://x", APP, "u1"))
    assert links(engine).redeem(first, secret=SECRET) is Redeemed.OPENED
    later = links(engine, datetime.now(UTC) + timedelta(seconds=ENTRY_SECONDS + 60))
    fresh = token_of(entry_link(SECRET, "https://x", APP, "u2"))
    assert later.redeem(fresh, secret=SECRET) is Redeemed.OPENED  # purges the expired id
    with engine.connect() as conn:
        from sqlalchemy import text

        kept = conn.execute(text("SELECT count(*) FROM used_entry_links")).scalar_one()
    assert kept == 1


def test_concurrent_openings_let_exactly_one_through(empty_url: str) -> None:
    upgrade(empty_url)
    engines = [create_engine(empty_url) for _ in range(12)]
    token = token_of(entry_link(SECRET, "https://x", APP, "u1"))
    outcomes: list[Redeemed] = []
    barrier = threading.Barrier(len(engines))

    def open_it(engine: Engine) -> None:
        service = links(engine)
        barrier.wait()
        outcomes.append(service.redeem(token, secret=SECRET))

    threads = [threading.Thread(target=open_it, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    assert outcomes.count(Redeemed.OPENED) == 1
    assert outcomes.count(Redeemed.USED) == len(engines) - 1


@pytest.fixture
def site(tmp_path: Path) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    services = Services(create_engine(url), actor="api")
    services.consent.publish(EXAMPLES / "xiaoying-kadai.yaml")
    app = create_app(services, web_secret=SECRET)
    try:
        with TestClient(app) as client:
            yield client
    finally:
        services.close()


def test_the_second_opening_says_the_link_was_used(site: TestClient) -> None:
    link = entry_link(SECRET, "http://testserver", APP, "u_once")
    first = site.get(link, follow_redirects=False)
    assert first.status_code == 303 and first.cookies.get("yinsi_privacy")
    site.cookies.clear()
    again = site.get(link, follow_redirects=False)
    assert again.status_code == 410
    assert "该链接已经使用过" in again.text and "请回到App" in again.text
    assert "yinsi_privacy" not in again.headers.get("set-cookie", "")
