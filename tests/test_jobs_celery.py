"""Real Celery workers on RabbitMQ run rights requests sent through the API.

Each test sends to a queue of its own (deleted after), starts ``yinsi worker --pool solo``
processes with subprocess (killed at the end, whatever happens) on yinsi's database (a
scratch PostgreSQL database) and the sample's stores (``core`` on PostgreSQL, ``risk`` on
MariaDB, ``cache`` on Redis), and checks the stores cell by cell against the seeded truth.

A run is held "mid-run" deterministically: the test locks the subject's ``users`` row in
``core`` (``SELECT … FOR NO KEY UPDATE``), so the step that erases that row's fields waits
on the lock after the steps before it are done.
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from kombu import Connection

from jobs_fixtures import HASH_KEY, Desk, data_map_file, desk_on, each_step_once, erased_once
from yinsi.rights.plan import StepStatus
from yinsi.rights.requests import Status
from yinsi.security.api_keys import Scope
from yinsi.server import create_app
from yinsi.settings import Settings
from yinsi.settings.jobs import JobSettings
from yinsi.storage import SqlUnitOfWork, create_engine

if TYPE_CHECKING:
    from sample_fixtures import LendingFactory

pytest_plugins = ["sample_fixtures"]

BROKER = os.environ.get("YINSI_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
LEASE_S = 3
YINSI = Path(sys.executable).parent / "yinsi"


@dataclass
class Rig:
    desk: Desk
    client: TestClient
    admin: str
    queue: str
    url: str
    folder: Path
    data_map: Path
    workers: list[subprocess.Popen[bytes]]

    def worker(self, name: str) -> subprocess.Popen[bytes]:
        """Start ``yinsi worker`` (solo pool) and wait until it consumes the queue."""
        log = self.folder / f"{name}.log"
        env = {
            **os.environ,
            **self.desk.stores.environ,
            "YINSI_JOBS__BROKER_URL": BROKER,
            "YINSI_JOBS__QUEUE": self.queue,
            "YINSI_JOBS__LEASE_S": str(LEASE_S),
            "YINSI_HOME": str(self.folder / "home"),
            "YINSI_ERASURE_KEY": base64.b64encode(HASH_KEY).decode(),
            "YINSI_DEMO": "1",
        }
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(YINSI), "worker", "--pool", "solo", "--url", self.url, "--map",
                 str(self.data_map), "--loglevel", "INFO"],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.workers.append(proc)
        wait_for(lambda: b"ready." in log.read_bytes() or proc.poll() is not None, 40, log)
        assert proc.poll() is None, log.read_text(errors="replace")
        return proc

    def run(self, request_id: str) -> Any:
        headers = {"Authorization": f"Bearer {self.admin}"}
        return self.client.post(f"/v1/requests/{request_id}:run", headers=headers)

    def status(self, request_id: str) -> str:
        headers = {"Authorization": f"Bearer {self.admin}"}
        got = self.client.get(f"/v1/requests/{request_id}", headers=headers)
        assert got.status_code == 200, got.text
        return str(got.json()["status"])


def wait_for(done: Callable[[], bool], seconds: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            shown = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            pytest.fail(f"not done within {seconds} s\n{shown}")
        time.sleep(0.1)


def kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


@pytest.fixture
def rig(lending_stores_factory: LendingFactory, postgres_url: str, tmp_path: Path) -> Iterator[Rig]:
    queue = f"yinsi_test_{secrets.token_hex(6)}"
    settings = Settings(jobs=JobSettings(broker_url=BROKER, queue=queue, lease_s=LEASE_S))
    workers: list[subprocess.Popen[bytes]] = []
    with lending_stores_factory("services", tmp_path / "lending") as stores:
        desk = desk_on(stores, postgres_url, tmp_path / "home", settings)
        db = create_engine(postgres_url)
        with SqlUnitOfWork(db) as uow:
            admin = uow.api_keys.create("admin", [Scope.ADMIN, Scope.AUDITOR])[1]
            uow.commit()
        db.dispose()
        data_map = data_map_file(tmp_path, stores.redis_prefix)
        try:
            with TestClient(create_app(desk.services)) as client:
                yield Rig(desk, client, admin, queue, postgres_url, tmp_path, data_map, workers)
        finally:
            for proc in workers:
                kill(proc)
            desk.services.close()
            with Connection(BROKER) as conn:
                conn.default_channel.queue_delete(queue)


@contextmanager
def users_row_locked(rig: Rig, uid: str) -> Iterator[None]:
    """Hold the subject's ``users`` row in ``core`` (the erasure of its fields waits)."""
    engine = sa.create_engine(rig.desk.stores.urls["core"])
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(
                sa.text("SELECT id FROM users WHERE id = :id FOR NO KEY UPDATE"), {"id": uid}
            )
            yield
    finally:
        engine.dispose()


def users_step_running(rig: Rig, request_id: str) -> Callable[[], bool]:
    def check() -> bool:
        steps = rig.desk.services.rights.steps(request_id)
        return any(s.dataset == "users" and s.status is StepStatus.RUNNING for s in steps)

    return check


# ------------------------------------------------------------------ the tests


def test_x28_run_through_the_api_answers_202_and_a_worker_completes_it(rig: Rig) -> None:
    rig.worker("a")
    uid = rig.desk.user()
    request_id = rig.desk.approved(uid)
    before = rig.desk.stores.snapshot()
    answer = rig.run(request_id)
    assert answer.status_code == 202, answer.text
    assert answer.headers["location"] == f"/v1/requests/{request_id}"
    assert answer.json()["status"] == "executing"
    wait_for(lambda: rig.status(request_id) == "completed", 40)
    each_step_once(rig.desk.services, request_id)
    erased_once(rig.desk.stores, before, uid)


def test_x28_two_runs_at_once_execute_once(rig: Rig) -> None:
    rig.worker("a")
    rig.worker("b")
    uid = rig.desk.user()
    request_id = rig.desk.approved(uid)
    before = rig.desk.stores.snapshot()
    answers: list[int] = []
    with users_row_locked(rig, uid):
        start = threading.Barrier(2)

        def run() -> None:
            start.wait()
            answers.append(rig.run(request_id).status_code)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(answers) in ([202, 202], [202, 409]), answers
        wait_for(users_step_running(rig, request_id), 30)
        # a third :run while a worker executes it: sent, and the lease keeps it to one run
        assert rig.run(request_id).status_code == 202
        time.sleep(LEASE_S)  # the other worker got the duplicate and found the request held
    wait_for(lambda: rig.status(request_id) == "completed", 40)
    time.sleep(1.5)  # let the duplicates come back and find it done
    each_step_once(rig.desk.services, request_id)
    erased_once(rig.desk.stores, before, uid)


def test_x28_a_worker_killed_mid_run_is_redelivered_and_completes_once(rig: Rig) -> None:
    first = rig.worker("a")
    uid = rig.desk.user()
    request_id = rig.desk.approved(uid)
    before = rig.desk.stores.snapshot()
    with users_row_locked(rig, uid):
        assert rig.run(request_id).status_code == 202
        wait_for(users_step_running(rig, request_id), 30)
        time.sleep(0.3)  # the UPDATE is waiting on our lock
        steps = rig.desk.services.rights.steps(request_id)
        users = next(s for s in steps if s.dataset == "users")
        done_before = [s.n for s in steps if s.status is StepStatus.DONE]
        assert done_before and users.attempts == 1
        kill(first)  # kill -9 mid-erasure: the task was not acknowledged
    rig.worker("b")
    wait_for(lambda: rig.status(request_id) == "completed", 45)
    steps = rig.desk.services.rights.steps(request_id)
    assert all(s.status is StepStatus.DONE for s in steps)
    by_n = {s.n: s for s in steps}
    assert next(s for s in steps if s.dataset == "users").attempts == 2  # resumed there
    assert all(by_n[n].attempts == 1 for n in done_before)  # nothing done is done again
    history = [t.status for t in rig.desk.services.rights.get(request_id).history]
    assert history.count(Status.EXECUTING) == 1 and history[-1] is Status.COMPLETED
    erased_once(rig.desk.stores, before, uid)
