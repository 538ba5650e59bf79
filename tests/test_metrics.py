"""Issue 14 Build 7: ``GET /metrics`` — decisions, HTTP requests by route template, the
overdue-requests gauge computed at scrape time — and who may read it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from conftest import EXAMPLES
from test_api_fixtures import Service, service
from test_rights_api import Api, api
from yinsi.security.api_keys import Scope
from yinsi.server import create_app
from yinsi.services.health import overdue_requests
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.settings.operations import OperationsSettings
from yinsi_demo import Profile

if TYPE_CHECKING:
    from sample_fixtures import LendingStores

pytest_plugins = ["storage_fixtures", "sample_fixtures"]
__all__ = ["api", "service"]

APP = "xiaoying_kadai"
S1 = f"/v1/apps/{APP}/subjects/s1"
EVENTS_ROUTE = "/v1/apps/{app_id}/subjects/{subject_id}/events"
TOKEN = "metrics-token-for-tests"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition ``text`` (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


@contextmanager
def _metrics_client(services: Services, *, local: bool) -> Iterator[TestClient]:
    address = ("127.0.0.1", 50000) if local else ("203.0.113.9", 50000)
    with TestClient(create_app(services), client=address) as client:
        yield client


def _scrape(service: Service) -> str:
    local = TestClient(service.client.app, client=("127.0.0.1", 50000))
    answer = local.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    text: str = answer.text
    return text


def test_decisions_are_counted_by_outcome_with_their_latency(service: Service) -> None:
    c = service.client
    before = _scrape(service)
    declaration = (EXAMPLES / "xiaoying-kadai.yaml").read_text(encoding="utf-8")
    c.post("/v1/policies", json={"declaration": declaration}, headers=service.auth(Scope.ADMIN))
    login = {"element": "password", "purpose": "account_security", "scenario": "login"}
    location = {"element": "precise_location", "purpose": "anti_fraud", "scenario": "location"}
    backend = service.auth(Scope.BACKEND)
    c.post(f"{S1}/policy:accept", json={"evidence": {"channel": "app"}}, headers=backend)
    decided = c.post(f"{S1}/decisions", json=[login, location], headers=backend).json()
    allowed = sum(d["allowed"] for d in decided)
    assert allowed == 1  # login is needed for the service; location needs its consent
    text = _scrape(service)
    assert sample(text, "yinsi_decisions_total", outcome="allow") == allowed + sample(
        before, "yinsi_decisions_total", outcome="allow"
    )
    assert sample(text, "yinsi_decisions_total", outcome="deny") == 2 - allowed + sample(
        before, "yinsi_decisions_total", outcome="deny"
    )
    assert sample(text, "yinsi_decision_seconds_count") == 1 + sample(
        before, "yinsi_decision_seconds_count"
    )


def test_http_requests_are_labelled_by_route_template_never_the_raw_path(
    service: Service,
) -> None:
    before = _scrape(service)
    auditor = service.auth(Scope.AUDITOR)
    for subject in ("s1", "user-7f3a", "user-9c2e"):
        answer = service.client.get(f"/v1/apps/{APP}/subjects/{subject}/events", headers=auditor)
        assert answer.status_code == 200
    service.client.get("/no/such/page/user-9c2e")
    text = _scrape(service)
    route = {"method": "GET", "route": EVENTS_ROUTE, "status": "200"}
    assert sample(text, "yinsi_http_requests_total", **route) == 3 + sample(
        before, "yinsi_http_requests_total", **route
    )
    assert sample(text, "yinsi_http_request_seconds_count", route=EVENTS_ROUTE) >= 3
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert sample(text, "yinsi_http_requests_total", **unmatched) >= 1
    assert "user-7f3a" not in text and "user-9c2e" not in text


def test_metrics_are_local_only_unless_a_token_is_set(service: Service) -> None:
    remote = service.client  # TestClient's address is not a loopback one
    assert remote.get("/metrics").status_code == 403
    app: Any = service.client.app
    database = app.state.services.database
    settings = Settings(operations=OperationsSettings(metrics_token=SecretStr(TOKEN)))
    with _metrics_client(Services(database, settings=settings), local=False) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200 and "yinsi_decisions_total" in right.text
    closed = Settings(operations=OperationsSettings(metrics_local=False))
    with _metrics_client(Services(database, settings=closed), local=True) as client:
        assert client.get("/metrics").status_code == 403  # behind a proxy: nothing is local
    assert "/metrics" not in remote.get("/openapi.json").json()["paths"]


def test_overdue_requests_gauge_is_computed_at_scrape_time(api: Api) -> None:
    filed = api.submit(api.user(Profile.NO_LOAN), "access")
    api.verified(filed["id"])  # the statutory clock starts: due in 15 working days

    def later() -> datetime:
        return datetime.now(UTC) + timedelta(days=60)

    settings = Settings(operations=OperationsSettings(metrics_token=SecretStr(TOKEN)))
    with Services.open(
        api.url, data_map=api.data_map, environ=api.environ, actor="api", settings=settings
    ) as now:
        assert overdue_requests(now) == 0
    with Services.open(
        api.url,
        data_map=api.data_map,
        environ=api.environ,
        actor="api",
        clock=later,
        settings=settings,
    ) as then:
        assert overdue_requests(then) == 1
        with _metrics_client(then, local=False) as client:
            text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert sample(text, "yinsi_rights_requests_overdue") == 1.0


def test_retention_sweep_progress_is_counted_by_action(
    lending_stores: LendingStores, tmp_path: Path
) -> None:
    from prometheus_client import REGISTRY

    from test_retention import _days, _engine, _service

    def swept(action: str) -> float:
        value = REGISTRY.get_sample_value("yinsi_retention_sweep_rows_total", {"action": action})
        return value or 0.0

    devices_day, users_day, _ = _days(lending_stores)
    before = {a: swept(a) for a in ("delete", "erase_fields")}
    with _engine(tmp_path) as engine:
        service = _service(lending_stores, engine, tmp_path)
        try:
            deleted = sum(service.run(devices_day, batch=3).rows.values())
            erased = sum(service.run(users_day, batch=3).rows.values())
        finally:
            service.close()
    assert deleted > 0 and erased > 0
    assert swept("delete") + swept("erase_fields") == sum(before.values()) + deleted + erased
    assert swept("delete") > before["delete"] and swept("erase_fields") > before["erase_fields"]
