"""The console in a real browser (Playwright + Debian's Chromium) at 375 px and 1280 px.

Each test runs on a live service (``live_site``: 小赢卡贷 published, the all-SQLite sample
behind a RightsService). Staff accounts are made through the repository
(``web_fixtures.add_staff``) and sign in through the login form. Screenshots of the main
pages go to ``build/screenshots/console-*-{375,1280}.png``; every page is checked for
sideways scrolling (wide tables scroll inside their ``.table-wrap``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from yinsi.consent import Channel, Evidence
from yinsi.security.api_keys import Scope
from yinsi_demo import Profile

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from web_fixtures import LiveSite

pytest_plugins = ["web_fixtures"]

APP = "xiaoying_kadai"


def _screens(site: LiveSite, pages: tuple[Page, ...], path: str, name: str) -> None:
    """Open ``path`` on each (signed-in) page, check it fits, save a screenshot."""
    from web_fixtures import no_horizontal_scroll, shoot

    for page in pages:
        page.goto(site.url + path)
        assert no_horizontal_scroll(page), f"{path} scrolls sideways at {page.viewport_size}"
        shoot(page, name)


def _verified_request(site: LiveSite, subject_id: str, kind: str, **more: str) -> str:
    body = {"subject_id": subject_id, "kind": kind, "channel": "customer_service", **more}
    filed = site.api("POST", "/v1/requests", Scope.BACKEND, body)
    assert filed.status_code == 201, filed.text
    request_id: str = filed.json()["id"]
    sent = site.api("POST", f"/v1/requests/{request_id}:send-code", Scope.BACKEND)
    assert sent.status_code == 202, sent.text
    answer = {"answer": site.last_code()}
    verified = site.api("POST", f"/v1/requests/{request_id}:verify", Scope.BACKEND, answer)
    assert verified.status_code == 200, verified.text
    return request_id


def test_each_role_signs_in_and_sees_only_its_tools(
    live_site: LiveSite, phone: Page, desktop: Page
) -> None:
    from web_fixtures import add_staff, console_login, no_horizontal_scroll, shoot

    for page in (phone, desktop):
        page.goto(live_site.url + "/console/queue")
        expect(page).to_have_url(re.compile(r"/console/login\?next="))
        expect(page.get_by_role("heading", name="登录隐私运营控制台")).to_be_visible()
        assert no_horizontal_scroll(page)
        shoot(page, "console-login")
    for role, name in (("admin", "王管理"), ("operator", "李运营"), ("auditor", "赵审计")):
        add_staff(live_site, role, role, name)
    nav = desktop.get_by_role("navigation", name="控制台导航")
    console_login(desktop, live_site, "admin")
    expect(desktop.get_by_text("王管理")).to_be_visible()
    expect(nav.get_by_role("link", name="账号管理")).to_be_visible()
    desktop.get_by_role("button", name="退出登录").click()
    expect(desktop.get_by_text("您已安全退出")).to_be_visible()
    console_login(desktop, live_site, "operator")
    expect(nav.get_by_role("link", name="请求队列")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="账号管理")).to_have_count(0)
    desktop.get_by_role("button", name="退出登录").click()
    console_login(desktop, live_site, "auditor", "/console/audit")
    expect(desktop).to_have_url(re.compile(r"/console/audit$"))
    expect(nav.get_by_role("link", name="审计日志")).to_have_attribute("aria-current", "page")
    desktop.goto(live_site.url + "/console/staff")
    expect(desktop.get_by_text("只有管理员可以")).to_be_visible()


def test_operator_approves_a_verified_deletion_and_it_runs_step_by_step(
    live_site: LiveSite, phone: Page, desktop: Page
) -> None:
    from web_fixtures import add_staff, console_login

    seeded = live_site.stores.seeded
    uid = seeded.of(Profile.NO_LOAN)[0].user_id
    request_id = _verified_request(live_site, uid, "deletion", trigger="consent_withdrawn")
    other = seeded.of(Profile.MIXED)[0].user_id
    live_site.api("POST", "/v1/requests", Scope.BACKEND, {"subject_id": other, "kind": "access"})
    operator = add_staff(live_site, "li.yunying", "operator", "李运营")
    for page in (desktop, phone):
        console_login(page, live_site, "li.yunying")
    _screens(live_site, (desktop, phone), "/console/queue", "console-queue")

    page = desktop
    page.goto(live_site.url + "/console/queue")
    row = page.locator(f'tr[data-request="{request_id}"]')
    expect(row).to_contain_text("身份已验证，待审核")
    row.get_by_role("link", name=request_id).click()
    expect(page.get_by_text("短信验证码")).to_be_visible()
    page.get_by_role("button", name="批准请求").click()
    expect(page.get_by_role("status").filter(has_text="已批准该请求")).to_be_visible()
    page.get_by_role("button", name="执行请求").click()
    expect(page.locator(".status-line .badge").first).to_have_text("已完成", timeout=60_000)

    steps = live_site.rights.steps(request_id)
    assert steps and all(s.status.value == "done" for s in steps)
    log = page.locator("#steps li.step")
    expect(log).to_have_count(len(steps))
    for i, step in enumerate(steps):
        expect(log.nth(i)).to_contain_text(f"第 {step.n} 步")
        expect(log.nth(i)).to_contain_text("已完成")
    expect(page.locator("#steps")).to_contain_text("删除或匿名化")
    history = [t.actor for t in live_site.rights.get(request_id).history]
    assert history.count(operator) == 3  # approved, executing, completed

    page.goto(live_site.url + "/console/queue")
    expect(page.locator(f'tr[data-request="{request_id}"]')).to_have_count(0)  # open only
    page.get_by_label("办理状态").select_option("closed")  # htmx swaps the list in place
    expect(page).to_have_url(re.compile(r"show=closed"))
    expect(page.locator(f'tr[data-request="{request_id}"]')).to_contain_text("已完成")

    left = live_site.stores.snapshot()
    erasable = seeded.erasable_cells(uid)
    assert erasable and not [c for c, v in erasable.items() if left.get(c) == v]
    _screens(live_site, (desktop, phone), f"/console/requests/{request_id}", "console-request")


def test_auditor_verifies_the_audit_log_and_sees_tampering_flagged(
    live_site: LiveSite, phone: Page, desktop: Page
) -> None:
    from audit_tamper import set_field, tamper
    from web_fixtures import add_staff, console_login, no_horizontal_scroll, shoot
    from yinsi.storage import create_engine

    add_staff(live_site, "zhao.shenji", "auditor", "赵审计")
    console_login(desktop, live_site, "zhao.shenji", "/console/audit")
    desktop.get_by_role("link", name="校验完整性").click()
    verdict = desktop.locator("[data-verdict]")
    expect(verdict).to_have_attribute("data-verdict", "intact")
    expect(verdict).to_contain_text("校验通过")

    db = create_engine(live_site.db_url)
    try:
        tamper(db, set_field(2, actor="mallory"))
    finally:
        db.dispose()
    desktop.get_by_role("link", name="重新校验").click()
    expect(verdict).to_have_attribute("data-verdict", "broken")
    expect(verdict).to_contain_text("审计日志已被篡改")
    expect(desktop.locator("table.breaks")).to_contain_text("记录被篡改")
    expect(desktop.locator("table.audit tr.overdue")).to_contain_text("已篡改")
    assert no_horizontal_scroll(desktop)
    shoot(desktop, "console-audit")
    console_login(phone, live_site, "zhao.shenji", "/console/audit%3Fverify%3D1")
    expect(phone.locator("[data-verdict]")).to_have_attribute("data-verdict", "broken")
    assert no_horizontal_scroll(phone)
    shoot(phone, "console-audit")


def test_dashboard_draws_its_three_charts(live_site: LiveSite, phone: Page, desktop: Page) -> None:
    from web_fixtures import add_staff, console_login

    engine = live_site.engine
    evidence = Evidence(Channel.APP)
    subjects = list(live_site.stores.seeded.subjects)
    for i, subject in enumerate(subjects):
        engine.accept_policy(APP, subject, evidence=evidence)
        if i % 2 == 0:
            engine.grant(APP, subject, "marketing_messages", evidence=evidence)
        if i % 3 == 0:
            engine.grant(APP, subject, "location", evidence=evidence)
    done = _verified_request(live_site, subjects[1], "access")
    live_site.rights.approve(done, actor="test")
    live_site.rights.run(done, actor="test")
    _verified_request(live_site, subjects[2], "deletion", trigger="purpose_done")
    add_staff(live_site, "admin", "admin", "王管理")
    for page in (desktop, phone):
        console_login(page, live_site, "admin")
    _screens(live_site, (desktop, phone), "/console/dashboard", "console-dashboard")

    charts = desktop.locator("svg.chart[role=img]")
    expect(charts).to_have_count(3)
    for title in (
        "每周受理的权利请求（按类型）",
        "办结时长中位数（按受理周）",
        "各处理目的的同意率",
    ):
        expect(desktop.get_by_role("img", name=re.compile(title))).to_be_visible()
    expect(desktop.locator("svg.chart rect")).not_to_have_count(0)
    expect(desktop.locator(".legend")).to_contain_text("查阅")
    desktop.get_by_text("查看数据表").last.click()
    expect(desktop.get_by_role("rowheader", name=re.compile("商业性信息")).first).to_be_visible()


def test_policies_page_starts_a_re_consent_campaign(
    live_site: LiveSite, phone: Page, desktop: Page
) -> None:
    from web_fixtures import ROOT, add_staff, console_login

    engine = live_site.engine
    for subject in list(live_site.stores.seeded.subjects)[:4]:
        engine.accept_policy(APP, subject, evidence=Evidence(Channel.APP))
    engine.publish(ROOT / "tests" / "data" / "xiaoying-kadai-v1.4.yaml")
    add_staff(live_site, "admin", "admin", "王管理")
    for page in (desktop, phone):
        console_login(page, live_site, "admin")
    desktop.goto(live_site.url + "/console/policies")
    expect(desktop.get_by_text("含重大变更，需重新同意")).to_be_visible()
    desktop.get_by_role("button", name=re.compile("为版本 1.4 发起重新同意（4 位用户）")).click()
    expect(desktop.get_by_role("status").filter(has_text="已发起重新同意活动")).to_be_visible()
    with desktop.expect_download() as download:
        desktop.get_by_role("link", name="下载 CSV").click()
    lines = download.value.path().read_text(encoding="utf-8").split()
    assert lines[0] == "subject_id" and len(lines) == 5
    _screens(live_site, (desktop, phone), "/console/policies", "console-policies")


def test_x18_an_admin_vets_a_source_and_revokes_it_in_the_browser(
    live_site: LiveSite, phone: Page, desktop: Page
) -> None:
    from web_fixtures import add_staff, console_login

    add_staff(live_site, "wang.admin", "admin", "王管理")
    for page in (desktop, phone):
        console_login(page, live_site, "wang.admin")
    page = desktop
    page.goto(live_site.url + "/console/sources")
    nav = page.get_by_role("navigation", name="控制台导航")
    expect(nav.get_by_role("link", name="第三方来源")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("没有来源审查记录")).to_be_visible()
    page.get_by_label("来源编号").fill("baihang")
    page.get_by_label("提供方名称").fill("百行征信有限公司")
    page.get_by_label("合法性依据（许可证名称及编号）").fill(
        "个人征信业务经营许可（银征信许字第0002号）"
    )
    page.locator('input[name="scenario"][value="third_party_sources"]').check()
    page.locator('input[name="element"][value="third_party_query_results"]').check()
    page.get_by_label("授权依据").fill("同意事项 third_party_data")
    page.get_by_label("有效期至").fill("2027-12-31")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已登记来源审查记录")).to_be_visible()
    row = page.locator("tbody tr").filter(has_text="百行征信有限公司")
    expect(row).to_contain_text("有效")
    _screens(live_site, (desktop, phone), "/console/sources", "console-sources")
    page.goto(live_site.url + "/console/sources")
    row.get_by_placeholder("撤销原因").fill("许可证被注销")
    row.get_by_role("button", name="撤销来源 百行征信有限公司").click()
    expect(page.get_by_role("status").filter(has_text="已撤销该来源")).to_be_visible()
    expect(page.locator("tbody tr").filter(has_text="百行征信有限公司")).to_contain_text("已于")
