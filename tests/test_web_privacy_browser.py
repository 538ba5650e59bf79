"""The privacy center in a real browser (Debian Chromium via Playwright) against a live service.

A user opens the privacy center from the app's signed link (``POST …/privacy-link``, as the
app's back-end would) at 375 px (a phone) and 1280 px. Screenshots of the main pages go to
``build/screenshots/`` (``privacy-*-375.png``, ``privacy-*-1280.png``).
"""

from __future__ import annotations

import re
from collections import deque
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import expect

from conftest import DATA
from yinsi.rights.requests import Status
from yinsi.security.api_keys import Scope

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from web_fixtures import LiveSite

pytest_plugins = ["web_fixtures"]

APP = "xiaoying_kadai"
LOCATION = {"element": "precise_location", "purpose": "anti_fraud", "scenario": "location"}
EVIDENCE = {"evidence": {"channel": "app", "account": "acct"}}
LONG = {"privacy-policy", "privacy-collected-list", "privacy-sharing-list"}
"""Documents tens of screens long: their first screen is saved, not the whole page."""


def _enter(site: LiveSite, page: Page, subject: str) -> None:
    """Open the privacy center as ``subject``, through the link the back-end asks for."""
    made = site.api("POST", f"/v1/apps/{APP}/subjects/{subject}/privacy-link", Scope.BACKEND)
    assert made.status_code == 200, made.text
    page.goto(made.json()["url"])
    assert urlsplit(page.url).path == "/privacy"


def _accept(site: LiveSite, subject: str, version: str | None = None) -> None:
    body: dict[str, Any] = {**EVIDENCE, "version": version}
    path = f"/v1/apps/{APP}/subjects/{subject}/policy:accept"
    assert site.api("POST", path, Scope.BACKEND, body).status_code == 200


def _decide(site: LiveSite, subject: str) -> dict[str, Any]:
    path = f"/v1/apps/{APP}/subjects/{subject}/decisions"
    answer = site.api("POST", path, Scope.BACKEND, [LOCATION])
    assert answer.status_code == 200, answer.text
    decision: dict[str, Any] = answer.json()[0]
    return decision


def _publish_v14(site: LiveSite) -> None:
    text = (DATA / "xiaoying-kadai-v1.4.yaml").read_text(encoding="utf-8")
    answer = site.api("POST", "/v1/policies", Scope.ADMIN, {"declaration": text})
    assert answer.status_code == 201, answer.text


def _shoot_screen(page: Page, name: str) -> None:
    """Like :func:`web_fixtures.shoot`, but only what is on the screen."""
    from web_fixtures import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"))


def _completed_access(site: LiveSite, subject: str) -> str:
    rights = site.rights
    filed = rights.submit(subject, "access", channel="h5")
    rights.send_code(filed.id)
    rights.verify(filed.id, site.last_code())
    rights.approve(filed.id, actor="operator")
    assert rights.run(filed.id).status is Status.COMPLETED
    return filed.id


# ------------------------------------------------------------------ acceptance


def test_x29_x05_withdraw_separate_consent_denies_at_once(live_site: LiveSite, phone: Page) -> None:
    """One tap grants the separate location consent, one key press (keyboard) withdraws it;
    the decision API refuses the very next request, and only what depends on it stops."""
    from web_fixtures import no_horizontal_scroll, shoot

    subject = "pc-consent-1"
    _enter(live_site, phone, subject)
    phone.get_by_role("button", name="同意", exact=True).click()
    expect(phone.get_by_role("status")).to_contain_text("新版隐私政策已对您生效")
    phone.get_by_role("link", name=re.compile("同意管理")).click()

    separate = phone.locator("section.pc-separate")
    expect(separate).to_contain_text("请特别注意")
    switch = separate.get_by_role("switch", name=re.compile("位置信息"))
    card = phone.locator("#c-location")
    expect(card).to_contain_text("开启前无法使用：设备信息；位置信息")  # 1.2 B GPS位置
    assert _decide(live_site, subject)["allowed"] is False  # not granted yet

    switch.click()  # one tap to grant (htmx saves it on change)
    expect(card.locator(".pc-state")).to_contain_text("已保存：已开启")
    expect(card).to_contain_text(
        "撤回后将停止：设备信息；位置信息"
    )  # only what depends on it (X29)
    assert _decide(live_site, subject)["allowed"] is True

    card.get_by_role("switch").focus()  # one key press to withdraw, from the keyboard
    phone.keyboard.press("Space")
    expect(card.locator(".pc-state")).to_contain_text("已撤回")
    decision = _decide(live_site, subject)
    assert (decision["allowed"], decision["reason"]) == (False, "consent_withdrawn")
    state = live_site.engine.state(APP, subject)
    assert "location" in state.withdrawn and "privacy_policy" in state.granted
    events = live_site.engine.events(APP, subject)
    assert events[-1].evidence.channel.value == "h5" and events[-1].evidence.user_agent
    assert no_horizontal_scroll(phone)
    shoot(phone, "privacy-consents")


def test_x02_w19_browse_only_user_is_shown_the_new_version(
    live_site: LiveSite, phone: Page
) -> None:
    from web_fixtures import no_horizontal_scroll, shoot

    subject = "pc-browse-1"
    _accept(live_site, subject, "1.3")
    _publish_v14(live_site)
    _enter(live_site, phone, subject)
    prompt = phone.locator(".pc-prompt")
    expect(prompt).to_contain_text("已更新至第1.4版")
    expect(prompt).to_contain_text("您此前同意的是第1.3版")
    expect(prompt).to_contain_text("新增：OPPO推送")
    shoot(phone, "privacy-new-version")

    prompt.get_by_role("button", name="暂不同意，仅浏览").click()
    prompt = phone.locator(".pc-prompt")
    expect(prompt).to_contain_text("目前处于仅浏览模式")
    expect(prompt).to_contain_text("已更新至第1.4版")  # still shown the new version
    state = live_site.engine.state(APP, subject)
    assert (state.accepted_version, state.declined_version) == ("1.3", "1.4")
    assert no_horizontal_scroll(phone)
    shoot(phone, "privacy-browse-only")

    prompt.get_by_role("link", name="查看逐条变更对比").click()
    expect(phone.locator("h1")).to_contain_text("第1.3版 → 第1.4版")
    expect(phone.locator(".pc-change.material").first).to_be_visible()
    expect(phone.locator(".pc-hunk ins").first).to_be_visible()
    assert no_horizontal_scroll(phone)
    shoot(phone, "privacy-diff")

    phone.go_back()
    phone.locator(".pc-prompt").get_by_role("button", name="同意", exact=True).click()
    expect(phone.locator(".pc-prompt")).to_have_count(0)
    assert live_site.engine.state(APP, subject).accepted_version == "1.4"


def test_x35_rights_request_with_sms_verification_shows_its_due_date(
    live_site: LiveSite, phone: Page
) -> None:
    from web_fixtures import no_horizontal_scroll, shoot

    subject = next(iter(live_site.stores.seeded.subjects))
    _accept(live_site, subject)
    _enter(live_site, phone, subject)
    phone.get_by_role("link", name=re.compile("行使个人信息权利")).click()
    phone.get_by_role("link", name=re.compile("^复制")).click()
    phone.get_by_role("button", name="提交并获取验证码").click()
    expect(phone.get_by_role("status")).to_contain_text("验证码已发送")
    expect(phone.locator(".pc-due")).to_contain_text("完成身份验证后开始计算")

    phone.get_by_label("短信验证码").fill("000000")
    phone.get_by_role("button", name="提交验证").click()
    expect(phone.get_by_role("alert")).to_contain_text("还可尝试4次")
    phone.get_by_label("短信验证码").fill(live_site.last_code())
    phone.get_by_role("button", name="提交验证").click()
    expect(phone.get_by_role("status")).to_contain_text("身份验证成功")

    (request,) = live_site.rights.requests(subject_id=subject)
    assert request.status is Status.VERIFIED and request.channel == "h5"
    assert request.due is not None
    day = request.due.date
    expect(phone.locator(".pc-due")).to_contain_text(
        f"最迟于{day.year}年{day.month}月{day.day}日前答复"
    )
    expect(phone.locator(".pc-due")).to_contain_text("15个工作日")
    assert no_horizontal_scroll(phone)
    shoot(phone, "privacy-request")


# ------------------------------------------------------------------ layout and reach


def test_main_pages_fit_a_phone_and_a_desktop(
    live_site: LiveSite, phone: Page, desktop: Page
) -> None:
    from web_fixtures import no_horizontal_scroll, shoot

    subject = next(iter(live_site.stores.seeded.subjects))
    _accept(live_site, subject)
    rid = _completed_access(live_site, subject)
    pages = {
        "privacy-home": "/privacy",
        "privacy-policy": f"/privacy/apps/{APP}/docs/policy",
        "privacy-summary": f"/privacy/apps/{APP}/docs/summary",
        "privacy-collected-list": f"/privacy/apps/{APP}/docs/collected-list",
        "privacy-sharing-list": f"/privacy/apps/{APP}/docs/sharing-list",
        "privacy-permissions": f"/privacy/apps/{APP}/permissions",
        "privacy-versions": f"/privacy/apps/{APP}/versions",
        "privacy-consents": "/privacy/consents",
        "privacy-requests": "/privacy/requests",
        "privacy-request-kinds": "/privacy/requests/new",
        "privacy-request-form": "/privacy/requests/new?kind=deletion",
        "privacy-request": f"/privacy/requests/{rid}",
        "privacy-cancel": "/privacy/cancel",
        "privacy-complaints": "/privacy/complaints",
    }
    for page in (phone, desktop):
        _enter(live_site, page, subject)
        for name, path in pages.items():
            page.goto(live_site.url + path)
            assert page.locator("html").get_attribute("lang") == "zh-CN"
            assert no_horizontal_scroll(page), f"{path} scrolls sideways at {page.viewport_size}"
            for field in page.locator(
                "main input:not([type=hidden]), main select, main textarea"
            ).all():
                field_id = field.get_attribute("id")
                assert field_id and page.locator(f"label[for='{field_id}']").count() == 1, (
                    path,
                    field_id,
                )
            if name == "privacy-request":
                assert page.locator("a[download]").count() == 1  # the export
            if name in LONG:
                _shoot_screen(page, name)
            else:
                shoot(page, name)


def test_every_function_is_within_three_taps_of_the_entry_page(
    live_site: LiveSite, phone: Page
) -> None:
    """Breadth-first over the links and forms of each page: every function of the privacy
    center is reached by at most three taps from ``/privacy``."""
    subject = next(iter(live_site.stores.seeded.subjects))
    _publish_v14(live_site)
    _accept(live_site, subject, "1.3")
    rid = _completed_access(live_site, subject)
    pending = live_site.rights.submit(subject, "copy", channel="h5").id
    _enter(live_site, phone, subject)
    taps = _reach(phone, live_site.url, limit=3)
    functions = {
        "policy": f"GET /privacy/apps/{APP}/docs/policy",
        "summary": f"GET /privacy/apps/{APP}/docs/summary",
        "collected list": f"GET /privacy/apps/{APP}/docs/collected-list",
        "sharing list": f"GET /privacy/apps/{APP}/docs/sharing-list",
        "older versions": f"GET /privacy/apps/{APP}/versions",
        "highlighted diff": f"GET /privacy/apps/{APP}/diff",
        "permissions and SDKs": f"GET /privacy/apps/{APP}/permissions",
        "accept the new version": "POST /privacy/policy/accept",
        "browse only": "POST /privacy/policy/decline",
        "consent switches": "POST /privacy/consents/location",
        "file a rights request": "POST /privacy/requests",
        "request status and due date": f"GET /privacy/requests/{rid}",
        "SMS verification": f"POST /privacy/requests/{pending}/verify",
        "download the export": f"GET /privacy/requests/{rid}/archive",
        "account cancellation": "POST /privacy/cancel",
        "complaints": "POST /privacy/complaints",
    }
    missing = {name: where for name, where in functions.items() if where not in taps}
    assert not missing, f"not within 3 taps: {missing}"
    assert max(taps[where] for where in functions.values()) <= 3


def _reach(page: Page, base: str, *, limit: int) -> dict[str, int]:
    """``METHOD /path`` of every link and form reachable from ``/privacy``, with the
    fewest taps it takes (following a link or submitting a form is one tap)."""
    taps: dict[str, int] = {"GET /privacy": 0}
    queue: deque[tuple[str, int]] = deque([(base + "/privacy", 0)])
    seen = {base + "/privacy"}
    while queue:
        url, depth = queue.popleft()
        page.goto(url)
        targets = page.eval_on_selector_all(
            "main a[href], header a[href], form[method=post]",
            """els => els.map(e => e.tagName === 'FORM'
                 ? ['POST', e.getAttribute('action')]
                 : ['GET', e.getAttribute('href')])""",
        )
        for method, href in targets:
            if (
                not href
                or href.startswith("#")
                or (href.startswith("http") and not href.startswith(base))
            ):
                continue
            absolute = urljoin(url, href).split("#")[0]
            parts = urlsplit(absolute)
            key = f"{method} {parts.path}"
            if taps.get(key, limit + 1) > depth + 1:
                taps[key] = depth + 1
            if method == "GET" and depth + 1 < limit and absolute not in seen:
                if parts.path.endswith("/archive"):
                    continue
                seen.add(absolute)
                queue.append((absolute, depth + 1))
    return taps
