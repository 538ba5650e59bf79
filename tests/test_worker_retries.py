"""A worker's job that loses its connection to yinsi's own database is tried again (issue
16's fault drills: every connection terminated, then a run enqueued — the run met a dead
pooled connection and failed for good, leaving its request executing). A programming
error is not retried."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError, ProgrammingError

import yinsi.workers.app as worker_app
from yinsi.services.jobs import RUN_REQUEST
from yinsi.settings import Settings


@pytest.fixture(scope="module")
def task() -> Any:
    """The run job of a worker's Celery app (made once: Celery warns on a task name
    registered twice), run eagerly: a retry runs again at once, in process."""
    broker = {"jobs": {"broker_url": "amqp://guest:guest@127.0.0.1:5672//"}}
    app = worker_app.create_celery(Settings.model_validate(broker))
    app.conf.task_always_eager = True
    return app.tasks[RUN_REQUEST]


def test_x28_a_job_that_lost_its_database_connection_is_tried_again(
    task: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def run_job(services: object, name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        calls.append(dict(kwargs))
        if len(calls) < 3:  # twice a connection the database terminated
            raise OperationalError("SELECT 1", {}, Exception("terminating connection"))
        return {"request_id": kwargs["request_id"], "status": "completed"}

    monkeypatch.setattr(worker_app, "run_job", run_job)
    monkeypatch.setattr(worker_app, "services", lambda settings: object())
    result = task.apply(kwargs={"request_id": "req_1"}).get()
    assert result == {"request_id": "req_1", "status": "completed"}
    assert [c["request_id"] for c in calls] == ["req_1"] * 3


def test_a_job_that_fails_for_another_reason_is_not_retried(
    task: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def run_job(services: object, name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        calls.append(name)
        raise ProgrammingError("SELECT nope", {}, Exception("no such column"))

    monkeypatch.setattr(worker_app, "run_job", run_job)
    monkeypatch.setattr(worker_app, "services", lambda settings: object())
    with pytest.raises(ProgrammingError):
        task.apply(kwargs={"request_id": "req_1"}).get()
    assert calls == [RUN_REQUEST]
