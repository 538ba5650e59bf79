"""The demo tenant (``yinsi demo seed``): counts, determinism, every request status,
overdue requests, Faker zh_CN people, believable consent rates, a consistent ledger."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from yinsi.cli.app import app
from yinsi.consent import replay
from yinsi.declaration import load
from yinsi.rights.requests import Status
from yinsi.security import verify
from yinsi.services.consent import Engine
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade
from yinsi_demo.demo import (
    APP_ID,
    DECLARATIONS,
    DEFAULT_USERS,
    DEMO_SEED,
    MIN_USERS,
    DemoError,
    DemoSummary,
    seed_demo,
)

REDIS_URL = os.environ.get("YINSI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 14:30 in China, a Monday
USERS = 60
SEED = 7
CJK = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


@dataclass(frozen=True)
class Seeded:
    summary: DemoSummary
    url: str
    folder: Path


def _clear(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _seed(root: Path, *, seed: int = SEED, users: int = USERS) -> Iterator[Seeded]:
    url = f"sqlite:///{root / 'yinsi.db'}"
    upgrade(url)
    prefix = f"yinsi_t:{secrets.token_hex(6)}:"
    try:
        summary = seed_demo(
            root / "demo",
            url=url,
            users=users,
            seed=seed,
            now=NOW,
            redis_url=REDIS_URL,
            redis_prefix=prefix,
            environ={"YINSI_HOME": str(root / "home")},
        )
        yield Seeded(summary, url, root / "demo")
    finally:
        _clear(prefix)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    yield from _seed(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def again(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """The same seed and clock, in another database and folder."""
    yield from _seed(tmp_path_factory.mktemp("again"))


def _ledger(url: str, subjects: tuple[str, ...]) -> list[tuple[object, ...]]:
    with Engine(url) as engine:
        return [
            (e.subject_id, e.seq, e.kind, e.policy_version, e.consent_id, e.element, e.at)
            for s in subjects
            for e in engine.events(APP_ID, s)
        ]


def test_counts(demo: Seeded) -> None:
    s = demo.summary
    assert len(s.users) == USERS and len(set(s.users)) == USERS
    assert s.guests and all(g.startswith("g") for g in s.guests)
    assert [v.version for v in s.versions] == ["1.3", "1.4"]
    assert sum(v for k, v in s.policy.items() if k != "guests") == USERS
    for standing in ("current", "behind", "declined", "cancelled"):
        assert s.policy.get(standing, 0) > 0, standing  # the re-consent campaign has an audience
    assert s.events > 10 * USERS and s.records > 10 * USERS
    assert s.holds == 2 and s.released_holds == 1 and len(s.incidents) == 1
    assert {f.role for f in s.featured} == {"reconsent", "export", "overdue"}
    lines = (demo.folder / "users.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "user_id\tprofile\tname\tid_suffix" and len(lines) == USERS + 1
    profiles = (demo.folder / "subjects.tsv").read_text(encoding="utf-8").splitlines()
    assert profiles[0] == "profile\tuser_id\tid_suffix" and len(profiles) == 6


def test_every_request_status_is_present_and_several_are_overdue(demo: Seeded) -> None:
    s = demo.summary
    assert set(s.requests) == set(Status), s.requests
    assert s.overdue >= 3
    with SqlUnitOfWork(create_engine(demo.url)) as uow:
        requests = uow.requests.list(APP_ID)
    late = [r for r in requests if not r.status.closed and r.due and r.due.date < NOW.date()]
    assert len(late) >= 3
    assert min(r.received_at for r in requests) < NOW.replace(day=1)  # filed a month ago


def test_people_have_chinese_names_from_faker(demo: Seeded) -> None:
    rows = [
        line.split("\t")
        for line in (demo.folder / "users.tsv").read_text(encoding="utf-8").splitlines()[1:]
    ]
    names = [row[2] for row in rows]
    assert all(CJK.match(n) for n in names), names
    # Faker's surnames and given names, not the sample's 45 hand-picked given characters
    from yinsi_demo.generators import GIVEN_CHARACTERS

    assert any(any(c not in GIVEN_CHARACTERS for c in n[1:]) for n in names)
    assert len(set(names)) > USERS * 0.9


def test_consent_rates_are_neither_none_nor_all(demo: Seeded) -> None:
    declared = [c.id for c in load(DECLARATIONS[1]).consents]
    assert list(demo.summary.consents) == declared
    for item, (granted, _withdrawn) in demo.summary.consents.items():
        assert 0 < granted < USERS, (item, granted)
    assert sum(w for _g, w in demo.summary.consents.values()) > 0


def test_ledger_replays_to_the_stored_state_and_the_audit_chain_holds(demo: Seeded) -> None:
    with Engine(demo.url) as engine:
        for subject in demo.summary.users + demo.summary.guests:
            events = engine.events(APP_ID, subject)
            state = engine.state(APP_ID, subject)
            replayed = replay(APP_ID, subject, events)
            assert replayed.granted == state.granted and replayed.last_seq == state.last_seq
            assert [e.at for e in events] == sorted(e.at for e in events)
    with SqlUnitOfWork(create_engine(demo.url)) as uow:
        entries = list(uow.audit.entries())
        head = uow.audit.head()
    assert verify(entries, head) == []
    times = [e.at for e in entries]
    assert times == sorted(times)  # the history was written in time order


def test_same_seed_same_tenant(demo: Seeded, again: Seeded) -> None:
    a, b = demo.summary, again.summary
    assert (a.users, a.guests, a.policy, a.consents, a.requests) == (
        b.users,
        b.guests,
        b.policy,
        b.consents,
        b.requests,
    )
    for name in ("users.tsv", "subjects.tsv", "featured.tsv"):
        assert (demo.folder / name).read_bytes() == (again.folder / name).read_bytes()
    subjects = a.users + a.guests
    assert _ledger(demo.url, subjects) == _ledger(again.url, subjects)


def test_refuses_a_database_that_already_holds_the_demo(demo: Seeded, tmp_path: Path) -> None:
    with pytest.raises(DemoError, match="already holds"):
        seed_demo(tmp_path / "demo", url=demo.url, users=USERS, now=NOW, redis_url=REDIS_URL)
    with pytest.raises(DemoError, match=f"at least {MIN_USERS}"):
        seed_demo(tmp_path / "demo", url=demo.url, users=MIN_USERS - 1, redis_url=REDIS_URL)


def test_the_demo_v14_is_the_test_fixture() -> None:
    assert load(DECLARATIONS[1]) == load(ROOT / "tests" / "data" / "xiaoying-kadai-v1.4.yaml")


def test_cli_seeds_and_prints_the_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINSI_HOME", str(tmp_path / "home"))
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    prefix = f"yinsi_t:{secrets.token_hex(6)}:"
    try:
        args = ["demo", "seed", str(tmp_path / "demo"), "--users", str(MIN_USERS), "--url", url]
        result = CliRunner().invoke(app, [*args, "--prefix", prefix, "--redis-url", REDIS_URL])
        assert result.exit_code == 0, result.output
        assert f"{MIN_USERS} users" in result.output
        assert "仅同意过旧版本（待重新同意）" in result.output and "overdue:" in result.output
        assert (tmp_path / "demo" / "featured.tsv").is_file()
        twice = CliRunner().invoke(app, [*args, "--prefix", prefix, "--redis-url", REDIS_URL])
        assert twice.exit_code == 1 and "already holds" in twice.output
        too_few = CliRunner().invoke(app, ["demo", "seed", "--users", "10", "--url", url])
        assert too_few.exit_code == 2  # refused by the option's minimum, nothing seeded
    finally:
        _clear(prefix)


def test_cli_defaults_are_the_library_defaults() -> None:
    from yinsi.cli.demo import seed

    defaults = seed.__defaults__ or ()
    assert DEFAULT_USERS in defaults and DEMO_SEED in defaults
