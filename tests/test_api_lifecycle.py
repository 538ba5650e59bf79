"""Sharing and incidents over HTTP (issue 6): ``…/subjects/{s}/provisions``,
``…/recipients/{r}/entrustment[:end|:confirm]`` and ``/v1/incidents``.

yinsi's database is SQLite or PostgreSQL (``empty_url``); the app is the all-SQLite
lending sample (Redis for its cache) with one more store: a processor (the collection
agency, ``recipient: post_loan_collection``) behind a signed webhook served by this test.
The declaration is 小赢卡贷's plus one recipient that always gets de-identified records.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
import yaml
from fastapi.testclient import TestClient

from delivery_fixtures import CapturedSms
from yinsi.connectors import verify_signature
from yinsi.security.api_keys import Scope
from yinsi.server import create_app
from yinsi.services.consent import Engine
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade
from yinsi_demo import Profile

if TYPE_CHECKING:
    from sample_fixtures import LendingFactory, LendingStores

pytest_plugins = ["sample_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
DATA_MAP = ROOT / "examples" / "datamaps" / "xiaoying-kadai.yaml"
APP = "xiaoying_kadai"
SECRET = "whsec-api-lifecycle-0123456789"
PROFILED = {
    "id": "clearing_full",
    "kind": "other_handler",
    "name": "转接清算交易机构（完整查询）",
    "purposes": ["user_profiling"],
    "elements": ["mobile_number", "id_number", "birth_date", "address", "device_model"],
    "consent": "clearing_tags",
    "de_identified": "always",
}
EVIDENCE = {"evidence": {"channel": "app"}}
T0, T1 = "2025-06-14T22:00:00+08:00", "2025-06-15T09:00:00+08:00"


# ------------------------------------------------------------------ the processor


class _Processor(BaseHTTPRequestHandler):
    records: ClassVar[dict[str, str]] = {}
    confirm: ClassVar[bool] = True

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        verify_signature(
            SECRET, self.headers["X-Yinsi-Timestamp"], body, self.headers["X-Yinsi-Signature"]
        )
        payload = json.loads(body)
        if payload["action"] == "find":
            users = set(payload["identities"].get("user_id", []))
            answer: dict[str, Any] = {
                "records": [
                    {"key": k, "values": {"user_id": u}}
                    for k, u in self.records.items()
                    if u in users
                ]
            }
        else:
            gone = [k for k in payload["keys"] if self.records.pop(k, None) is not None]
            answer = {"status": "done", "affected": len(gone)}
            if self.confirm:
                answer["confirmation"] = "DEL-2025-042"
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def processor() -> Iterator[str]:
    _Processor.records = {}
    _Processor.confirm = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Processor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/yinsi"
    server.shutdown()
    server.server_close()


# ------------------------------------------------------------------ the service


def declaration_text() -> str:
    data = yaml.safe_load(DECLARATION.read_text(encoding="utf-8"))
    data["recipients"].append(PROFILED)
    for consent in data["consents"]:  # a separate consent covers only the PI it names
        if consent["id"] == PROFILED["consent"]:
            consent["elements"] = [*consent.get("elements", []), *PROFILED["elements"]]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def data_map_file(folder: Path, prefix: str, processor: str) -> Path:
    """The sample's data map, its Redis keys under the test's prefix, plus the processor."""
    data = yaml.safe_load(DATA_MAP.read_text(encoding="utf-8"))
    for ds in data["datasets"]:
        if "key" in ds:
            ds["key"] = prefix + ds["key"]
    data["stores"].append(
        {"id": "collector", "kind": "webhook", "url": processor, "secret": SECRET}
    )
    data["datasets"].append(
        {
            "id": "collection_cases",
            "label": "催收机构持有的信息",
            "store": "collector",
            "key": "case:{user_id}",
            "recipient": "post_loan_collection",
            "elements": ["name", "overdue_info"],
        }
    )
    path = folder / "datamap.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class Api:
    client: TestClient
    keys: dict[Scope, str]
    key_ids: dict[Scope, str]
    sms: CapturedSms
    stores: LendingStores
    url: str

    def call(self, method: str, path: str, scope: Scope, body: Any = None, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[scope]}"}
        return self.client.request(method, path, headers=headers, json=body, params=params)

    def ok(self, method: str, path: str, scope: Scope, body: Any = None, **params: Any) -> Any:
        response = self.call(method, path, scope, body, **params)
        assert response.status_code < 300, response.text
        return response.json()

    def user(self, profile: Profile = Profile.NO_LOAN, n: int = 0) -> str:
        return self.stores.seeded.of(profile)[n].user_id

    def provide(self, subject: str, scope: Scope = Scope.BACKEND, **body: Any) -> Any:
        return self.call("POST", f"/v1/apps/{APP}/subjects/{subject}/provisions", scope, body)

    def consent(self, subject: str, consent_id: str, action: str = "grant") -> None:
        base = f"/v1/apps/{APP}/subjects/{subject}"
        self.ok("POST", base + "/policy:accept", Scope.BACKEND, EVIDENCE)
        self.ok("POST", base + f"/consents/{consent_id}:{action}", Scope.BACKEND, EVIDENCE)

    def audit(self) -> list[tuple[str, str, dict[str, Any]]]:
        db = create_engine(self.url)
        try:
            with SqlUnitOfWork(db) as uow:
                return [(e.actor, e.action, dict(e.details or {})) for e in uow.audit.entries()]
        finally:
            db.dispose()


@pytest.fixture
def api(
    lending_stores_factory: LendingFactory,
    empty_url: str,
    processor: str,
    tmp_path: Path,
) -> Iterator[Api]:
    with lending_stores_factory("sqlite", tmp_path / "lending") as stores:
        upgrade(empty_url)
        with Engine(empty_url, actor="test") as engine:
            engine.publish(declaration_text())
        db = create_engine(empty_url)
        keys, ids = {}, {}
        with SqlUnitOfWork(db) as uow:
            for scope in Scope:
                key, secret = uow.api_keys.create(f"test-{scope.value}", [scope])
                keys[scope], ids[scope] = secret, key.id
            uow.commit()
        sms = CapturedSms()
        environ = {**stores.environ, "YINSI_HOME": str(tmp_path / "home")}
        data_map = data_map_file(tmp_path, stores.redis_prefix, processor)
        demo = Settings(demo=True, delivery={"regulator_emails": ["report@cac.example"]})
        with Services.open(
            empty_url, data_map=data_map, environ=environ, sms=sms, actor="api", settings=demo
        ) as services:
            app = create_app(services)
            with TestClient(app) as client:
                yield Api(client, keys, ids, sms, stores, empty_url)
        db.dispose()


# ------------------------------------------------------------------ provisions


def test_x22_w11_provision_needs_separate_consent_and_is_recorded(api: Api) -> None:
    uid = api.user()
    ask = {
        "recipient": "funders",
        "elements": ["name", "mobile_number"],
        "purpose": "loan_service",
        "record": {"name": "张三", "mobile_number": "13812341234"},
    }
    refused = api.provide(uid, **ask)
    assert refused.status_code == 403
    detail = refused.json()["detail"]
    assert (detail["allowed"], detail["reason"], detail["consent_id"]) == (
        False,
        "separate_consent_required",
        "funder_sharing",
    )
    assert detail["message"] == "需要取得用户的单独同意"
    assert "13812341234" not in refused.text

    api.consent(uid, "funder_sharing")
    made = api.provide(uid, **ask)
    assert made.status_code == 201, made.text
    out = made.json()
    assert out["decision"]["reason"] == "consent" and out["record"] == ask["record"]
    provision = out["provision"]
    assert provision["basis"] == "consent" and provision["consent_id"] == "funder_sharing"
    assert provision["actor"] == api.key_ids[Scope.BACKEND] and provision["id"] is not None

    api.consent(uid, "funder_sharing", "withdraw")
    withdrawn = api.provide(uid, **ask)
    assert withdrawn.status_code == 403
    assert withdrawn.json()["detail"]["reason"] == "consent_withdrawn"

    ledger = api.ok("GET", f"/v1/apps/{APP}/subjects/{uid}/provisions", Scope.AUDITOR)
    assert [(p["recipient"], p["elements"], p["purpose"]) for p in ledger] == [
        ("funders", ["name", "mobile_number"], "loan_service")
    ]
    assert api.ok("GET", f"/v1/apps/{APP}/subjects/{uid}/provisions", Scope.BACKEND) == ledger
    entries = api.audit()
    recorded = [e for e in entries if e[1] == "provision.recorded"]
    assert [(actor, d["recipient"]) for actor, _, d in recorded] == [
        (api.key_ids[Scope.BACKEND], "funders")
    ]
    assert sum(1 for e in entries if e[1] == "provision.refused") == 2
    assert "13812341234" not in json.dumps([e[2] for e in entries], ensure_ascii=False)


def test_x22_x24_x37_undeclared_provisions_are_422_with_the_reason(api: Api) -> None:
    uid = api.user()
    api.consent(uid, "funder_sharing")
    base = {"recipient": "funders", "purpose": "loan_service"}
    element = api.provide(uid, **base, elements=["name", "sms_code"])
    assert element.status_code == 422
    assert element.json()["detail"]["reason"] == "not_declared"
    assert element.json()["detail"]["missing"] == ["element:sms_code"]
    unknown = api.provide(uid, recipient="data_broker", elements=["name"], purpose="x")
    assert unknown.json()["detail"]["missing"] == ["recipient:data_broker"]
    abroad = api.provide(uid, **base, elements=["name"], cross_border=True)
    assert (abroad.status_code, abroad.json()["detail"]["reason"]) == (
        422,
        "cross_border_not_declared",
    )
    public = api.provide(uid, **base, elements=["name"], public=True)
    assert (public.status_code, public.json()["detail"]["reason"]) == (
        422,
        "public_disclosure_not_declared",
    )
    # a record carrying an element not decided on: refused, its value never echoed
    extra = api.provide(
        uid, **base, elements=["name"], record={"name": "张三", "mobile_number": "13900001111"}
    )
    assert extra.status_code == 422 and "mobile_number" in extra.text
    assert "13900001111" not in extra.text and "张三" not in extra.text
    # a body that does not fit: FastAPI's 422 without the values sent
    bad = api.provide(uid, **base, elements=[], record={"name": "李四四"})
    assert bad.status_code == 422 and "李四四" not in bad.text
    assert api.ok("GET", f"/v1/apps/{APP}/subjects/{uid}/provisions", Scope.AUDITOR) == []


def test_x19_statutory_provision_needs_no_consent(api: Api) -> None:
    uid = api.user()
    made = api.provide(
        uid,
        recipient="state_organs",
        elements=["id_number", "loan_records"],
        purpose="legal_compliance",
    )
    assert made.status_code == 201, made.text
    assert made.json()["provision"]["basis"] == "legal_basis:legal_duty"
    assert made.json()["provision"]["consent_id"] is None


def test_x22_always_deidentified_recipient_gets_the_record_through_its_profile(api: Api) -> None:
    uid = api.user()
    api.consent(uid, "clearing_tags")
    record = {
        "mobile_number": "13812341234",
        "id_number": "11010519491231002X",
        "birth_date": "1990-05-17",
        "address": "广东省深圳市南山区科技园路1号",
        "device_model": "iPhone 15",
    }
    made = api.provide(
        uid,
        recipient="clearing_full",
        elements=list(record),
        purpose="user_profiling",
        record=record,
    )
    assert made.status_code == 201, made.text
    out = made.json()
    assert out["decision"]["de_identified"] == "always"
    assert out["provision"]["de_identified"] == "always"
    sent = out["record"]
    assert sent["mobile_number"] == "138****1234" and sent["id_number"] == "110105********002X"
    assert sent["birth_date"] == "1990" and sent["address"] == "广东省"
    assert sent["device_model"] == "iPhone 15"
    assert "13812341234" not in made.text


def test_provision_scopes(api: Api) -> None:
    uid = api.user()
    ask = {"recipient": "state_organs", "elements": ["id_number"], "purpose": "legal_compliance"}
    assert api.provide(uid, Scope.AUDITOR, **ask).status_code == 403
    assert api.provide(uid, Scope.ADMIN, **ask).status_code == 403
    path = f"/v1/apps/{APP}/subjects/{uid}/provisions"
    assert api.client.get(path).status_code == 401
    assert api.call("POST", "/v1/incidents", Scope.BACKEND, {}).status_code == 403
    assert api.call("GET", "/v1/incidents", Scope.BACKEND).status_code == 403


# ------------------------------------------------------------------ access export


def test_x31_x19_access_export_lists_who_received_the_pi(api: Api) -> None:
    import re

    uid = api.user()
    api.consent(uid, "funder_sharing")
    assert (
        api.provide(
            uid, recipient="funders", elements=["name", "id_number"], purpose="loan_service"
        ).status_code
        == 201
    )
    assert (
        api.provide(
            uid, recipient="state_organs", elements=["loan_records"], purpose="legal_compliance"
        ).status_code
        == 201
    )
    other = api.user(n=1)
    api.consent(other, "funder_sharing")
    api.provide(other, recipient="funders", elements=["face"], purpose="loan_service")

    filed = api.ok("POST", "/v1/requests", Scope.BACKEND, {"subject_id": uid, "kind": "access"})
    rid = filed["id"]
    api.ok("POST", f"/v1/requests/{rid}:send-code", Scope.BACKEND)
    found = re.search(r"验证码(\d{6})", api.sms.sent[-1][1])
    assert found
    api.ok("POST", f"/v1/requests/{rid}:verify", Scope.BACKEND, {"answer": found.group(1)})
    api.ok("POST", f"/v1/requests/{rid}:approve", Scope.ADMIN)
    assert api.ok("POST", f"/v1/requests/{rid}:run", Scope.ADMIN)["status"] == "completed"
    response = api.call("GET", f"/v1/requests/{rid}/archive", Scope.BACKEND)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        data = json.loads(z.read("data.json"))
        index = z.read("说明.md").decode("utf-8")
    given = data["provisions"]
    assert [(p["recipient"], p["elements"], p["purpose"], p["basis"]) for p in given] == [
        ("funders", ["name", "id_number"], "loan_service", "consent"),
        ("state_organs", ["loan_records"], "legal_compliance", "legal_basis:legal_duty"),
    ]
    assert given[0]["recipient_name"].startswith("第三方资金出借主体") and given[0]["at"]
    assert "## 向他人提供您的个人信息的记录" in index
    assert "第三方资金出借主体" in index and "您的单独同意" in index
    assert "为履行法定职责或者法定义务所必需" in index and "行政、司法机关等有权机关" in index
    assert "人脸" not in index.split("## 向他人提供")[1]  # the other subject's provision


# ------------------------------------------------------------------ entrustment


def test_x21_entrustment_end_over_http_sends_erasure_and_tracks_confirmation(api: Api) -> None:
    uid = api.user()
    made = api.provide(
        uid, recipient="post_loan_collection", elements=["name"], purpose="post_loan_management"
    )
    assert made.status_code == 201 and made.json()["provision"]["basis"] == "entrusted"
    _Processor.records = {"case-1": uid, "case-2": uid, "case-9": "someone-else"}
    base = f"/v1/apps/{APP}/recipients/post_loan_collection/entrustment"
    assert api.call("GET", base, Scope.AUDITOR).status_code == 404  # never ended
    assert api.call("POST", base + ":end", Scope.BACKEND).status_code == 403

    ended = api.ok("POST", base + ":end", Scope.ADMIN)
    assert (ended["status"], ended["confirmation"], ended["subjects"], ended["affected"]) == (
        "confirmed",
        "DEL-2025-042",
        1,
        2,
    )
    assert ended["dataset"] == "collection_cases" and ended["status_label"] == "受托方已确认删除"
    assert _Processor.records == {"case-9": "someone-else"}
    assert api.ok("GET", base, Scope.AUDITOR) == ended
    same = api.call("POST", base + ":confirm", Scope.ADMIN, {"confirmation": "DEL-2025-042"})
    assert same.status_code == 200 and same.json() == ended
    other = api.call("POST", base + ":confirm", Scope.ADMIN, {"confirmation": "X-1"})
    assert other.status_code == 409 and "DEL-2025-042" in other.json()["detail"]
    actions = [(actor, action) for actor, action, _ in api.audit() if "entrustment" in action]
    admin = api.key_ids[Scope.ADMIN]
    assert actions == [(admin, "entrustment.end.sent"), (admin, "entrustment.end.confirmed")]


def test_x21_a_confirmation_received_outside_the_webhook_is_recorded(api: Api) -> None:
    uid = api.user()
    api.provide(
        uid, recipient="post_loan_collection", elements=["name"], purpose="post_loan_management"
    )
    _Processor.records = {"case-1": uid}
    _Processor.confirm = False  # answers without a reference: cannot be tracked
    base = f"/v1/apps/{APP}/recipients/post_loan_collection/entrustment"
    failed = api.ok("POST", base + ":end", Scope.ADMIN)
    assert failed["status"] == "failed" and "confirmation" in failed["error"]
    confirmed = api.ok(
        "POST", base + ":confirm", Scope.ADMIN, {"confirmation": "函-2025-7", "affected": 1}
    )
    assert (confirmed["status"], confirmed["confirmation"], confirmed["affected"]) == (
        "confirmed",
        "函-2025-7",
        1,
    )
    assert confirmed["error"] is None and confirmed["confirmed_at"]


def test_x21_entrustment_end_errors(api: Api) -> None:
    def end(recipient: str, app: str = APP) -> Any:
        return api.call(
            "POST", f"/v1/apps/{app}/recipients/{recipient}/entrustment:end", Scope.ADMIN
        )

    funders = end("funders")
    assert funders.status_code == 409 and "entrusted_processor" in funders.json()["detail"]
    unknown = end("debt_buyer")
    assert unknown.status_code == 404 and "post_loan_collection" in unknown.json()["detail"]
    assert end("post_loan_collection", "another_app").status_code == 404
    never = api.call(
        "POST",
        f"/v1/apps/{APP}/recipients/post_loan_collection/entrustment:confirm",
        Scope.ADMIN,
        {"confirmation": "X"},
    )
    assert never.status_code == 404 and "end the entrustment first" in never.json()["detail"]


# ------------------------------------------------------------------ incidents


def test_x26_incident_open_notify_close_over_http(api: Api) -> None:
    body = {
        "title": "借款记录泄露",
        "what_happened": "内部人员违规导出了借款记录。",
        "occurred_at": T0,
        "discovered_at": T1,
        "datasets": ["loans", "marketing_leads"],
        "possible_harm": "可能导致诈骗电话。",
        "measures": "已停用相关账号。",
        "user_advice": "请警惕冒充客服的来电。",
        "id": "inc_api",
    }
    opened = api.call("POST", "/v1/incidents", Scope.ADMIN, body)
    assert opened.status_code == 201, opened.text
    incident = opened.json()
    borrowers = {
        user
        for user, cells in api.stores.seeded.cells.items()
        if any(c.dataset == "loans" for c in cells)
    }
    assert incident["affected_count"] >= len(borrowers) > 0
    assert incident["unlinked_records"] > 0  # leads of people who never registered
    assert incident["status"] == "open" and incident["opened_by"] == api.key_ids[Scope.ADMIN]
    assert {"loan_records", "mobile_number"} <= set(incident["elements"])
    assert api.call("POST", "/v1/incidents", Scope.ADMIN, body).status_code == 409

    assert [i["id"] for i in api.ok("GET", "/v1/incidents", Scope.AUDITOR)] == ["inc_api"]
    stored = api.ok("GET", "/v1/incidents/inc_api", Scope.AUDITOR)
    for name in ("occurred_at", "discovered_at"):  # stored in UTC: the same instants
        assert datetime.fromisoformat(stored.pop(name)) == datetime.fromisoformat(
            incident.pop(name)
        )
    assert stored == incident
    early = api.call("POST", "/v1/incidents/inc_api:close", Scope.ADMIN, {"note": "x"})
    assert early.status_code == 409 and "never notified" in early.json()["detail"]

    notified = api.ok("POST", "/v1/incidents/inc_api:notify", Scope.ADMIN, format="html")
    assert notified["incident"]["status"] == "notified"
    told = {n["audience"]: n for n in notified["incident"]["notifications"]}
    assert set(told) == {"users", "public", "regulator"}
    assert told["users"]["count"] == incident["affected_count"]
    documents = notified["documents"]
    assert documents["format"] == "html" and documents["notice"].startswith("<!DOCTYPE html>")
    assert "借款记录" in documents["notice"] and "个人信息安全事件报告" in documents["report"]
    markdown = api.ok("GET", "/v1/incidents/inc_api/documents", Scope.AUDITOR)
    assert markdown["format"] == "md" and "请警惕冒充客服的来电" in markdown["notice"]

    closed = api.ok("POST", "/v1/incidents/inc_api:close", Scope.ADMIN, {"note": "已处置完毕"})
    assert closed["status"] == "closed" and closed["closing_note"] == "已处置完毕"
    again = api.call("POST", "/v1/incidents/inc_api:notify", Scope.ADMIN)
    assert again.status_code == 409 and "closed" in again.json()["detail"]
    admin = api.key_ids[Scope.ADMIN]
    actions = [(actor, a) for actor, a, _ in api.audit() if a.startswith("incident.")]
    assert actions and all(actor == admin for actor, _ in actions)


def test_x26_incident_errors(api: Api) -> None:
    body = {
        "title": "泄露",
        "what_happened": "数据库泄露。",
        "occurred_at": T0,
        "datasets": ["loans"],
    }
    naive = api.call(
        "POST", "/v1/incidents", Scope.ADMIN, {**body, "occurred_at": "2025-06-14T22:00"}
    )
    assert naive.status_code == 422
    unknown = api.call("POST", "/v1/incidents", Scope.ADMIN, {**body, "datasets": ["nope"]})
    assert unknown.status_code == 422 and "nope" in unknown.json()["detail"]
    nothing = api.call("POST", "/v1/incidents", Scope.ADMIN, {**body, "datasets": []})
    assert nothing.status_code == 422
    assert api.call("GET", "/v1/incidents/inc_none", Scope.AUDITOR).status_code == 404
    assert api.call("POST", "/v1/incidents/inc_none:notify", Scope.ADMIN).status_code == 404
    bad = api.call("GET", "/v1/incidents/inc_none/documents", Scope.AUDITOR, format="pdf")
    assert bad.status_code == 422


def test_incidents_and_entrustments_need_a_data_map(empty_url: str) -> None:
    upgrade(empty_url)
    db = create_engine(empty_url)
    with SqlUnitOfWork(db) as uow:
        _, secret = uow.api_keys.create("admin", [Scope.ADMIN])
        uow.commit()
    with Engine(empty_url, actor="test") as engine:
        engine.publish(DECLARATION)
        app = create_app(Services(db, actor="api"))
        headers = {"Authorization": f"Bearer {secret}"}
        with TestClient(app) as client:
            listed = client.get("/v1/incidents", headers=headers)
            assert listed.status_code == 503 and "--map" in listed.json()["detail"]
            path = f"/v1/apps/{APP}/recipients/post_loan_collection/entrustment:end"
            assert client.post(path, headers=headers).status_code == 503
    db.dispose()
