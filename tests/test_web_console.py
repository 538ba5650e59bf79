"""The staff console over HTTP (TestClient): sign-in, sessions, throttling, CSRF and roles on
every route, the queue's order, campaigns, publishing, staff accounts.

yinsi's database is SQLite in ``tmp_path`` with 小赢卡贷 1.3 published; staff accounts are
created through the repository (``uow.staff``). The queue test runs a
:class:`~yinsi.services.rights.RightsService` over the all-SQLite sample (Redis for its
cache store).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine as SqlEngine
from typer.testing import CliRunner

from delivery_fixtures import CapturedSms
from yinsi.cli.app import app as cli
from yinsi.consent import Channel, Evidence
from yinsi.declaration import load
from yinsi.lifecycle.sourcing import SourceReason
from yinsi.security.passwords import hash_password, needs_rehash, verify_password
from yinsi.security.staff import Role
from yinsi.server import create_app
from yinsi.services.consent import Engine
from yinsi.services.reports import RequestTimes
from yinsi.services.rights import RightsService
from yinsi.services.root import Services
from yinsi.services.staff import IDLE, LoginRefused
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade
from yinsi.web import console
from yinsi.web.console.charts import Series, line, rate_bars, stacked_bars
from yinsi.web.console.dashboard import (
    consent_rates,
    median_days,
    requests_per_week,
    weeks_until,
)

if TYPE_CHECKING:
    from sample_fixtures import LendingFactory

pytest_plugins = ["sample_fixtures"]  # it loads storage_fixtures too (``engine``)

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
V14 = Path(__file__).resolve().parent / "data" / "xiaoying-kadai-v1.4.yaml"
DATA_MAP = ROOT / "examples" / "datamaps" / "xiaoying-kadai.yaml"
APP = "xiaoying_kadai"
PASSWORD = "long enough passphrase 1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE = re.compile(r"验证码(\d{6})")
PAGES = ("queue", "dashboard", "holds", "sources", "policies", "incidents", "audit")


@dataclass
class Console:
    client: TestClient
    db: SqlEngine
    engine: Engine
    ids: dict[str, str] = field(default_factory=dict)

    def add_staff(self, username: str, role: Role, password: str = PASSWORD) -> str:
        with SqlUnitOfWork(self.db) as uow:
            user = uow.staff.add(username, role, hash_password(password), display_name=username)
            uow.commit()
        self.ids[username] = user.id
        return user.id

    def login(self, username: str, password: str = PASSWORD, next: str = "") -> httpx.Response:
        self.client.cookies.clear()
        form = self.client.get("/console/login")
        token = CSRF.search(form.text)
        assert token, form.text
        data = {"username": username, "password": password, "csrf_token": token.group(1)}
        if next:
            data["next"] = next
        return self.client.post("/console/login", data=data, follow_redirects=False)

    def csrf(self) -> str:
        found = CSRF.search(self.client.get("/console/queue").text)
        assert found
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
        body = {"csrf_token": self.csrf(), **(data or {})}
        return self.client.post(path, data=body, follow_redirects=False)

    def audit_actions(self) -> list[tuple[str, str, str]]:
        with SqlUnitOfWork(self.db) as uow:
            return [(e.actor, e.action, str(e.details)) for e in uow.audit.entries()]


def _site(url: str) -> tuple[SqlEngine, Engine]:
    upgrade(url)
    with Engine(url) as engine:
        engine.publish(DECLARATION)
    return create_engine(url), Engine(url, actor="console")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Console]:
    db, engine = _site(f"sqlite:///{tmp_path / 'yinsi.db'}")
    app = create_app(Services(db, actor="api"))
    with TestClient(app) as client:
        c = Console(client, db, engine)
        for role in Role:
            c.add_staff(role.value, role)
        yield c
    engine.close()
    db.dispose()


def _routes() -> list[tuple[str, str]]:
    """Every (method, path) of the console, path parameters filled in."""
    found = []
    routes = [route for page in console.PAGES for route in page.router.routes]
    for route in routes:
        assert isinstance(route, console.ConsoleRoute), route  # errors become pages
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        found += [(method, path) for method in sorted(route.methods)]
    return found


PUBLIC = {("GET", "/console/login"), ("POST", "/console/login")}
POSTS = [(m, p) for m, p in _routes() if m == "POST"]


# ------------------------------------------------------------------ sign-in, sessions


def test_login_sets_a_strict_http_only_cookie_and_logout_ends_the_session(site: Console) -> None:
    response = site.login("operator", next="/console/dashboard")
    assert response.status_code == 303 and response.headers["location"] == "/console/dashboard"
    cookie = response.headers["set-cookie"].lower()
    assert "yinsi_console=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert "path=/console" in cookie and "secure" not in cookie.split("yinsi_console_login")[0]
    token = site.client.cookies["yinsi_console"]
    page = site.client.get("/console/queue")
    assert page.status_code == 200 and "operator" in page.text and "运营专员" in page.text
    bye = site.post("/console/logout")
    assert bye.status_code == 303 and bye.headers["location"] == "/console/login?bye=1"
    site.client.cookies.set("yinsi_console", token, path="/console")  # replaying the old token
    again = site.client.get("/console/queue", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/console/login")
    actions = [a for _, a, _ in site.audit_actions()]
    assert actions[-2:] == ["staff.login", "staff.logout"]


def test_session_cookie_is_secure_when_the_site_says_so(tmp_path: Path) -> None:
    db, engine = _site(f"sqlite:///{tmp_path / 'yinsi.db'}")
    app = create_app(Services(db, actor="api"), secure_cookies=True)
    with TestClient(app, base_url="https://testserver") as client:
        c = Console(client, db, engine)
        c.add_staff("admin", Role.ADMIN)
        response = c.login("admin")
        assert response.status_code == 303
        assert "secure" in response.headers["set-cookie"].lower()
    engine.close()
    db.dispose()


def test_wrong_password_and_unknown_name_get_the_same_chinese_answer(site: Console) -> None:
    wrong = site.login("auditor", "not the password at all")
    unknown = site.login("nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.text and "用户名或密码错误" in unknown.text
    assert "yinsi_console=" not in wrong.headers.get("set-cookie", "")


def test_x25_five_failures_throttle_the_name_from_that_address_only(site: Console) -> None:
    answers = [site.login("operator", f"wrong password {i}") for i in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert "登录失败次数过多" in answers[-1].text and "15 分钟" in answers[-1].text
    assert answers[-1].headers["retry-after"] == "900"
    still = site.login("operator")  # the right password waits too, from this address
    assert still.status_code == 429 and "登录失败次数过多" in still.text
    throttled = [d for _, a, d in site.audit_actions() if a == "staff.login_throttled"]
    assert len(throttled) == 1 and site.ids["operator"] in throttled[0]
    elsewhere = Services(site.db).staff  # the account is not locked: another address
    assert elsewhere.login("operator", PASSWORD, client="10.9.8.7").user.id == site.ids["operator"]
    later = Services(site.db, clock=lambda: datetime.now(UTC) + timedelta(minutes=16)).staff
    signed = later.login("operator", PASSWORD, client="testclient")
    assert signed.user.id == site.ids["operator"]


def test_login_rehashes_a_password_hashed_with_old_parameters(site: Console) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with SqlUnitOfWork(site.db) as uow:
        uow.staff.add("legacy", Role.AUDITOR, weak.hash(PASSWORD))
        uow.commit()
    assert site.login("legacy").status_code == 303
    with SqlUnitOfWork(site.db) as uow:
        user = uow.staff.by_username("legacy")
    assert user is not None and not needs_rehash(user.password_hash)
    assert verify_password(user.password_hash, PASSWORD)


def test_a_session_ends_after_the_idle_timeout_and_a_disabled_user_is_out(site: Console) -> None:
    now = datetime.now(UTC)
    accounts = Services(site.db, clock=lambda: now).staff
    signed = accounts.login("auditor", PASSWORD)
    idle = Services(site.db, clock=lambda: now + IDLE + timedelta(seconds=1)).staff
    assert accounts.resume(signed.token) is not None
    assert idle.resume(signed.token) is None
    with SqlUnitOfWork(site.db) as uow:
        uow.staff.disable(site.ids["auditor"], actor="test")
        uow.commit()
    assert accounts.resume(signed.token) is None
    with pytest.raises(LoginRefused, match="停用"):
        accounts.login("auditor", PASSWORD)


def test_next_never_leaves_the_console(site: Console) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/privacy", "/console//evil"):
        response = site.login("auditor", next=target)
        assert response.headers["location"] == "/console/queue", target


# ------------------------------------------------------------------ every route


def test_anonymous_is_refused_on_every_console_route(site: Console) -> None:
    routes = [r for r in _routes() if r not in PUBLIC]
    assert len(routes) >= 25
    site.client.cookies.clear()
    for method, path in routes:
        response = site.client.request(method, path, follow_redirects=False)
        if method == "GET":
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/console/login?next="), path
        else:
            assert response.status_code == 401 and "请先登录" in response.text, path


def test_csrf_token_is_required_on_every_post(site: Console) -> None:
    assert len(POSTS) >= 15
    assert site.login("admin").status_code == 303
    for _, path in POSTS:
        for data in ({}, {"csrf_token": "forged"}, {"csrf_token": "伪造"}):
            response = site.client.post(path, data=data, follow_redirects=False)
            assert response.status_code == 403, (path, data, response.text)
            assert "CSRF" in response.text, path
    assert site.client.get("/console/queue").status_code == 200  # still signed in


def test_x25_auditor_cannot_decide_hold_publish_or_manage(site: Console) -> None:
    assert site.login("auditor").status_code == 303
    refused = [
        "/console/requests/req_x/approve",
        "/console/requests/req_x/refuse",
        "/console/requests/req_x/run",
        "/console/requests/req_x/answer",
        "/console/holds",
        "/console/holds/hold_x/release",
        "/console/sources",
        "/console/sources/src_x/revoke",
        "/console/policies/preview",
        "/console/policies/publish",
        "/console/policies/campaign",
        "/console/incidents",
        "/console/incidents/inc_x/notify",
        "/console/incidents/inc_x/close",
        "/console/staff",
        "/console/staff/staff_x/disable",
    ]
    for path in refused:
        response = site.post(path, {"ground": "legal_obligation", "declaration": "x"})
        assert response.status_code == 403, path
        assert "审计员" in response.text
    assert site.client.get("/console/staff").status_code == 403
    assert site.client.get("/console/policies/campaigns/camp_x.csv").status_code == 403
    for name in PAGES:  # but reads everything
        assert site.client.get(f"/console/{name}").status_code == 200, name
    page = site.client.get("/console/policies").text
    assert "发起重新同意" not in page and "预览差异" not in page


def test_operator_cannot_publish_or_manage_staff(site: Console) -> None:
    assert site.login("operator").status_code == 303
    for path in ("/console/policies/publish", "/console/policies/campaign", "/console/staff"):
        assert site.post(path, {"declaration": "x"}).status_code == 403, path
    assert site.post("/console/sources", {"source_id": "x"}).status_code == 403


BAIHANG = {
    "source_id": "baihang",
    "name": "百行征信有限公司",
    "legal_ground": "个人征信业务经营许可（银征信许字第0002号）",
    "scenario": "third_party_sources",
    "element": "third_party_query_results",
    "authorised_by": "us",
    "authorisation_ref": "同意事项 third_party_data",
    "valid_until": "2027-12-31",
}


def test_x18_an_admin_records_and_revokes_a_vetted_source_on_the_console(site: Console) -> None:
    """The register of vetted third-party sources: everyone reads it; an admin records a
    vetting (only for the scenarios that declare PI from a third party, and their
    elements) and revokes it, both audited under their staff id; the gate then refuses
    the source."""
    assert site.login("admin").status_code == 303
    form = site.client.get("/console/sources").text
    assert "登记来源审查记录" in form and 'value="third_party_sources"' in form
    assert 'value="third_party_query_results"' in form
    assert 'value="registration"' not in form  # not a third-party scenario
    outside = site.post("/console/sources", {**BAIHANG, "element": "face"})
    assert outside.status_code == 422 and "无法登记该来源" in outside.text
    assert "third_party_sources" in outside.text  # says which scenario lacks the element
    missing = site.post("/console/sources", {**BAIHANG, "legal_ground": " "})
    assert missing.status_code == 422 and "合法性依据" in missing.text
    added = site.post("/console/sources", BAIHANG)
    assert added.status_code == 303 and added.headers["location"].endswith("ok=source_added")
    listed = site.client.get("/console/sources").text
    assert "百行征信有限公司" in listed and "银征信许字第0002号" in listed and "有效" in listed
    services = Services(site.db, actor="test")

    def gate() -> str:
        asked = services.sourcing.acquire(
            APP, "u1", "baihang", ["third_party_query_results"], "credit_assessment",
            "third_party_sources",
        )  # fmt: skip
        return asked.decision.reason

    assert gate() not in {r.value for r in SourceReason}  # vetted: the consent decides now

    assert site.login("auditor").status_code == 303  # reads it, changes nothing
    read = site.client.get("/console/sources").text
    assert "百行征信有限公司" in read and "登记来源审查记录" not in read and "撤销原因" not in read

    assert site.login("admin").status_code == 303
    no_reason = site.post("/console/sources/baihang/revoke", {"reason": ""})
    assert no_reason.status_code == 422
    revoked = site.post("/console/sources/baihang/revoke", {"reason": "许可证被注销"})
    assert revoked.status_code == 303 and revoked.headers["location"].endswith("ok=source_revoked")
    assert "已撤销" in site.client.get("/console/sources").text
    assert gate() == SourceReason.SOURCE_REVOKED
    assert site.post("/console/sources/nobody/revoke", {"reason": "x"}).status_code == 404
    admin = site.ids["admin"]
    actions = [(actor, action) for actor, action, _ in site.audit_actions()]
    assert (admin, "source.vetted") in actions and (admin, "source.revoked") in actions
    services.close()


def test_console_pages_are_not_cached_or_framed(site: Console) -> None:
    site.login("auditor")
    response = site.client.get("/console/audit")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


# ------------------------------------------------------------------ staff accounts


def test_staff_creation_is_audited_by_id_only(site: Console) -> None:
    entries = [(a, d) for _, a, d in site.audit_actions() if a == "staff.created"]
    assert len(entries) == 3
    for _, details in entries:
        assert "staff_" in details and "argon2" not in details and PASSWORD not in details
    assert site.login("admin").status_code == 303
    made = site.post(
        "/console/staff",
        {"username": "han.meimei", "role": "operator", "display_name": "韩梅梅", "password": "x"},
    )
    assert made.status_code == 422 and "至少需要 12 个字符" in made.text
    made = site.post(
        "/console/staff",
        {"username": "han.meimei", "role": "operator", "password": PASSWORD},
    )
    assert made.status_code == 303
    actor, action, details = site.audit_actions()[-1]
    assert (actor, action) == (site.ids["admin"], "staff.created")
    assert "han.meimei" not in details and PASSWORD not in details


def test_cli_staff_add_list_disable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    runner = CliRunner()
    args = ["staff", "add", "li.lei", "--role", "admin", "--name", "李雷", "--password-stdin"]
    added = runner.invoke(cli, [*args, "--url", url], input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "li.lei (admin)" in added.output and PASSWORD not in added.output
    again = runner.invoke(cli, [*args, "--url", url], input=PASSWORD + "\n")
    assert again.exit_code == 1 and "taken" in again.output
    weak = runner.invoke(
        cli,
        ["staff", "add", "x", "--role", "auditor", "--password-stdin", "--url", url],
        input="short\n",
    )
    assert weak.exit_code == 1 and "12" in weak.output
    listed = runner.invoke(cli, ["staff", "list", "--url", url])
    assert "li.lei  admin  李雷" in listed.output
    disabled = runner.invoke(cli, ["staff", "disable", "li.lei", "--url", url])
    assert disabled.exit_code == 0 and "disabled" in disabled.output
    assert "disabled" in runner.invoke(cli, ["staff", "list", "--url", url]).output
    missing = runner.invoke(cli, ["staff", "disable", "nobody", "--url", url])
    assert missing.exit_code == 1


# ------------------------------------------------------------------ policies


def _accept(engine: Engine, subject: str, version: str | None = None) -> None:
    engine.accept_policy(APP, subject, version=version, evidence=Evidence(Channel.APP))


def test_x02_campaign_counts_subjects_behind_and_exports_their_ids(site: Console) -> None:
    for subject in ("u1", "u2", "u3"):
        _accept(site.engine, subject)
    site.engine.publish(V14)
    _accept(site.engine, "u3", "1.4")
    assert site.login("admin").status_code == 303
    page = site.client.get("/console/policies").text
    assert "含重大变更，需重新同意" in page
    assert re.search(r'kpi-value">2</span><span class="kpi-label">仍停留在旧版本', page)
    started = site.post("/console/policies/campaign")
    assert started.status_code == 303
    actor, action, details = site.audit_actions()[-1]
    assert (actor, action) == (site.ids["admin"], "consent.campaign_started")
    assert "'subjects': 2" in details and "'version': '1.4'" in details
    campaign = re.search(
        r"/console/policies/campaigns/(camp_\w+)\.csv", site.client.get("/console/policies").text
    )
    assert campaign
    csv = site.client.get(f"/console/policies/campaigns/{campaign.group(1)}.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.split() == ["subject_id", "u1", "u2"]
    assert site.audit_actions()[-1][1] == "consent.campaign_exported"


def test_x03_publishing_shows_the_material_changes_before_confirming(site: Console) -> None:
    assert site.login("admin").status_code == 303
    text = V14.read_text(encoding="utf-8")
    preview = site.post("/console/policies/preview", {"declaration": text})
    assert preview.status_code == 200
    assert "3 项重大变更" in preview.text and "重新取得同意" in preview.text
    with SqlUnitOfWork(site.db) as uow:
        assert [v.version for v in uow.policies.list(APP)] == ["1.3"]  # nothing published yet
    published = site.post("/console/policies/publish", {"declaration": text})
    assert published.status_code == 303 and published.headers["location"].endswith("ok=published")
    with SqlUnitOfWork(site.db) as uow:
        assert [v.version for v in uow.policies.list(APP)] == ["1.3", "1.4"]
    actor, action, _ = site.audit_actions()[-1]
    assert (actor, action) == (site.ids["admin"], "policy.published")


def test_publish_preview_lists_declaration_errors_and_uploads_work(site: Console) -> None:
    assert site.login("admin").status_code == 303
    bad = site.post("/console/policies/preview", {"declaration": "app:\n  id: 1\n"})
    assert bad.status_code == 422 and "声明未通过校验" in bad.text
    upload = site.client.post(
        "/console/policies/preview",
        data={"csrf_token": site.csrf()},
        files={"file": ("v14.yaml", V14.read_bytes(), "application/yaml")},
    )
    assert upload.status_code == 200 and "重大变更" in upload.text


# ------------------------------------------------------------------ the queue


@pytest.fixture
def queue_site(
    lending_stores_factory: LendingFactory, tmp_path: Path
) -> Iterator[tuple[Console, RightsService, CapturedSms, Path, dict[str, str]]]:
    with lending_stores_factory("sqlite", tmp_path / "lending") as stores:
        url = f"sqlite:///{tmp_path / 'yinsi.db'}"
        db, _engine = _site(url)
        _engine.close()
        environ = {**stores.environ, "YINSI_HOME": str(tmp_path / "home")}
        data_map = tmp_path / "datamap.yaml"
        text = DATA_MAP.read_text(encoding="utf-8")
        data_map.write_text(text.replace('key: "', f'key: "{stores.redis_prefix}'), "utf-8")
        sms = CapturedSms()
        with Services.open(url, data_map=data_map, environ=environ, sms=sms) as services:
            rights = services.rights
            app = create_app(services)
            with TestClient(app) as client:
                c = Console(client, db, rights.engine)
                c.add_staff("auditor", Role.AUDITOR)
                c.add_staff("operator", Role.OPERATOR)
                users = list(stores.seeded.subjects)[:3]
                yield c, rights, sms, data_map, {"url": url, **environ, "users": ",".join(users)}
        db.dispose()


def _verify(rights: RightsService, sms: CapturedSms, request_id: str) -> None:
    rights.send_code(request_id)
    code = CODE.search(sms.sent[-1][1])
    assert code
    rights.verify(request_id, code.group(1))


def test_x35_queue_is_sorted_by_due_date_with_overdue_in_red(
    queue_site: tuple[Console, RightsService, CapturedSms, Path, dict[str, str]],
) -> None:
    site, rights, sms, data_map, env = queue_site
    users = env["users"].split(",")
    past = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)
    late_sms = CapturedSms()
    with Services.open(
        env["url"], data_map=data_map, environ=env, sms=late_sms, clock=lambda: past
    ) as opened:
        earlier = opened.rights
        late = earlier.submit(users[0], "access")
        _verify(earlier, late_sms, late.id)
    unverified = rights.submit(users[1], "access")
    fresh = rights.submit(users[2], "deletion", trigger="consent_withdrawn")
    _verify(rights, sms, fresh.id)
    assert site.login("auditor").status_code == 303
    page = site.client.get("/console/queue").text
    order = re.findall(r'data-request="(req_\w+)"', page)
    assert order == [late.id, fresh.id, unverified.id]
    late_row = re.search(rf'<tr class="([^"]*)" data-request="{late.id}"', page)
    assert late_row and late_row.group(1) == "overdue"
    assert "已逾期" in page and "1 件已逾期" in page
    fresh_row = re.search(rf'<tr class="([^"]*)" data-request="{fresh.id}"', page)
    assert fresh_row and fresh_row.group(1) != "overdue"
    overdue_only = site.client.get("/console/queue?show=overdue").text
    assert re.findall(r'data-request="(req_\w+)"', overdue_only) == [late.id]
    detail = site.client.get(f"/console/requests/{fresh.id}").text
    assert "已验证" in detail and "短信验证码" in detail
    assert "批准请求" not in detail  # an auditor sees no decision buttons


def test_operator_approves_refuses_and_holds_as_themselves(
    queue_site: tuple[Console, RightsService, CapturedSms, Path, dict[str, str]],
) -> None:
    site, rights, sms, _, env = queue_site
    users = env["users"].split(",")
    first = rights.submit(users[0], "access")
    second = rights.submit(users[1], "access")
    _verify(rights, sms, first.id)
    assert site.login("operator").status_code == 303
    assert site.post(f"/console/requests/{first.id}/approve").status_code == 303
    assert rights.get(first.id).status.value == "approved"
    again = site.post(f"/console/requests/{first.id}/approve")
    assert again.status_code == 409 and "已审核通过" in again.text
    no_ground = site.post(f"/console/requests/{second.id}/refuse")
    assert no_ground.status_code == 422
    refused = site.post(f"/console/requests/{second.id}/refuse", {"ground": "abuse_of_rights"})
    assert refused.status_code == 303
    assert rights.get(second.id).refusal is not None
    held = site.post("/console/holds", {"subject_id": users[2], "reason": "存在未决的借款纠纷"})
    assert held.status_code == 303
    hold = re.search(r"/console/holds/(hold_\w+)/release", site.client.get("/console/holds").text)
    assert hold
    assert site.post(f"/console/holds/{hold.group(1)}/release").status_code == 303
    operator = site.ids["operator"]
    mine = [a for actor, a, _ in site.audit_actions() if actor == operator]
    assert {"legal_hold.added", "legal_hold.released"} <= set(mine)
    assert {"rights.request.approved", "rights.request.refused"} <= set(mine)


def test_operator_records_notifies_and_closes_an_incident(
    queue_site: tuple[Console, RightsService, CapturedSms, Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site, _, _, _, env = queue_site
    for name, value in env.items():
        if name.startswith("YINSI_SAMPLE_"):
            monkeypatch.setenv(name, value)  # the scanner reads the stores' URLs from there
    assert site.login("operator").status_code == 303
    opened = site.post(
        "/console/incidents",
        {
            "title": "营销线索表遭越权导出",
            "what_happened": "一名外包人员越权导出了营销线索表。",
            "occurred_at": "2026-03-01T09:30",
            "discovered_at": "2026-03-02T10:00",
            "datasets": ["marketing_leads"],
            "user_advice": "警惕冒充客服的电话。",
        },
    )
    assert opened.status_code == 303, opened.text
    path = opened.headers["location"].split("?")[0]
    page = site.client.get(path).text
    assert "营销线索表遭越权导出" in page and "处置中" in page and "受影响用户" in page
    assert site.post(path + "/close").status_code == 422  # not notified yet (Art. 57)
    assert site.post(path + "/notify").status_code == 303
    notified = site.client.get(path).text
    assert "已告知" in notified and "用户告知书" in notified
    assert site.post(path + "/close", {"note": "已处置完毕"}).status_code == 303
    assert "已结束" in site.client.get(path).text
    operator = site.ids["operator"]
    mine = [a for actor, a, _ in site.audit_actions() if actor == operator]
    assert {"incident.opened", "incident.notified", "incident.closed"} <= set(mine)


# ------------------------------------------------------------------ storage, both backends


def test_staff_sessions_campaigns_and_reports_on_each_backend(engine: SqlEngine) -> None:
    from yinsi.rights.holds import LegalHold
    from yinsi.rights.requests import RightsRequest, Status, Transition
    from yinsi.security.staff import StaffSession
    from yinsi.taxonomy import DeletionTrigger, RightKind

    url = engine.url.render_as_string(hide_password=False)
    t0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with Engine(url) as yinsi:
        yinsi.publish(DECLARATION)
        for subject in ("u1", "u2", "u3"):
            _accept(yinsi, subject)
        yinsi.grant(APP, "u2", "marketing_messages", evidence=Evidence(Channel.APP))
        yinsi.publish(V14)
        _accept(yinsi, "u3", "1.4")
    received = RightsRequest(
        "req_1", APP, "u1", RightKind.DELETION, Status.RECEIVED, t0,
        trigger=DeletionTrigger.CONSENT_WITHDRAWN,
        history=(Transition(t0, Status.RECEIVED, "subject"),),
    )  # fmt: skip
    with SqlUnitOfWork(engine) as uow:
        user = uow.staff.add("li.lei", Role.OPERATOR, hash_password(PASSWORD))
        session = StaffSession("ab" * 32, user.id, t0, t0, t0 + timedelta(hours=12))
        uow.staff.logged_in(user.id, session)
        uow.staff.touch(session.id, t0 + timedelta(minutes=5))
        campaign = uow.campaigns.start(APP, "1.4", 2, actor=user.id)
        uow.requests.add(received)
        uow.holds.add(LegalHold("hold_1", APP, "u1", "纠纷", t0, user.id), actor=user.id)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        refused = received.moved(Status.REFUSED, t0 + timedelta(days=3), user.id)
        uow.requests.save(refused, actor=user.id)
        uow.staff.logout(session.id, t0 + timedelta(hours=1))
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        stored = uow.staff.session(session.id)
        assert stored is not None and stored.last_seen_at == t0 + timedelta(minutes=5)
        assert stored.revoked_at == t0 + timedelta(hours=1)
        assert uow.campaigns.list(APP) == [campaign] and uow.campaigns.get(campaign.id) == campaign
        reports = uow.reports
        assert reports.apps() == [APP]
        assert reports.accepted_versions(APP) == {"1.3": 2, "1.4": 1}
        assert list(reports.subjects_behind(APP, "1.4")) == ["u1", "u2"]
        assert list(reports.subjects_behind(APP, "1.3")) == []
        assert sorted(reports.granted_sets(APP), key=lambda s: s[1]) == [
            (frozenset({"privacy_policy", "marketing_messages"}), 1),
            (frozenset({"privacy_policy"}), 2),
        ]
        times = reports.request_times(APP, t0 - timedelta(days=1))
        assert [(t.kind, t.received_at, t.closed_at) for t in times] == [
            ("deletion", t0, t0 + timedelta(days=3))
        ]
        assert reports.request_times(APP, t0 + timedelta(days=1)) == []
        assert [h.id for h in reports.holds(APP)] == ["hold_1"]


# ------------------------------------------------------------------ dashboard figures


def test_consent_rate_of_a_purpose_counts_subjects_who_may_be_processed_for_it() -> None:
    declaration = load(DECLARATION)
    sets = [
        (frozenset({"privacy_policy"}), 3),
        (frozenset({"privacy_policy", "marketing_messages"}), 1),
        (frozenset(), 4),  # declined, or never accepted
    ]
    rates = dict(consent_rates(declaration, sets))
    assert rates["发送商业性信息与服务通知"] == pytest.approx(1 / 8)
    assert rates["反欺诈与风险控制"] == pytest.approx(4 / 8)  # log_info needs the policy only
    assert "游客浏览" not in rates  # guest browsing needs no consent
    assert consent_rates(declaration, [])[0][1] == 0.0


def test_requests_per_week_and_median_time_to_close() -> None:
    monday = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # 09:00 Monday in China
    times = [
        RequestTimes("access", monday, monday + timedelta(days=2)),
        RequestTimes("access", monday + timedelta(days=1), monday + timedelta(days=5)),
        RequestTimes("deletion", monday + timedelta(days=7), None),
        RequestTimes("deletion", monday - timedelta(hours=10), monday),  # 23:00 Sunday in China
    ]
    weeks = weeks_until(monday.date() + timedelta(days=8), count=3)
    assert [w.isoformat() for w in weeks] == ["2026-11-09", "2026-11-16", "2026-11-23"]
    series = {s.label: s.values for s in requests_per_week(times, weeks)}
    assert series == {"查阅": (0.0, 2.0, 0.0), "删除": (1.0, 0.0, 1.0)}
    assert median_days(times, weeks) == [0.4, 3.0, None]


def test_charts_are_svg_images_with_a_title_a_description_and_a_table() -> None:
    bars = stacked_bars(
        "c1", "每周请求", ["11/9", "11/16"], [Series("<查阅>", (1.0, 2.0))], unit="件"
    )
    assert 'role="img"' in bars.svg and '<title id="c1-t">每周请求</title>' in bars.svg
    assert "<desc" in bars.svg and "&lt;查阅&gt;" in bars.svg and "<查阅>" not in bars.svg
    assert bars.columns == ("类别", "11/9", "11/16", "合计")
    assert bars.rows[-1] == ("合计", "1", "2", "3")
    gaps = line("c2", "中位数", ["a", "b", "c"], [1.5, None, 2.0], unit="天")
    assert gaps.svg.count("<circle") == 2 and "<polyline" not in gaps.svg  # no line over a gap
    assert gaps.rows == (("a", "1.5"), ("b", "—"), ("c", "2"))
    rates = rate_bars("c3", "同意率", ["营销"], [0.25], basis="4 位用户")
    assert "25%" in rates.svg and rates.rows == (("营销", "25.0%"),)


def test_a_steps_outcome_reads_in_chinese_with_per_dataset_counts() -> None:
    """The console's step outcomes: labels, an empty list as 无, a deferred deletion's
    per-dataset records as counts (never the record keys)."""
    from yinsi.web.console.requests import outcome_text

    text = outcome_text(
        {
            "restricted": [],
            "deferred": {"loans": ["6"], "repayments": ["1", "2"]},
            "postponed_restricted": ["transaction_records"],
        }
    )
    assert text == (
        "限制处理的信息：无；合同结束后已处理的暂缓记录：loans 1 条、repayments 2 条；"
        "合同结束后限制处理的信息：transaction_records"
    )
