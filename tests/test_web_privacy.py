"""The privacy center's routes through FastAPI's TestClient: sessions, CSRF, IDOR, no-JS forms.

One service for the module: yinsi's database (SQLite) with 小赢卡贷 published, and a
:class:`RightsService` over the seeded sample lending back-end (SQLite files + Redis), so
rights requests reach real stores. Each test uses its own subjects.
"""

from __future__ import annotations

import os
import re
import stat
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from typer.testing import CliRunner

from conftest import DATA, EXAMPLES
from delivery_fixtures import CapturedSms
from yinsi.connectors import Connectors
from yinsi.consent import Channel, EventKind
from yinsi.rights.requests import Status
from yinsi.security.api_keys import Scope
from yinsi.security.entry_links import ENTRY_SALT
from yinsi.server import create_app
from yinsi.services.consent import Engine
from yinsi.services.rights import RightsService
from yinsi.services.root import Services
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade
from yinsi.web.privacy import entry_link
from yinsi.web.privacy.session import COOKIE, IDLE_SECONDS, SESSION_SALT
from yinsi.web.secret import WebSecretError, load_secret

if TYPE_CHECKING:
    from sample_fixtures import LendingStores

pytest_plugins = ["web_fixtures"]

APP = "xiaoying_kadai"
SECRET = bytes(range(32))
CSRF = re.compile(r'"X-CSRF-Token": "([0-9a-f]{64})"')
CODE = re.compile(r"验证码(\d{6})")
LOCATION = {"element": "precise_location", "purpose": "anti_fraud", "scenario": "location"}
SESSION_PAGES = [
    "/privacy/consents",
    "/privacy/requests",
    "/privacy/requests/new",
    "/privacy/requests/new?kind=access",
    "/privacy/cancel",
    "/privacy/complaints",
]
PUBLIC_PAGES = [
    f"/privacy/apps/{APP}/docs/policy",
    f"/privacy/apps/{APP}/docs/summary",
    f"/privacy/apps/{APP}/docs/collected-list",
    f"/privacy/apps/{APP}/docs/sharing-list",
    f"/privacy/apps/{APP}/versions",
    f"/privacy/apps/{APP}/permissions",
    f"/privacy/apps/{APP}/diff?from=1.3",
]


@dataclass
class User:
    """A browser without JavaScript, holding one subject's session cookie.

    All users share the module's one TestClient (one event loop, so a few worker threads:
    the storage layer pins a SQLite connection per thread); each request carries this
    user's cookie, and the renewed cookie is kept.
    """

    client: TestClient
    subject: str
    cookie: str

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self._send("GET", path, **kw)

    def token(self, path: str = "/privacy") -> str:
        found = CSRF.search(self.get(path).text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def post(self, path: str, data: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        body = {"csrf_token": self.token(), **(data or {})}
        return self._send("POST", path, data=body, **kw)

    def post_raw(self, path: str, **kw: Any) -> httpx.Response:
        """A post exactly as given: no CSRF token added."""
        return self._send("POST", path, **kw)

    def _send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        self.client.cookies.clear()
        self.client.cookies.set(COOKIE, self.cookie, path="/privacy")
        answer = self.client.request(method, path, follow_redirects=False, **kw)
        self.cookie = answer.cookies.get(COOKIE) or self.cookie
        self.client.cookies.clear()
        return answer


@dataclass
class Center:
    app: FastAPI
    client: TestClient
    rights: RightsService
    sms: CapturedSms
    stores: LendingStores
    keys: dict[Scope, str]
    url: str

    @property
    def engine(self) -> Engine:
        return self.rights.engine

    def subject(self, profile: str, n: int = 0) -> str:
        from yinsi_demo import Profile

        return self.stores.seeded.of(Profile(profile))[n].user_id

    def user(self, subject: str) -> User:
        self.client.cookies.clear()
        opened = self.client.get(
            entry_link(SECRET, "http://testserver", APP, subject), follow_redirects=False
        )
        assert opened.status_code == 303, opened.text
        cookie = opened.cookies.get(COOKIE)
        assert cookie
        self.client.cookies.clear()
        return User(self.client, subject, cookie)

    def code(self) -> str:
        found = CODE.search(self.sms.sent[-1][1])
        assert found
        return found.group(1)

    def auth(self, scope: Scope) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}"}


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Center]:
    from sample_fixtures import lending_stores_on

    folder = tmp_path_factory.mktemp("privacy")
    with lending_stores_on("sqlite", folder / "lending") as stores:
        url = f"sqlite:///{folder / 'yinsi.db'}"
        upgrade(url)
        engine = Engine(url, actor="test")
        engine.publish(EXAMPLES / "xiaoying-kadai.yaml")
        db = create_engine(url)
        with SqlUnitOfWork(db) as uow:
            keys = {s: uow.api_keys.create(f"test-{s.value}", [s])[1] for s in Scope}
            uow.commit()
        sms = CapturedSms()
        connectors = Connectors(stores.data_map, environ=stores.environ)
        services = Services(
            db,
            data_map=stores.data_map,
            connectors=connectors,
            hash_key=b"privacy-test-erasure-key-0123456",
            export_dir=folder / "exports",
            sms=sms,
            actor="api",
        )
        rights = services.rights
        app = create_app(services, web_secret=SECRET)
        try:
            with TestClient(app) as client:
                yield Center(app, client, rights, sms, stores, keys, url)
        finally:
            services.close()


# ------------------------------------------------------------------ entry and session


def _signed_ago(seconds: int, salt: str, payload: dict[str, Any]) -> str:
    """A token as :mod:`yinsi.web.privacy.session` signs it, but ``seconds`` ago."""

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    return URLSafeTimedSerializer(SECRET, salt=salt, signer=Earlier).dumps(payload)


def test_entry_link_opens_a_session_with_a_safe_cookie(center: Center) -> None:
    client = center.client
    client.cookies.clear()
    answer = client.get(
        entry_link(SECRET, "http://testserver", APP, "entry-1"), follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/privacy"
    assert answer.headers["referrer-policy"] == "no-referrer"
    cookie = answer.headers["set-cookie"].lower()
    for flag in ("httponly", "samesite=lax", "path=/privacy", f"max-age={IDLE_SECONDS}"):
        assert flag in cookie
    home = client.get("/privacy")
    assert "同意管理" in home.text and "注销账号" in home.text
    assert home.headers["cache-control"] == "no-store"


def test_a_forged_or_expired_entry_link_opens_nothing(center: Center) -> None:
    client = center.client
    client.cookies.clear()
    link = entry_link(SECRET, "http://testserver", APP, "entry-2")
    forged = entry_link(b"x" * 32, "http://testserver", APP, "entry-2")
    token = parse_qs(urlsplit(link).query)["t"][0]
    assert client.get(f"/privacy/enter?t={token[:-2]}xx").status_code == 401
    assert client.get(forged).status_code == 401

    old = _signed_ago(11 * 60, ENTRY_SALT, {"a": APP, "s": "entry-2"})
    expired = client.get(f"/privacy/enter?t={old}")
    assert expired.status_code == 401 and "链接已失效" in expired.text
    assert client.get("/privacy/consents").status_code == 401


def test_an_idle_session_ends_after_thirty_minutes(center: Center) -> None:
    payload = {"a": APP, "s": "idle-1", "i": "sid-1", "b": int(time.time())}
    client = center.client
    client.cookies.clear()
    stale = _signed_ago(IDLE_SECONDS + 5, SESSION_SALT, payload)
    client.cookies.set(COOKIE, stale, path="/privacy")
    assert client.get("/privacy/consents").status_code == 401
    fresh = URLSafeTimedSerializer(SECRET, salt=SESSION_SALT).dumps(payload)
    client.cookies.clear()
    client.cookies.set(COOKIE, fresh, path="/privacy")
    answer = client.get("/privacy/consents")
    assert answer.status_code == 200
    assert COOKIE in answer.headers["set-cookie"], "every page renews the idle clock"


def test_own_pages_without_a_session_say_to_open_the_app(center: Center) -> None:
    client = center.client
    client.cookies.clear()
    for path in SESSION_PAGES:
        answer = client.get(path)
        assert answer.status_code == 401, path
        assert "请从App内打开隐私中心" in answer.text, path
    home = client.get("/privacy")
    assert home.status_code == 200 and "请从App内打开隐私中心" in home.text
    assert f"/privacy/apps/{APP}/docs/policy" in home.text  # public documents stay reachable


def test_public_pages_need_no_session(center: Center) -> None:
    client = center.client
    client.cookies.clear()
    for path in PUBLIC_PAGES:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text[:300])
        assert '<html lang="zh-CN">' in answer.text
    assert "小赢卡贷隐私保护政策" in client.get(PUBLIC_PAGES[0]).text
    assert client.get(f"/privacy/apps/{APP}/docs/nonsense").status_code == 404
    assert client.get("/privacy/apps/no_such_app/docs/policy").status_code == 404
    assert "未找到" in client.get(f"/privacy/apps/{APP}/docs/policy?version=9.9").text


# ------------------------------------------------------------------ CSRF


def _posts() -> list[str]:
    """Every POST route of the privacy center, from its routers."""
    from yinsi.web.privacy import account, consents, home, public, rights

    return sorted(
        r.path
        for part in (account, consents, home, public, rights)
        for r in part.router.routes
        if isinstance(r, APIRoute) and "POST" in r.methods
    )


def test_every_form_post_refuses_a_missing_or_foreign_csrf_token(center: Center) -> None:
    subject = center.subject("outstanding", 1)
    user = center.user(subject)
    assert user.post("/privacy/policy/accept", {"version": "1.3"}).status_code == 303
    filed = center.rights.submit(subject, "access", channel="h5")
    other = center.user("csrf-other")
    foreign = other.token()
    posts = _posts()
    assert len(posts) >= 9, posts
    before = (len(center.engine.events(APP, subject)), center.rights.get(filed.id).status)
    for template in posts:
        path = template.format(request_id=filed.id, consent_id="location")
        form = {"version": "1.3", "granted": "1", "kind": "access", "text": "x", "code": "1"}
        bare = user.post_raw(path, data=form)
        assert bare.status_code == 403, (path, bare.status_code)
        assert "CSRF" in bare.text and "请返回上一页刷新后重试" in bare.text
        wrong = user.post_raw(path, data={**form, "csrf_token": foreign})
        assert wrong.status_code == 403, path
        header = user.post_raw(path, data=form, headers={"X-CSRF-Token": "0" * 64})
        assert header.status_code == 403, path
    after = (len(center.engine.events(APP, subject)), center.rights.get(filed.id).status)
    assert after == before, "a refused post changed something"
    assert len(center.rights.requests(subject_id=subject)) == 1


def test_htmx_sends_the_token_as_a_header(center: Center) -> None:
    user = center.user("htmx-1")
    token = user.token()
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in user.get("/privacy").text
    user.post("/privacy/policy/accept", {"version": "1.3"})
    answer = user.post_raw(
        "/privacy/consents/location",
        data={"granted": "1"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert answer.status_code == 200 and answer.text.startswith('<article class="card pc-consent')
    assert "已保存：已开启" in answer.text
    assert "location" in center.engine.state(APP, "htmx-1").granted


# ------------------------------------------------------------------ IDOR


def test_idor_one_user_never_sees_another_users_request_or_archive(center: Center) -> None:
    owner_id, other_id = center.subject("mixed"), center.subject("no_loan")
    owner, other = center.user(owner_id), center.user(other_id)
    filed = owner.post("/privacy/requests", {"kind": "access"})
    assert filed.status_code == 303
    rid = filed.headers["location"].split("/")[-1].split("?")[0]
    assert owner.post(f"/privacy/requests/{rid}/verify", {"code": center.code()}).status_code == 303
    center.rights.approve(rid, actor="operator")
    assert center.rights.run(rid).status is Status.COMPLETED

    page = owner.get(f"/privacy/requests/{rid}")
    assert page.status_code == 200 and "下载个人信息副本" in page.text
    archive = owner.get(f"/privacy/requests/{rid}/archive")
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    assert "data.json" in zipfile.ZipFile(BytesIO(archive.content)).namelist()

    for path in (f"/privacy/requests/{rid}", f"/privacy/requests/{rid}/archive"):
        seen = other.get(path)
        assert seen.status_code == 404, path
        assert "未找到该申请" in seen.text and owner_id not in seen.text
    for action in ("verify", "code", "withdraw"):
        posted = other.post(f"/privacy/requests/{rid}/{action}", {"code": "000000"})
        assert posted.status_code == 404, action
    missing = other.get("/privacy/requests/req_0000000000000000")
    assert missing.status_code == 404 and "未找到该申请" in missing.text, "same answer as IDOR"
    assert rid not in other.get("/privacy/requests").text
    assert center.rights.get(rid).status is Status.COMPLETED


# ------------------------------------------------------------------ policy and consents


def test_x02_x41_decline_then_accept_is_recorded_with_h5_evidence(center: Center) -> None:
    user = center.user("policy-1")
    home = user.get("/privacy").text
    assert "请阅读《小赢卡贷隐私保护政策》（第1.3版）" in home and "暂不同意，仅浏览" in home
    declined = user.post(
        "/privacy/policy/decline", {"version": "1.3"}, headers={"User-Agent": "pc-test/1"}
    )
    assert declined.headers["location"] == "/privacy?done=declined"
    shown = user.get("/privacy?done=declined").text
    assert "仅浏览模式" in shown and "暂不同意，仅浏览" not in shown and ">同意<" in shown
    user.post("/privacy/policy/accept", {"version": "1.3"}, headers={"User-Agent": "pc-test/1"})
    assert "请阅读" not in user.get("/privacy").text
    events = center.engine.events(APP, "policy-1")
    kinds = [e.kind for e in events]
    assert kinds[:2] == [EventKind.POLICY_DECLINED, EventKind.POLICY_ACCEPTED]
    for event in events:
        assert event.evidence.channel is Channel.H5
        assert event.evidence.account == "policy-1"
        assert event.evidence.user_agent == "pc-test/1" and event.evidence.client_ip


def test_x05_separate_consents_are_listed_apart_under_a_stronger_notice(center: Center) -> None:
    user = center.user("consent-list-1")
    assert "您尚未同意隐私政策" in user.get("/privacy/consents").text
    user.post("/privacy/policy/accept", {"version": "1.3"})
    page = user.get("/privacy/consents").text
    separate, _, general = page.partition('id="general-h"')
    assert "单独同意事项" in separate and "请特别注意" in separate
    assert 'id="c-location"' in separate and 'id="c-face_recognition"' in separate
    assert 'id="c-marketing_messages"' in general and 'id="c-location"' not in general
    assert 'id="c-privacy_policy"' not in page, "the policy itself is not a switch"
    assert page.count('role="switch"') == page.count('<form method="post"')
    for label in re.findall(r'<label for="(sw-[a-z_]+)">', page):
        assert f'id="{label}"' in page  # every switch has its label


def test_x29_withdrawal_without_javascript_stops_only_what_depends_on_it(
    center: Center,
) -> None:
    subject = "consent-nojs-1"
    user = center.user(subject)
    user.post("/privacy/policy/accept", {"version": "1.3"})
    granted = user.post("/privacy/consents/location", {"granted": "1"})
    assert granted.headers["location"].startswith("/privacy/consents?saved=location&on=1")
    decide = center.engine.decide
    assert decide(APP, subject, **LOCATION).allowed
    card = user.get("/privacy/consents").text.split('id="c-location"')[1]
    assert "撤回后将停止：</strong>设备信息；位置信息" in card  # 1.2 B GPS位置 (issue 13)
    withdrawn = user.post("/privacy/consents/location")  # the unticked box sends nothing
    assert user.get(withdrawn.headers["location"]).text.count("相关功能已停止") == 1
    decision = decide(APP, subject, **LOCATION)
    assert (decision.allowed, decision.reason) == (False, "consent_withdrawn")
    login = decide(APP, subject, element="password", purpose="account_security", scenario="login")
    assert login.allowed, "a basic function does not depend on the location consent"
    count = len(center.engine.events(APP, subject))
    user.post("/privacy/consents/location")
    assert len(center.engine.events(APP, subject)) == count, "the same answer records nothing"
    assert user.post("/privacy/consents/no_such_item", {"granted": "1"}).status_code == 404


# ------------------------------------------------------------------ requests


def test_x35_request_form_needs_what_its_kind_needs_and_shows_the_due_date(
    center: Center,
) -> None:
    subject = center.subject("settled_recently")
    user = center.user(subject)
    kinds = user.get("/privacy/requests/new").text
    for kind in ("access", "copy", "deletion", "correction"):
        assert f"/privacy/requests/new?kind={kind}" in kinds
    assert "/privacy/cancel" in kinds and "/privacy/complaints" in kinds
    assert "deceased_relatives" not in kinds
    missing = user.post("/privacy/requests", {"kind": "deletion"})
    assert missing.status_code == 400 and "请选择申请删除的原因" in missing.text
    bad = user.post(
        "/privacy/requests", {"kind": "correction", "element": "mobile_number", "value": "12"}
    )
    assert bad.status_code == 400 and "填写的内容有误" in bad.text
    assert user.post("/privacy/requests", {"kind": "deceased_relatives"}).status_code == 404
    assert center.rights.requests(subject_id=subject) == []
    filed = user.post("/privacy/requests", {"kind": "deletion", "trigger": "purpose_done"})
    rid = filed.headers["location"].split("/")[-1].split("?")[0]
    page = user.get(filed.headers["location"]).text
    assert "验证码已发送" in page and "完成身份验证后开始计算" in page
    wrong = user.post(f"/privacy/requests/{rid}/verify", {"code": "000000"})
    assert wrong.status_code == 400 and "还可尝试4次" in wrong.text
    verified = user.post(f"/privacy/requests/{rid}/verify", {"code": center.code()})
    page = user.get(verified.headers["location"]).text
    due = center.rights.get(rid).due
    assert due is not None
    assert f"{due.date.year}年{due.date.month}月{due.date.day}日" in page
    assert "15个工作日" in page and "身份验证成功" in page
    assert center.rights.get(rid).channel == "h5"
    user.post(f"/privacy/requests/{rid}/withdraw")
    assert center.rights.get(rid).status is Status.WITHDRAWN


def test_x30_cancellation_warns_and_needs_an_explicit_confirmation(center: Center) -> None:
    subject = center.subject("outstanding")
    user = center.user(subject)
    page = user.get("/privacy/cancel").text
    assert "注销后不可恢复" in page and "依法需要保留的信息" in page
    assert "借款记录" in page and "5年" in page, "what the law keeps, from the data map"
    assert "您尚有未结清的借款" in page, "what would stop it (W16)"
    unconfirmed = user.post("/privacy/cancel")
    assert unconfirmed.status_code == 400 and "请先勾选" in unconfirmed.text
    assert center.rights.requests(subject_id=subject) == []
    filed = user.post("/privacy/cancel", {"confirm": "yes"})
    assert filed.status_code == 303
    (request,) = center.rights.requests(subject_id=subject)
    assert request.kind.value == "cancel_account" and request.channel == "h5"


def test_x36_complaint_form_files_a_complaint_beside_the_declared_channels(
    center: Center,
) -> None:
    subject = center.subject("no_loan", 1)
    user = center.user(subject)
    page = user.get("/privacy/complaints").text
    assert "952592" in page and "yskf@xiaoying.com" in page and "隐私保护办公室" in page
    assert "一般在3个工作日内处理完成" in page
    assert user.post("/privacy/complaints", {"text": "  "}).status_code == 400
    sent = len(center.sms.sent)
    filed = user.post("/privacy/complaints", {"text": "营销短信太多"})
    assert filed.status_code == 303 and len(center.sms.sent) == sent + 1
    (request,) = center.rights.requests(subject_id=subject)
    assert request.kind.value == "complaint" and request.text == "营销短信太多"


def test_without_a_rights_service_requests_go_through_customer_service(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'y.db'}"
    upgrade(url)
    with Engine(url) as engine:
        engine.publish(EXAMPLES / "xiaoying-kadai.yaml")
        db = create_engine(url)
        app = create_app(Services(db, actor="api"), web_secret=SECRET)
        with TestClient(app) as client:
            client.get(entry_link(SECRET, "http://testserver", APP, "u"))
            for path in ("/privacy/requests", "/privacy/requests/new", "/privacy/cancel"):
                page = client.get(path)
                assert page.status_code == 200 and "客服热线：952592" in page.text, path
            assert 'action="/privacy/complaints"' not in client.get("/privacy/complaints").text
        db.dispose()


# ------------------------------------------------------------------ versions


def test_x03_diff_of_two_versions_flags_material_changes_and_highlights_text(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'y.db'}"
    upgrade(url)
    with Engine(url) as engine:
        engine.publish(EXAMPLES / "xiaoying-kadai.yaml")
        engine.publish(DATA / "xiaoying-kadai-v1.4.yaml")
        db = create_engine(url)
        app = create_app(Services(db, actor="api"), web_secret=SECRET)
        with TestClient(app) as client:
            versions = client.get(f"/privacy/apps/{APP}/versions").text
            assert versions.index("第1.4版") < versions.index("第1.3版")
            assert "含重要变更" in versions and "与当前版本对比" in versions
            page = client.get(f"/privacy/apps/{APP}/diff?from=1.3").text
            assert "重要变更3项" in page and "新增：OPPO推送" in page
            assert "<ins>" in page and "<del>" in page
            assert "第1.<del>3</del><ins>4</ins>版" in page.split('id="text"')[1]
            old = client.get(f"/privacy/apps/{APP}/docs/policy?version=1.3").text
            assert "这是历史版本" in old and "第1.4版" in old
        db.dispose()


# ------------------------------------------------------------------ the link for the app


def test_privacy_link_for_the_back_end(center: Center) -> None:
    client = center.client
    client.cookies.clear()
    path = f"/v1/apps/{APP}/subjects/link-1/privacy-link"
    assert client.post(path).status_code == 401
    assert client.post(path, headers=center.auth(Scope.AUDITOR)).status_code == 403
    made = client.post(
        path, headers=center.auth(Scope.BACKEND), json={"base_url": "https://pc.example.com"}
    )
    assert made.status_code == 200 and made.json()["expires_in_s"] == 600
    url = made.json()["url"]
    assert url.startswith("https://pc.example.com/privacy/enter?t=")
    token = parse_qs(urlsplit(url).query)["t"][0]
    assert client.get(f"/privacy/enter?t={token}").status_code == 200
    with center.rights.units() as uow:
        issued = [e for e in uow.audit.entries() if e.action == "privacy.link_issued"]
    assert issued[-1].subject_id == "link-1", "issuing a link is audited"
    default = client.post(path, headers=center.auth(Scope.BACKEND)).json()["url"]
    assert default.startswith("http://testserver/privacy/enter?t=")
    unknown = "/v1/apps/nope/subjects/link-1/privacy-link"
    assert client.post(unknown, headers=center.auth(Scope.BACKEND)).status_code == 422


def test_cli_privacy_link_is_signed_with_the_service_secret(
    center: Center, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yinsi.cli.app import app as cli

    monkeypatch.setenv("YINSI_WEB_SECRET", SECRET.hex())
    result = CliRunner().invoke(
        cli,
        ["privacy", "link", APP, "cli-1", "--base-url", "http://testserver", "--url", center.url],
    )
    assert result.exit_code == 0, result.output
    client = center.client
    client.cookies.clear()
    assert client.get(result.output.strip()).status_code == 200
    unknown = CliRunner().invoke(cli, ["privacy", "link", "nope", "s", "--url", center.url])
    assert unknown.exit_code == 1 and "尚未发布" in unknown.output


def test_web_secret_from_the_environment_or_a_private_file(tmp_path: Path) -> None:
    assert load_secret({"YINSI_WEB_SECRET": SECRET.hex()}) == SECRET
    with pytest.raises(WebSecretError, match="not hex"):
        load_secret({"YINSI_WEB_SECRET": "zz"})
    with pytest.raises(WebSecretError, match="at least 16"):
        load_secret({"YINSI_WEB_SECRET": "00ff"})
    home = {"YINSI_HOME": str(tmp_path / "home")}
    first = load_secret(home)
    path = tmp_path / "home" / "web-secret"
    assert len(first) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(home) == first, "made once, then reused"
    os.chmod(path, 0o644)
    with pytest.raises(WebSecretError, match="chmod 600"):
        load_secret(home)


def test_access_log_lines_never_show_an_entry_token() -> None:
    import logging

    from yinsi.web.privacy.session import RedactEntryLinks

    def line(path: str) -> str:
        record = logging.LogRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5000", "GET", path, "1.1", 303),
            None,
        )
        assert RedactEntryLinks().filter(record)
        return record.getMessage()

    assert line("/privacy/enter?t=eyJhIjoi.secret.sig") == (
        '127.0.0.1:5000 - "GET /privacy/enter?t=[redacted] HTTP/1.1" 303'
    )
    assert "secret" not in line("/privacy/enter?t=secret&x=1")
    assert line("/privacy/consents?x=1").endswith('"GET /privacy/consents?x=1 HTTP/1.1" 303')
