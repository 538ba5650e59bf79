"""Jobs in-process (the embedded default) and the run lease, on yinsi's PostgreSQL.

The in-process queue runs the very job bodies a Celery worker runs
(:mod:`yinsi.services.jobs`); the lease (:mod:`yinsi.services.run_leases`,
:mod:`yinsi.storage.claims`) keeps a request to one run at a time. The sample's stores are
SQLite files and Redis; yinsi's database is a scratch PostgreSQL database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import Engine

from jobs_fixtures import Desk, desk_on, each_step_once, erased_once
from yinsi.rights.plan import Step, StepStatus
from yinsi.rights.requests import InvalidRequest, Status
from yinsi.services import jobs
from yinsi.services.jobs import InProcessQueue, JobFailed, UnknownJob, run_job
from yinsi.services.run_leases import LeaseLost, RunBusy
from yinsi.settings import Settings
from yinsi.settings.jobs import JobSchedule, JobSettings
from yinsi.storage import SqlUnitOfWork, create_engine

if TYPE_CHECKING:
    from sample_fixtures import LendingFactory

pytest_plugins = ["sample_fixtures"]

LEASE_S = 1.5


@pytest.fixture
def desk(
    lending_stores_factory: LendingFactory, postgres_url: str, tmp_path: Path
) -> Iterator[Desk]:
    settings = Settings(jobs=JobSettings(lease_s=LEASE_S))
    with lending_stores_factory("sqlite", tmp_path / "lending") as stores:
        desk = desk_on(stores, postgres_url, tmp_path / "home", settings)
        yield desk
        desk.services.close()


# ------------------------------------------------------------------ the claim store


def test_claims_one_taker_renewal_release_and_takeover(engine: Engine) -> None:
    from yinsi.rights.requests import Requester, RightsRequest
    from yinsi.taxonomy import RightKind

    now = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    request = RightsRequest(
        id="req_claims",
        app_id="app",
        subject_id="u1",
        kind=RightKind.ACCESS,
        status=Status.RECEIVED,
        received_at=now,
        requester=Requester(),
    )
    from dataclasses import replace

    from yinsi.rights.requests import Transition

    request = replace(request, history=(Transition(now, Status.RECEIVED, "t", "app"),))
    with SqlUnitOfWork(engine) as uow:
        uow.requests.add(request)
        uow.commit()
    later = now + timedelta(seconds=30)
    with SqlUnitOfWork(engine) as uow:
        assert uow.claims.holder(request.id) is None
        assert uow.claims.take(request.id, "a", now=now, until=later)
        assert not uow.claims.take(request.id, "b", now=now, until=later)
        assert uow.claims.renew(request.id, "a", until=later + timedelta(seconds=30))
        assert not uow.claims.renew(request.id, "b", until=later)
        uow.claims.release(request.id, "b")  # not b's: nothing happens
        held = uow.claims.holder(request.id)
        assert held is not None and held.owner == "a"
        # a lapsed lease is taken over
        assert uow.claims.take(request.id, "c", now=later + timedelta(minutes=1), until=later)
        assert not uow.claims.renew(request.id, "a", until=later)  # a lost it
        uow.claims.release(request.id, "c")
        assert uow.claims.holder(request.id) is None
        uow.commit()
    # the request itself is untouched by claims
    with SqlUnitOfWork(engine) as uow:
        assert uow.requests.get(request.id) == request


def test_x28_two_runs_at_once_one_executes_each_step_once(desk: Desk) -> None:
    uid = desk.user()
    request_id = desk.approved(uid)
    before = desk.stores.snapshot()
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def run() -> None:
        start.wait()
        try:
            outcomes.append(desk.services.rights.run(request_id, actor="op"))
        except (RunBusy, InvalidRequest) as exc:  # busy, or already completed by the other
            outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    done = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(done) == 1 and len(outcomes) == 2
    each_step_once(desk.services, request_id)
    erased_once(desk.stores, before, uid)


def test_a_held_lease_refuses_a_run_until_it_lapses(desk: Desk) -> None:
    rights = desk.services.rights
    request_id = desk.approved(desk.user())
    assert rights.leases.take(request_id, "host:1:dead-worker")
    with pytest.raises(RunBusy, match="being executed by another run") as busy:
        rights.run(request_id, actor="op")
    assert 0 < busy.value.retry_after_s <= LEASE_S + 1
    assert rights.get(request_id).status is Status.APPROVED and rights.steps(request_id) == []
    time.sleep(LEASE_S + 0.2)  # the dead worker never renews: its lease lapses
    assert rights.run(request_id, actor="op").status is Status.COMPLETED
    each_step_once(desk.services, request_id)


def test_a_run_that_lost_its_lease_stops_before_its_next_effect(desk: Desk) -> None:
    rights = desk.services.rights
    request_id = desk.approved(desk.user())
    db = create_engine(desk.services.database.url)

    def steal(step: Step) -> None:
        if step.n == 1 and step.status is StepStatus.RUNNING:
            far = datetime.now(UTC) + timedelta(minutes=5)
            with SqlUnitOfWork(db) as uow:  # another run takes the request over
                uow.claims.release(request_id, uow.claims.holder(request_id).owner)  # type: ignore[union-attr]
                assert uow.claims.take(request_id, "thief", now=datetime.now(UTC), until=far)
                uow.commit()
            time.sleep(LEASE_S / 3 + 0.4)  # the renewal fails in the meantime

    try:
        with pytest.raises(LeaseLost, match="lost its lease"):
            rights.run(request_id, actor="op", on_step=steal)
    finally:
        db.dispose()
    steps = rights.steps(request_id)
    assert steps[0].status is StepStatus.DONE
    assert all(s.status is StepStatus.PENDING for s in steps[1:]), steps
    assert rights.get(request_id).status is Status.EXECUTING


# ------------------------------------------------------------------ the in-process queue


def test_in_process_queue_runs_the_job_bodies(desk: Desk) -> None:
    services = desk.services
    assert isinstance(services.jobs, InProcessQueue) and not services.jobs.deferred
    uid = desk.user()
    request_id = desk.approved(uid)
    before = desk.stores.snapshot()
    outcome = services.runs.run(request_id, actor="op", enqueue=True)
    assert outcome.job_id is not None and outcome.job_id.startswith("inline-")
    assert outcome.request.status is Status.COMPLETED
    assert services.jobs.last == {"request_id": request_id, "status": "completed"}
    each_step_once(services, request_id)
    erased_once(desk.stores, before, uid)
    # redelivered (at least once): nothing is done twice
    again = run_job(services, jobs.RUN_REQUEST, {"request_id": request_id})
    assert again == {"request_id": request_id, "status": "completed", "skipped": True}
    each_step_once(services, request_id)


def test_without_a_broker_a_run_answers_when_done(desk: Desk) -> None:
    request_id = desk.approved(desk.user(), "access")
    outcome = desk.services.runs.run(request_id, actor="op")
    assert outcome.job_id is None and outcome.request.status is Status.COMPLETED


def test_x38_periodic_jobs_in_process(desk: Desk) -> None:
    services = desk.services
    queue = services.jobs
    assert isinstance(queue, InProcessQueue)
    queue.enqueue(jobs.EXPIRE_EXPORTS)
    assert queue.last == {"archives": 0, "staging": 0}
    queue.enqueue(jobs.DEADLINE_REMINDERS)
    assert queue.last == {"skipped": "YINSI_DELIVERY__STAFF_EMAILS is empty"}
    queue.enqueue(jobs.RETENTION_SWEEP, app="xiaoying_kadai")
    assert queue.last is not None and queue.last["app"] == "xiaoying_kadai"
    with pytest.raises(JobFailed, match="serves app 'xiaoying_kadai'"):
        queue.enqueue(jobs.RETENTION_SWEEP, app="wolai_shuke")
    services.audit.create_anchor_key()
    queue.enqueue(jobs.ANCHOR_AUDIT)
    assert queue.last is not None and queue.last["entries"] > 0
    with pytest.raises(UnknownJob, match="unknown job 'nope'"):
        queue.enqueue("nope")


# ------------------------------------------------------------------ settings and beat


def test_beat_schedule_from_the_settings() -> None:
    from yinsi.workers.app import beat_schedule

    entries = beat_schedule(JobSchedule())
    assert sorted(entries) == [
        "deadline_reminders",
        "deferred_erasures",
        "deliveries_retry",
        "expire_exports",
        "retention_sweep",
    ]
    assert entries["deferred_erasures"]["task"] == jobs.DEFERRED_ERASURES
    assert entries["retention_sweep"]["task"] == jobs.RETENTION_SWEEP
    every = beat_schedule(JobSchedule(anchor_audit="0 * * * *", expire_exports=""))
    assert "anchor_audit" in every and "expire_exports" not in every
    with pytest.raises(ValueError, match="YINSI_JOBS__SCHEDULE__ANCHOR_AUDIT='hourly'"):
        beat_schedule(JobSchedule(anchor_audit="hourly"))


def test_broker_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from yinsi.settings import SettingsError, load_settings

    monkeypatch.setenv("YINSI_JOBS__BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
    monkeypatch.setenv("YINSI_JOBS__LEASE_S", "30")
    loaded = load_settings()
    assert loaded.jobs.broker_url.startswith("amqp://") and loaded.jobs.lease_s == 30
    monkeypatch.setenv("YINSI_JOBS__BROKER_URL", "http://broker")
    with pytest.raises(SettingsError, match="YINSI_JOBS__BROKER_URL"):
        load_settings()


def test_an_unreachable_broker_is_503_material_not_a_hang() -> None:
    from yinsi.queue.celery import CeleryQueue
    from yinsi.services.jobs import QueueUnavailable

    queue = CeleryQueue("amqp://guest:secret@127.0.0.1:1//", queue="yinsi_nowhere")
    started = time.monotonic()
    try:
        with pytest.raises(QueueUnavailable) as caught:
            queue.enqueue(jobs.EXPIRE_EXPORTS)
    finally:
        queue.close()
    assert time.monotonic() - started < 10
    assert "secret" not in str(caught.value) and "127.0.0.1:1" in str(caught.value)


# ------------------------------------------------------------------ the commands


def test_worker_and_beat_refuse_to_start_without_a_broker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from yinsi.cli.app import app

    monkeypatch.delenv("YINSI_JOBS__BROKER_URL", raising=False)
    for command in ("worker", "beat"):
        result = CliRunner().invoke(app, [command])
        assert result.exit_code == 1, result.output
        assert "no broker: set YINSI_JOBS__BROKER_URL" in result.output
        assert "Traceback" not in result.output


def test_x28_rights_run_enqueue_runs_in_process_without_a_broker(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64

    from typer.testing import CliRunner

    from jobs_fixtures import HASH_KEY, data_map_file
    from yinsi.cli.app import app

    for name, value in desk.stores.environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("YINSI_ERASURE_KEY", base64.b64encode(HASH_KEY).decode())
    monkeypatch.setenv("YINSI_HOME", str(tmp_path / "cli-home"))
    monkeypatch.delenv("YINSI_JOBS__BROKER_URL", raising=False)
    uid = desk.user()
    request_id = desk.approved(uid)
    before = desk.stores.snapshot()
    data_map = data_map_file(tmp_path, desk.stores.redis_prefix)
    url = str(desk.services.database.url.render_as_string(hide_password=False))
    args = ["rights", "run", request_id, "--enqueue", "--url", url, "--map", str(data_map)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "未配置任务队列，已在本进程执行" in result.output and "已完成" in result.output
    each_step_once(desk.services, request_id)
    erased_once(desk.stores, before, uid)


def test_x28_a_run_while_another_holds_the_request_answers_409_with_retry_after(
    desk: Desk,
) -> None:
    from fastapi.testclient import TestClient

    from yinsi.security.api_keys import Scope
    from yinsi.server import create_app

    with SqlUnitOfWork(desk.services.database) as uow:
        admin = uow.api_keys.create("admin", [Scope.ADMIN])[1]
        uow.commit()
    request_id = desk.approved(desk.user())
    assert desk.services.rights.leases.take(request_id, "host:2:elsewhere")
    headers = {"Authorization": f"Bearer {admin}"}
    with TestClient(create_app(desk.services)) as client:
        busy = client.post(f"/v1/requests/{request_id}:run", headers=headers)
        assert busy.status_code == 409, busy.text
        assert "being executed by another run" in busy.json()["detail"]
        assert 1 <= int(busy.headers["retry-after"]) <= LEASE_S + 1
        time.sleep(LEASE_S + 0.2)
        done = client.post(f"/v1/requests/{request_id}:run", headers=headers)
        assert done.status_code == 200 and done.json()["status"] == "completed"
        spec = client.get("/openapi.json").json()
        run = spec["paths"]["/v1/requests/{request_id}:run"]["post"]["responses"]
        assert {"200", "202", "409", "503"} <= set(run)
        assert "Location" in run["202"]["headers"]


def test_two_starts_at_once_record_one_move_the_other_conflicts(desk: Desk) -> None:
    """The row and its history are read in two statements: a move committed between them
    must not let a second move through (it would record ``executing`` twice)."""
    from yinsi.storage import RequestConflict

    rights = desk.services.rights
    for n in range(10):
        request_id = desk.approved(desk.user(n=n % 2))
        start = threading.Barrier(2)
        outcomes: list[object] = []

        def move(
            request_id: str = request_id,
            start: threading.Barrier = start,
            outcomes: list[object] = outcomes,
        ) -> None:
            start.wait()
            try:
                outcomes.append(rights.start(request_id, actor="op").status)
            except RequestConflict as exc:
                outcomes.append(exc)

        threads = [threading.Thread(target=move) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        history = [t.status for t in rights.get(request_id).history]
        assert history.count(Status.EXECUTING) == 1, (history, outcomes)
