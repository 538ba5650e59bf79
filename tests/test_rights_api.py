"""``/v1/requests`` on the all-SQLite sample: filed by the app's back-end, run by staff.

yinsi's database and the sample's ``core`` and ``risk`` stores are SQLite files in
``tmp_path``; ``cache`` is the machine's Redis under a fresh key prefix. SMS codes are
captured by the service's :class:`CapturedSms` (its ``sent`` list).
"""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from delivery_fixtures import CapturedSms
from yinsi.security.api_keys import Scope
from yinsi.server import create_app
from yinsi.services.consent import Engine
from yinsi.services.root import Services
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade
from yinsi_demo import Profile

if TYPE_CHECKING:
    from sample_fixtures import LendingFactory, LendingStores

pytest_plugins = ["sample_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
DATA_MAP = ROOT / "examples" / "datamaps" / "xiaoying-kadai.yaml"
CODE = re.compile(r"验证码(\d{6})")


def prefixed_data_map(folder: Path, prefix: str) -> Path:
    """The sample's data map file with the test's Redis prefix before each key pattern."""
    text = DATA_MAP.read_text(encoding="utf-8")
    assert text.count('key: "') == 3  # sessions, locations, sms_codes
    path = folder / "datamap.yaml"
    path.write_text(text.replace('key: "', f'key: "{prefix}'), encoding="utf-8")
    return path


@dataclass
class Api:
    client: TestClient
    keys: dict[Scope, str]
    sms: CapturedSms
    stores: LendingStores
    url: str
    data_map: Path
    environ: dict[str, str]

    def call(self, method: str, path: str, scope: Scope, body: Any = None, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[scope]}"}
        return self.client.request(method, path, headers=headers, json=body, params=params)

    def ok(self, method: str, path: str, scope: Scope, body: Any = None, **params: Any) -> Any:
        response = self.call(method, path, scope, body, **params)
        assert response.status_code < 300, response.text
        return response.json()

    def submit(self, subject_id: str, kind: str, **more: Any) -> dict[str, Any]:
        body = {"subject_id": subject_id, "kind": kind, **more}
        response = self.call("POST", "/v1/requests", Scope.BACKEND, body)
        assert response.status_code == 201, response.text
        out: dict[str, Any] = response.json()
        return out

    def code(self) -> str:
        found = CODE.search(self.sms.sent[-1][1])
        assert found
        return found.group(1)

    def verified(self, request_id: str) -> dict[str, Any]:
        self.ok("POST", f"/v1/requests/{request_id}:send-code", Scope.BACKEND)
        body = {"answer": self.code()}
        out: dict[str, Any] = self.ok(
            "POST", f"/v1/requests/{request_id}:verify", Scope.BACKEND, body
        )
        return out

    def done(self, request_id: str, *, verify: bool = True) -> dict[str, Any]:
        """Verified (unless it is already), approved and run."""
        if verify:
            self.verified(request_id)
        self.ok("POST", f"/v1/requests/{request_id}:approve", Scope.ADMIN)
        out: dict[str, Any] = self.ok("POST", f"/v1/requests/{request_id}:run", Scope.ADMIN)
        return out

    def user(self, profile: Profile) -> str:
        return self.stores.seeded.of(profile)[0].user_id


def _keys(url: str) -> dict[Scope, str]:
    db = create_engine(url)
    keys = {}
    with SqlUnitOfWork(db) as uow:
        for scope in Scope:
            keys[scope] = uow.api_keys.create(f"test-{scope.value}", [scope])[1]
        uow.commit()
    db.dispose()
    return keys


@pytest.fixture
def api(
    lending_stores_factory: LendingFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Api]:
    with lending_stores_factory("sqlite", tmp_path / "lending") as stores:
        url = f"sqlite:///{tmp_path / 'yinsi.db'}"
        upgrade(url)
        with Engine(url, actor="test") as engine:
            engine.publish(DECLARATION)
        keys = _keys(url)
        sms = CapturedSms()
        environ = {**stores.environ, "YINSI_HOME": str(tmp_path / "home")}
        data_map = prefixed_data_map(tmp_path, stores.redis_prefix)
        db = create_engine(url)
        with Services.open(
            url, data_map=data_map, environ=environ, sms=sms, actor="api"
        ) as services:
            app = create_app(services)
            with TestClient(app) as client:
                yield Api(client, keys, sms, stores, url, data_map, environ)
        db.dispose()


def test_x31_access_flow_and_archive(api: Api) -> None:
    uid = api.user(Profile.NO_LOAN)
    filed = api.submit(uid, "access")
    assert filed["status"] == "received" and filed["status_label"] == "已受理，待验证身份"
    assert filed["due"] is None  # counted from verification (X35)
    request_id = filed["id"]
    assert api.verified(request_id)["due"]["working_days"] == 15
    done = api.done(request_id, verify=False)
    assert done["status"] == "completed" and done["answer"]
    got = api.ok("GET", f"/v1/requests/{request_id}", Scope.AUDITOR)
    assert [h["status"] for h in got["history"]] == [
        "received",
        "verified",
        "approved",
        "executing",
        "completed",
    ]
    steps = api.ok("GET", f"/v1/requests/{request_id}/steps", Scope.AUDITOR)
    assert steps and all(s["status"] == "done" for s in steps)
    response = api.call("GET", f"/v1/requests/{request_id}/archive", Scope.BACKEND)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        assert {"说明.md", "data.json"} <= set(z.namelist())
        data = json.loads(z.read("data.json"))
    assert api.stores.seeded.subject(uid).mobile_number in json.dumps(data, ensure_ascii=False)


def test_w14_deletion_flow_completes(api: Api) -> None:
    uid = api.user(Profile.NO_LOAN)
    filed = api.submit(uid, "deletion", trigger="consent_withdrawn", channel="customer_service")
    done = api.done(filed["id"])
    assert done["status"] == "completed" and done["channel"] == "customer_service"
    left = api.stores.snapshot()
    erasable = api.stores.seeded.erasable_cells(uid)
    assert erasable and not [c for c, v in erasable.items() if left.get(c) == v]
    archive = api.call("GET", f"/v1/requests/{filed['id']}/archive", Scope.BACKEND)
    assert archive.status_code == 404  # only an export has an archive


def test_archive_of_an_unfinished_export_is_404(api: Api) -> None:
    filed = api.submit(api.user(Profile.NO_LOAN), "copy")
    response = api.call("GET", f"/v1/requests/{filed['id']}/archive", Scope.BACKEND)
    assert response.status_code == 404 and "completed" in response.json()["detail"]


def test_x35_refusal_only_on_a_declared_ground(api: Api) -> None:
    request_id = api.submit(api.user(Profile.NO_LOAN), "access")["id"]
    bad = api.call("POST", f"/v1/requests/{request_id}:refuse", Scope.ADMIN, {"ground": "busy"})
    assert bad.status_code == 422 and "declared ground" in bad.json()["detail"]
    body = {"ground": "trade_secret", "note": "涉及风控模型"}
    refused = api.ok("POST", f"/v1/requests/{request_id}:refuse", Scope.ADMIN, body)
    assert refused["status"] == "refused" and refused["refusal"]["ground"] == "trade_secret"
    assert "投诉" in refused["refusal"]["remedy"] + refused["answer"]
    again = api.call("POST", f"/v1/requests/{request_id}:approve", Scope.ADMIN)
    assert again.status_code == 409 and "refused" in again.json()["detail"]


def test_x35_five_wrong_codes_lock(api: Api) -> None:
    request_id = api.submit(api.user(Profile.NO_LOAN), "access")["id"]
    api.ok("POST", f"/v1/requests/{request_id}:send-code", Scope.BACKEND)
    code = api.code()
    wrong = {"answer": f"{(int(code) + 1) % 1_000_000:06d}"}
    path = f"/v1/requests/{request_id}:verify"
    remaining = []
    for _ in range(5):
        response = api.call("POST", path, Scope.BACKEND, wrong)
        assert response.status_code == 403
        remaining.append(response.json()["detail"]["remaining"])
    assert remaining == [4, 3, 2, 1, 0]
    locked = api.call("POST", path, Scope.BACKEND, {"answer": code})
    assert locked.status_code == 403 and locked.json()["detail"]["remaining"] == 0
    assert code not in locked.text
    assert api.ok("GET", f"/v1/requests/{request_id}", Scope.BACKEND)["status"] == "received"
    again = api.call("POST", f"/v1/requests/{request_id}:send-code", Scope.BACKEND)
    assert again.status_code == 429 and 0 < int(again.headers["retry-after"]) <= 60  # issue 14
    assert again.json()["detail"]["retry_after_s"] == int(again.headers["retry-after"])


def test_backend_key_cannot_approve(api: Api) -> None:
    request_id = api.verified(api.submit(api.user(Profile.NO_LOAN), "access")["id"])["id"]
    for action in ("approve", "run"):
        response = api.call("POST", f"/v1/requests/{request_id}:{action}", Scope.BACKEND)
        assert response.status_code == 403 and "admin" in response.json()["detail"]
    assert api.call("GET", f"/v1/requests/{request_id}/steps", Scope.BACKEND).status_code == 403
    assert api.call("GET", "/v1/requests", Scope.BACKEND).status_code == 403
    assert api.call("POST", "/v1/requests", Scope.ADMIN, {}).status_code == 403


def test_x27_correction_values_are_never_echoed(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    uid = api.user(Profile.NO_LOAN)
    value = "上海市浦东新区世纪大道100号"
    filed = api.submit(uid, "correction", corrections={"address": value})
    assert filed["corrected_elements"] == ["address"] and value not in json.dumps(filed)
    got = api.call("GET", f"/v1/requests/{filed['id']}", Scope.AUDITOR)
    assert value not in got.text
    bad_value = {"subject_id": uid, "kind": "correction", "corrections": {"mobile_number": "1381"}}
    bad = api.call("POST", "/v1/requests", Scope.BACKEND, bad_value)
    assert bad.status_code == 422 and "1381" not in bad.text
    bad_type = {**bad_value, "corrections": {"address": 987654321}}
    rejected = api.call("POST", "/v1/requests", Scope.BACKEND, bad_type)
    assert rejected.status_code == 422 and "987654321" not in rejected.text
    assert rejected.json()["detail"][0]["loc"] == ["body", "corrections", "address"]
    suffix = api.call(
        "POST", f"/v1/requests/{filed['id']}:verify", Scope.BACKEND, {"answer": 12345678}
    )
    assert suffix.status_code == 422 and "12345678" not in suffix.text
    assert value not in caplog.text and "987654321" not in caplog.text


def test_invalid_request_is_422_and_unknown_id_404(api: Api) -> None:
    missing = api.call(
        "POST", "/v1/requests", Scope.BACKEND, {"subject_id": "u1", "kind": "deletion"}
    )
    assert missing.status_code == 422 and "trigger" in missing.json()["detail"]
    unknown = api.call("GET", "/v1/requests/req_nope", Scope.AUDITOR)
    assert unknown.status_code == 404 and "req_nope" in unknown.json()["detail"]
    steps = api.call("GET", "/v1/requests/req_nope/steps", Scope.AUDITOR)
    assert steps.status_code == 404


def test_list_by_status_subject_and_overdue(api: Api) -> None:
    a = api.submit(api.user(Profile.NO_LOAN), "access")["id"]
    b = api.submit(api.user(Profile.MIXED), "access")["id"]
    api.verified(b)
    listed = [r["id"] for r in api.ok("GET", "/v1/requests", Scope.AUDITOR)]
    assert listed == [b, a]  # the one with a due date first
    verified = api.ok("GET", "/v1/requests", Scope.ADMIN, status="verified")
    assert [r["id"] for r in verified] == [b]
    mine = api.ok("GET", "/v1/requests", Scope.AUDITOR, subject_id=api.user(Profile.NO_LOAN))
    assert [r["id"] for r in mine] == [a]
    assert api.ok("GET", "/v1/requests", Scope.AUDITOR, overdue="true") == []


def test_x35_overdue_lists_open_requests_past_due(api: Api) -> None:
    past = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)
    sms = CapturedSms()
    with Services.open(
        api.url, data_map=api.data_map, environ=api.environ, sms=sms, clock=lambda: past
    ) as opened:
        service = opened.rights
        late = service.submit(api.user(Profile.MIXED), "access")
        service.send_code(late.id)
        code = CODE.search(sms.sent[-1][1])
        assert code
        service.verify(late.id, code.group(1))
    fresh = api.submit(api.user(Profile.NO_LOAN), "access")["id"]
    api.verified(fresh)
    overdue = api.ok("GET", "/v1/requests", Scope.AUDITOR, overdue="true")
    assert [r["id"] for r in overdue] == [late.id]
    assert overdue[0]["due"]["date"] == "2026-10-29"


def test_answer_closes_a_complaint(api: Api) -> None:
    filed = api.submit(api.user(Profile.NO_LOAN), "complaint", text="客服态度差")
    assert api.verified(filed["id"])["due"]["target"] is not None  # 3 working days (X36)
    waiting = api.done(filed["id"], verify=False)
    assert waiting["status"] == "executing"
    body = {"text": "已核实并处理，感谢您的反馈。"}
    answered = api.ok("POST", f"/v1/requests/{filed['id']}:answer", Scope.ADMIN, body)
    assert answered["status"] == "completed" and answered["answer"] == body["text"]


def test_without_rights_service_routes_answer_503(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    keys = _keys(url)
    db = create_engine(url)
    with TestClient(create_app(Services(db, actor="api"))) as c:
        response = c.get(
            "/v1/requests/req_x", headers={"Authorization": f"Bearer {keys[Scope.AUDITOR]}"}
        )
    db.dispose()
    assert response.status_code == 503 and "--map" in response.json()["detail"]
