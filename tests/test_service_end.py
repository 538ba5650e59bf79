"""Ending the service (X39, PIPL Art. 47 (1)(2)): users told in advance, then their PI
deleted or anonymised per the data map, held records kept and restricted, consents ended.

The app's stores are the seeded sample lending back-end (PostgreSQL + MariaDB + Redis, or
SQLite + Redis); yinsi's own database is PostgreSQL with the first and SQLite with the
second. Every assertion compares the stores with what the seed wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conftest import EXAMPLES
from delivery_fixtures import CapturedSms
from yinsi.connectors import Connectors
from yinsi.consent import Channel, Evidence
from yinsi.lifecycle.service_end import (
    AlreadyAnnounced,
    NoticeNotDeclared,
    NotYetEnded,
    PlanStatus,
    ServiceEndError,
    SubjectStatus,
    plan_announcement,
)
from yinsi.rights.requests import Status
from yinsi.security import verify
from yinsi.services.root import Services
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade
from yinsi.taxonomy import DeletionTrigger

if TYPE_CHECKING:
    from sample_fixtures import LendingFactory, LendingStores

pytest_plugins = ["sample_fixtures"]

CHINA = timezone(timedelta(hours=8))
XY = EXAMPLES / "xiaoying-kadai.yaml"
WOLAI = EXAMPLES / "wolai-shuke.yaml"
APP = "xiaoying_kadai"
HASH_KEY = b"service-end-erasure-key-01234567"


class Clock:
    """A settable clock (Beijing 10:00 of ``day``)."""

    def __init__(self, day: date) -> None:
        self.day = day

    def __call__(self) -> datetime:
        return datetime.combine(self.day, datetime.min.time(), CHINA) + timedelta(hours=10)


@dataclass
class Ending:
    services: Services
    stores: LendingStores
    sms: CapturedSms
    clock: Clock
    database_url: str

    @property
    def ends_on(self) -> date:
        return self.stores.seeded.today + timedelta(days=30)

    def audit_actions(self) -> list[tuple[str, str | None]]:
        with SqlUnitOfWork(self.services.database) as uow:
            return [(e.action, e.subject_id) for e in uow.audit.entries()]


@pytest.fixture
def ending(lending_stores: LendingStores, tmp_path: Path) -> Iterator[Ending]:
    with ExitStack() as stack:
        if lending_stores.backend == "services":
            from storage_fixtures import postgres_database  # a plugin by now

            url = stack.enter_context(postgres_database())
        else:
            url = f"sqlite:///{tmp_path / 'yinsi.db'}"
        upgrade(url)
        sms = CapturedSms()
        clock = Clock(lending_stores.seeded.today)
        services = Services(
            create_engine(url),
            data_map=lending_stores.data_map,
            connectors=Connectors(lending_stores.data_map),
            hash_key=HASH_KEY,
            export_dir=tmp_path / "exports",
            sms=sms,
            clock=clock,
            actor="ops",
        )
        stack.callback(services.close)
        services.consent.publish(XY)
        yield Ending(services, lending_stores, sms, clock, url)


def test_x39_announce_tells_every_subject_in_advance_with_the_date(ending: Ending) -> None:
    service = ending.services.service_end
    seeded = ending.stores.seeded
    with pytest.raises(ServiceEndError, match="at least 30"):
        service.announce(APP, seeded.today + timedelta(days=10))
    plan = service.announce(APP, ending.ends_on)
    assert plan.notice_days == 30 and plan.status is PlanStatus.ANNOUNCED
    assert plan.action.value == "delete_or_anonymise" and plan.notice_declared
    assert plan.subjects == len(seeded.subjects)

    records = service.deliveries(APP)
    assert sorted(r.subject_id or "" for r in records) == sorted(seeded.subjects)
    assert {r.purpose for r in records} == {"service_end_notice"}
    day = f"{ending.ends_on.year}年{ending.ends_on.month}月{ending.ends_on.day}日"
    assert len(ending.sms.sent) == len(seeded.subjects)
    for _phone, text in ending.sms.sent:
        assert day in text and "删除或匿名化处理" in text, text
    assert len({phone for phone, _ in ending.sms.sent}) == len(seeded.subjects)
    # The long notice carries the declaration's own words about the service end.
    _, title, body = service.notice(APP)
    assert "停止提供产品和服务" in title and day in body
    assert "关联方" in body  # storage.service_end_note

    status = service.status(APP)
    assert status.counts[SubjectStatus.PENDING] == len(seeded.subjects)
    assert status.deliveries == {"delivered": len(seeded.subjects)}
    assert ("service_end.announced", None) in ending.audit_actions()
    with pytest.raises(AlreadyAnnounced, match="already announced"):
        service.announce(APP, ending.ends_on + timedelta(days=5))


def test_x39_announcing_needs_the_declared_promise_of_notice() -> None:
    from yinsi.declaration.loader import load

    wolai = load(WOLAI)
    now = datetime(2025, 6, 16, 10, tzinfo=CHINA)
    with pytest.raises(NoticeNotDeclared, match="service_end_notice: false"):
        plan_announcement(
            wolai, announced_at=now, today=now.date(), ends_on=date(2025, 9, 1), actor="ops"
        )
    plan = plan_announcement(
        wolai,
        announced_at=now,
        today=now.date(),
        ends_on=date(2025, 9, 1),
        actor="ops",
        undeclared_notice=True,
    )
    assert not plan.notice_declared and plan.notice_days == 77


def test_x39_run_before_the_date_is_refused_naming_it(ending: Ending) -> None:
    service = ending.services.service_end
    with pytest.raises(ServiceEndError, match="never announced"):
        service.run(APP)
    service.announce(APP, ending.ends_on)
    before = ending.stores.snapshot()
    ending.clock.day = ending.ends_on - timedelta(days=1)
    with pytest.raises(NotYetEnded, match=ending.ends_on.isoformat()):
        service.run(APP)
    assert ending.stores.snapshot() == before
    assert service.status(APP).plan.status is PlanStatus.ANNOUNCED


def test_x39_run_after_the_date_erases_per_data_map_keeps_held_records_and_ends_consents(
    ending: Ending,
) -> None:
    services, seeded = ending.services, ending.stores.seeded
    service = services.service_end
    from yinsi_demo import Profile

    kept = seeded.of(Profile("no_loan"))[0].user_id
    services.rights.add_hold(kept, "存在未决的投诉纠纷", actor="legal", dataset="devices")
    consenting = seeded.of(Profile("mixed"))[0].user_id
    services.consent.accept_policy(APP, consenting, evidence=Evidence(Channel.APP))
    assert services.consent.state(APP, consenting).granted
    service.announce(APP, ending.ends_on)
    before = ending.stores.snapshot()

    ending.clock.day = ending.ends_on
    seen: list[str] = []
    status = service.run(APP, on_subject=lambda p: seen.append(p.subject_id))
    assert status.plan.status is PlanStatus.COMPLETED
    assert status.counts[SubjectStatus.DONE] == status.total == len(seeded.subjects)
    assert sorted(seen) == sorted(seeded.subjects)

    after = ending.stores.snapshot()
    devices = {c: v for c, v in seeded.cells_of(kept).items() if c.dataset == "devices"}
    assert devices
    for subject in seeded.subjects:
        held = seeded.held_cells(subject) | (devices if subject == kept else {})
        for cell, value in seeded.erasable_cells(subject).items():
            if cell not in held:
                assert after.get(cell) != value or value is None, f"{cell} still holds its PI"
        for cell, value in held.items():
            assert after.get(cell) == value, f"held {cell} was touched"
    # PI of people who never became users (marketing leads, unfinished registrations)
    # is erased too.
    others = {c: v for c, v in seeded.others.items() if v is not None}
    assert others and before.keys() >= others.keys()
    for cell, value in others.items():
        assert after.get(cell) != value, f"{cell} of a non-user still holds its PI"
    assert "device_id" in services.consent.state(APP, kept).restricted

    state = services.consent.state(APP, consenting)
    assert not state.granted and state.withdrawn
    for progress in service.progress(APP):
        [request] = services.rights.requests(subject_id=progress.subject_id)
        assert request.id == progress.request_id
        assert request.trigger is DeletionTrigger.SERVICE_ENDED
        assert request.channel == "service_end"
        assert request.status.value == progress.outcome
        assert request.status in (Status.COMPLETED, Status.PARTIALLY_COMPLETED)
    partial = {p.subject_id for p in service.progress(APP) if p.outcome == "partially_completed"}
    assert kept in partial and {s for s in seeded.subjects if seeded.held.get(s)} <= partial
    assert status.outcomes.get("partially_completed") == len(partial)

    # Nobody filed these deletions: no "您提交的删除…申请已办理完毕" answer goes out, only
    # the service-end notice they were sent in advance.
    assert not [t for _, t in ending.sms.sent if "您提交的" in t]

    actions = ending.audit_actions()
    assert ("service_end.running", None) in actions
    assert ("service_end.completed", None) in actions
    assert ("service_end.unlinked_erased", None) in actions
    assert {s for a, s in actions if a == "service_end.subject_done"} == set(seeded.subjects)
    with SqlUnitOfWork(services.database) as uow:
        assert verify(uow.audit.entries(), uow.audit.head()) == []  # the chain is intact
    # Done: a rerun changes nothing.
    again = service.run(APP)
    assert again.plan.status is PlanStatus.COMPLETED
    assert len(ending.audit_actions()) == len(actions)


def test_x39_a_rerun_after_a_crash_finishes_without_redoing_a_subject(ending: Ending) -> None:
    services, seeded = ending.services, ending.stores.seeded
    service = services.service_end
    service.announce(APP, ending.ends_on)
    ending.clock.day = ending.ends_on + timedelta(days=2)

    class Crash(Exception):
        pass

    def crash(progress: object) -> None:
        raise Crash

    with pytest.raises(Crash):
        service.run(APP, on_subject=crash)
    status = service.status(APP)
    assert status.plan.status is PlanStatus.RUNNING
    assert status.counts[SubjectStatus.DONE] == 1
    [first] = [p for p in service.progress(APP) if p.status is SubjectStatus.DONE]

    redone: list[str] = []
    status = service.run(APP, on_subject=lambda p: redone.append(p.subject_id))
    assert status.plan.status is PlanStatus.COMPLETED
    assert first.subject_id not in redone
    assert sorted([first.subject_id, *redone]) == sorted(seeded.subjects)
    for subject in seeded.subjects:
        assert len(services.rights.requests(subject_id=subject)) == 1


def test_x39_the_announcement_over_http_needs_the_admin_scope(ending: Ending) -> None:
    from fastapi.testclient import TestClient

    from yinsi.security.api_keys import Scope
    from yinsi.server import create_app

    services = ending.services
    secrets = {s: services.api_keys.create(f"t-{s.value}", [s])[1] for s in Scope}
    path = f"/v1/apps/{APP}/service-end"
    body = {"ends_on": ending.ends_on.isoformat()}

    def call(method: str, scope: Scope, json: object = None) -> Any:
        headers = {"Authorization": f"Bearer {secrets[scope]}"}
        return client.request(method, path, headers=headers, json=json)

    with TestClient(create_app(services)) as client:
        assert call("GET", Scope.AUDITOR).status_code == 404  # never announced
        assert call("POST", Scope.AUDITOR, body).status_code == 403
        short = {"ends_on": (ending.ends_on - timedelta(days=20)).isoformat()}
        refused = call("POST", Scope.ADMIN, short)
        assert refused.status_code == 422 and "at least 30" in refused.json()["detail"]
        made = call("POST", Scope.ADMIN, body)
        assert made.status_code == 201, made.text
        plan = made.json()
        assert plan["ends_on"] == ending.ends_on.isoformat() and plan["notice_days"] == 30
        assert plan["subjects"]["pending"] == len(ending.stores.seeded.subjects)
        assert plan["notices"] == {"delivered": len(ending.stores.seeded.subjects)}
        assert plan["announced_by"] != "ops"  # the API key's id
        assert call("POST", Scope.ADMIN, body).status_code == 409
        shown = call("GET", Scope.AUDITOR)
        assert shown.status_code == 200 and shown.json()["status"] == "announced"


def test_x39_a_store_failing_mid_request_is_resumed_by_the_rerun_not_refiled(
    lending_stores_factory: LendingFactory, tmp_path: Path
) -> None:
    """A subject whose deletion failed half-way stays ``running`` with its request; the
    next run resumes that request (no second one) and completes the end."""
    with lending_stores_factory("sqlite", tmp_path) as stores:
        _resume_after_a_store_failure(stores, tmp_path)


def _resume_after_a_store_failure(lending_stores: LendingStores, tmp_path: Path) -> None:
    from yinsi.rights.ports import Connector, ConnectorError, EraseOutcome

    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    real = Connectors(lending_stores.data_map, environ=lending_stores.environ)
    failures = {"left": 1}

    class Flaky(Connector):
        def __init__(self, inner: Connector) -> None:
            self.inner = inner

        def find(self, dataset: Any, match: Any) -> Any:
            return self.inner.find(dataset, match)

        def find_keys(self, dataset: Any, keys: Any) -> Any:
            return self.inner.find_keys(dataset, keys)

        def scan(self, dataset: Any) -> Any:
            return self.inner.scan(dataset)

        def correct(self, dataset: Any, key: str, name: str, value: str) -> int:
            return self.inner.correct(dataset, key, name, value)

        def erase(self, dataset: Any, keys: Any, **kw: Any) -> EraseOutcome:
            if failures["left"]:
                failures["left"] -= 1
                raise ConnectorError("core", "connection reset (simulated)")
            return self.inner.erase(dataset, keys, **kw)

    class FlakyConnectors(dict[str, Connector]):
        def close(self) -> None:
            real.close()

    connectors = FlakyConnectors({store: Flaky(real[store]) for store in real})
    clock = Clock(lending_stores.seeded.today)
    with Services(
        create_engine(url),
        data_map=lending_stores.data_map,
        connectors=connectors,  # type: ignore[arg-type]
        hash_key=HASH_KEY,
        sms=CapturedSms(),
        clock=clock,
        actor="ops",
    ) as services:
        services.consent.publish(XY)
        service = services.service_end
        service.announce(APP, lending_stores.seeded.today + timedelta(days=30))
        clock.day += timedelta(days=30)
        first = service.run(APP)
        assert first.plan.status is PlanStatus.RUNNING
        assert first.counts[SubjectStatus.RUNNING] == 1
        [stuck] = [p for p in service.progress(APP) if p.status is SubjectStatus.RUNNING]
        assert stuck.request_id is not None
        assert services.rights.get(stuck.request_id).status is Status.EXECUTING

        again = service.run(APP)
        assert again.plan.status is PlanStatus.COMPLETED
        [request] = services.rights.requests(subject_id=stuck.subject_id)
        assert request.id == stuck.request_id and request.status in DONE_STATUSES


DONE_STATUSES = (Status.COMPLETED, Status.PARTIALLY_COMPLETED)
