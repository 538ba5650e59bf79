"""Consent on the device side for H5 pages: ``yinsi-consent.js`` in a real browser.

A lending app's back-end (a small Starlette app on its own port, in this module) serves an
H5 page that loads the library from the live yinsi service (``/static/yinsi-consent.js``)
and declares gated third-party tags on fake hosts (``*.baidu.test``, ``*.tracker.test``).
Its ``/api/yinsi/*`` routes proxy the SDK manifest and the permission telemetry to yinsi
with the back-end's API key, for the user of its session cookie — the pattern of
docs/h5-and-native.md. Playwright intercepts every request to the fake hosts, records it
and fulfils it (no network): the fake SDK scripts set cookies as real ones do.

Consents are granted and withdrawn in yinsi's ledger through its REST API, as the app's
back-end or the privacy center would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from served import free_port, served
from yinsi.security.api_keys import Scope
from yinsi.web.headers import CSP as YINSI_CSP
from yinsi.web.templating import STATIC

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page
    from playwright.sync_api import Route as PwRoute

    from web_fixtures import LiveSite

pytest_plugins = ["web_fixtures"]

APP = "xiaoying_kadai"
EVIDENCE = {"evidence": {"channel": "app", "account": "acct"}}
LIBRARY = STATIC / "yinsi-consent.js"
FAKE = re.compile(r"^https://[^/]*\.test/")
LOCATION_JS = "https://api.map.baidu.test/location.js"
ANALYTICS_JS = "https://hm.baidu.test/hm.js"
ANALYTICS_GIF = "https://hm.baidu.test/hm.gif"
TRACKER_JS = "https://t.tracker.test/t.js"
GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
SDK_SCRIPTS = {
    LOCATION_JS: "document.cookie='BAIDULOC=loc1; path=/'; window.__sdk=(window.__sdk||[]).concat('baidu_location');",
    ANALYTICS_JS: "document.cookie='HMACCOUNT=hm1; path=/'; window.__sdk=(window.__sdk||[]).concat('baidu_analytics');",
    TRACKER_JS: "window.__sdk=(window.__sdk||[]).concat('tracker');",
}
GATED_COOKIES = {"BAIDULOC", "HMACCOUNT", "HMTRACK"}


def _page_html(yinsi_url: str) -> str:
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>申请借款</title>
<script src="{yinsi_url}/static/yinsi-consent.js"
        data-manifest-url="/api/yinsi/sdk-manifest"
        data-telemetry-url="/api/yinsi/permission-events"
        data-stage="申请借款（进件）"></script>
</head><body><h1>申请借款</h1>
<script type="text/plain" data-yinsi-sdk="baidu_location" data-src="{LOCATION_JS}"
        data-yinsi-cookies="BAIDULOC" data-yinsi-permission="location"
        data-yinsi-scenario="location"></script>
<script type="text/plain" data-yinsi-sdk="baidu_analytics" data-src="{ANALYTICS_JS}"
        data-yinsi-cookies="HMACCOUNT"></script>
<img data-yinsi-sdk="baidu_analytics" data-src="{ANALYTICS_GIF}" alt="">
<script type="text/plain" data-yinsi-sdk="not_declared_tracker" data-src="{TRACKER_JS}"></script>
</body></html>"""


def _strict_html(manifest: str) -> str:
    """Under yinsi's own CSP: the library from the page's origin, the manifest inline."""
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>H5</title>
<script src="/static/yinsi-consent.js"></script>
</head><body><p>H5</p>
<script type="application/json" id="yinsi-manifest">{manifest}</script>
</body></html>"""


@dataclass
class H5App:
    """The app's back-end: its URL and the telemetry it proxied (events, yinsi's answer)."""

    url: str
    telemetry: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = field(default_factory=list)


def _h5_app(site: LiveSite, h5: H5App) -> Starlette:
    headers = {"Authorization": f"Bearer {site.keys[Scope.BACKEND]}"}
    csp = (
        f"default-src 'self'; script-src 'self' {site.url} https://api.map.baidu.test "
        "https://hm.baidu.test https://t.tracker.test; img-src 'self' https://hm.baidu.test; "
        "connect-src 'self'"
    )

    def manifest_of(subject: str) -> httpx.Response:
        path = f"/v1/apps/{APP}/subjects/{subject}/sdk-manifest?limit=100"
        return httpx.get(site.url + path, headers=headers, timeout=30)

    def page(request: Request) -> Response:
        return HTMLResponse(_page_html(site.url), headers={"Content-Security-Policy": csp})

    def strict(request: Request) -> Response:
        answer = manifest_of(request.cookies["session"])
        text = answer.text.replace("<", "\\u003c")  # inside a <script> data block
        return HTMLResponse(_strict_html(text), headers={"Content-Security-Policy": YINSI_CSP})

    def library(request: Request) -> Response:
        return Response(LIBRARY.read_bytes(), media_type="text/javascript; charset=utf-8")

    def manifest(request: Request) -> Response:
        subject = request.cookies.get("session")
        if not subject:
            return JSONResponse({"detail": "未登录"}, status_code=401)
        answer = manifest_of(subject)
        return Response(answer.content, answer.status_code, media_type="application/json")

    async def telemetry(request: Request) -> Response:
        subject = request.cookies.get("session")
        if not subject:
            return JSONResponse({"detail": "未登录"}, status_code=401)
        events = [{**e, "subject_id": subject} for e in await request.json()]
        path = f"/v1/apps/{APP}/permission-events:check"
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.post(site.url + path, headers=headers, json=events)
        h5.telemetry.append((events, answer.json()))
        return Response(answer.content, answer.status_code, media_type="application/json")

    return Starlette(
        routes=[
            Route("/h5/loan", page),
            Route("/h5/strict", strict),
            Route("/static/yinsi-consent.js", library),
            Route("/api/yinsi/sdk-manifest", manifest),
            Route("/api/yinsi/permission-events", telemetry, methods=["POST"]),
        ]
    )


@pytest.fixture
def h5_app(live_site: LiveSite) -> Iterator[H5App]:
    port = free_port()
    h5 = H5App(f"http://127.0.0.1:{port}")
    with served(_h5_app(live_site, h5), port=port, log_level="warning"):
        yield h5


@dataclass
class Device:
    """A browser context as one logged-in user, with every request to a fake host."""

    context: BrowserContext
    page: Page
    requested: list[str]
    console: list[str]

    def gated_requests(self) -> list[str]:
        return [u for u in self.requested if FAKE.match(u)]

    def cookies(self) -> set[str]:
        return {c["name"] for c in self.context.cookies()} & GATED_COOKIES


def _device(browser: Browser, h5: H5App, subject: str | None) -> Device:
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    if subject is not None:
        context.add_cookies([{"name": "session", "value": subject, "url": h5.url}])
    device = Device(context, context.new_page(), [], [])

    def fake_host(route: PwRoute) -> None:
        url = route.request.url
        device.requested.append(url)
        if url.endswith(".gif"):
            cookie = "HMTRACK=1; Domain=hm.baidu.test; Path=/; SameSite=None; Secure"
            route.fulfill(
                status=200, body=GIF, headers={"Content-Type": "image/gif", "Set-Cookie": cookie}
            )
        else:
            route.fulfill(status=200, body=SDK_SCRIPTS.get(url, ""), content_type="text/javascript")

    context.route(FAKE, fake_host)
    device.page.on("console", lambda m: device.console.append(m.text))
    return device


@pytest.fixture
def devices(browser: Browser) -> Iterator[list[Device]]:
    made: list[Device] = []
    yield made
    for d in made:
        d.context.close()


def _open(device: Device, h5: H5App, path: str = "/h5/loan") -> dict[str, Any]:
    """Load the page, wait for the library's first check and the network; its state."""
    device.page.goto(h5.url + path)
    assert device.page.evaluate("() => window.yinsi.ready") is not None
    device.page.wait_for_load_state("networkidle")
    state: dict[str, Any] = device.page.evaluate("() => window.yinsi.state()")
    return state


def _consent(site: LiveSite, subject: str, what: str) -> None:
    base = f"/v1/apps/{APP}/subjects/{subject}"
    path = {
        "accept": f"{base}/policy:accept",
        "grant": f"{base}/consents/location:grant",
        "withdraw": f"{base}/consents/location:withdraw",
    }[what]
    answer = site.api("POST", path, Scope.BACKEND, EVIDENCE)
    assert answer.status_code == 200, answer.text


# ------------------------------------------------------------------ acceptance


def test_w12_x40_gated_sdks_follow_the_ledger_page_by_page(
    live_site: LiveSite, h5_app: H5App, browser: Browser, devices: list[Device]
) -> None:
    """Before consent nothing of a gated SDK is requested and none of its cookies exists;
    after the grant the next load requests it; after withdrawal the next load requests
    nothing of it and its cookie is gone. An SDK the manifest does not name never loads."""
    subject = "h5-user-1"
    device = _device(browser, h5_app, subject)
    devices.append(device)

    state = _open(device, h5_app)  # a new user: policy not accepted yet
    assert state["checked"] is True and not state["allowed"]
    assert {"baidu_location", "baidu_analytics"} <= set(state["blocked"])
    assert device.gated_requests() == [] and device.cookies() == set()
    blocked = device.page.locator('[data-yinsi-state="blocked"]')
    assert blocked.count() == 4

    _consent(live_site, subject, "accept")  # baidu_analytics rests on the policy consent
    device.requested.clear()
    _open(device, h5_app)
    assert sorted(device.gated_requests()) == [ANALYTICS_GIF, ANALYTICS_JS]
    assert "HMACCOUNT" in device.cookies() and "BAIDULOC" not in device.cookies()

    _consent(live_site, subject, "grant")  # the separate location consent
    device.requested.clear()
    state = _open(device, h5_app)
    assert {"baidu_location", "baidu_analytics"} <= set(state["allowed"])
    assert sorted(device.gated_requests()) == [LOCATION_JS, ANALYTICS_GIF, ANALYTICS_JS]
    device.page.wait_for_function("() => (window.__sdk || []).includes('baidu_location')")
    assert {"BAIDULOC", "HMACCOUNT"} <= device.cookies()

    _consent(live_site, subject, "withdraw")
    device.requested.clear()
    state = _open(device, h5_app)
    assert "baidu_location" in state["blocked"]
    assert LOCATION_JS not in device.requested  # nothing of the withdrawn SDK
    assert sorted(device.gated_requests()) == [ANALYTICS_GIF, ANALYTICS_JS]
    assert "BAIDULOC" not in device.cookies()  # X40: its cookie expired on the load
    assert TRACKER_JS not in device.requested
    assert not [m for m in device.console if subject in m]  # no PI in the console


def test_w12_fails_closed_without_a_manifest(
    live_site: LiveSite, h5_app: H5App, browser: Browser, devices: list[Device]
) -> None:
    """No session (the proxy answers 401): the library loads no gated SDK at all, and its
    console message names no user; a failed recheck stops new loads the same way."""
    _consent(live_site, "h5-user-2", "accept")
    device = _device(browser, h5_app, None)
    devices.append(device)
    state = _open(device, h5_app)
    assert state == {"checked": False, "allowed": [], "blocked": []}
    assert device.gated_requests() == [] and device.cookies() == set()
    assert any("受控SDK均不加载" in m for m in device.console)

    # A recheck that cannot be answered loads nothing new until one can.
    device.context.add_cookies([{"name": "session", "value": "h5-user-2", "url": h5_app.url}])
    _open(device, h5_app)
    assert device.page.evaluate("() => yinsi.allowed('baidu_analytics')") is True
    device.context.clear_cookies()
    device.requested.clear()
    assert device.page.evaluate("() => yinsi.recheck()") is False
    later = "() => yinsi.load('baidu_analytics', 'https://hm.baidu.test/later.js')"
    assert device.page.evaluate(later) is False and device.gated_requests() == []
    assert all("h5-user-2" not in m for m in device.console)


def test_w12_single_page_app_recheck_stops_at_once(
    live_site: LiveSite, h5_app: H5App, browser: Browser, devices: list[Device]
) -> None:
    """In a single-page app, ``recheck()`` after a withdrawal reports it to ``onChange``,
    removes the SDK's tag and cookie and refuses later ``load()`` calls; after a new grant
    ``whenAllowed`` runs."""
    subject = "h5-user-3"
    _consent(live_site, subject, "accept")
    _consent(live_site, subject, "grant")
    device = _device(browser, h5_app, subject)
    devices.append(device)
    _open(device, h5_app)
    device.page.wait_for_function("() => (window.__sdk || []).includes('baidu_location')")
    assert "BAIDULOC" in device.cookies()
    device.page.evaluate("() => { window.__changes = []; yinsi.onChange(c => __changes.push(c)); }")

    _consent(live_site, subject, "withdraw")
    assert device.page.evaluate("() => yinsi.recheck()") is True
    changes = device.page.evaluate("() => window.__changes")
    assert changes == [{"granted": [], "withdrawn": ["baidu_location"]}]
    assert device.page.locator(f'script[src="{LOCATION_JS}"]').count() == 0
    assert "BAIDULOC" not in device.cookies()
    device.requested.clear()
    loaded = device.page.evaluate(
        "() => yinsi.load('baidu_location', 'https://api.map.baidu.test/later.js')"
    )
    assert loaded is False and device.gated_requests() == []

    device.page.evaluate(
        "() => { window.__init = 0; yinsi.whenAllowed('baidu_location', () => __init++); }"
    )
    _consent(live_site, subject, "grant")
    assert device.page.evaluate("() => yinsi.recheck()") is True
    device.page.wait_for_load_state("networkidle")
    assert device.page.evaluate("() => window.__init") == 1
    assert "https://api.map.baidu.test/later.js" in device.requested  # the pending load ran
    assert device.page.evaluate("() => window.__changes")[-1] == {
        "granted": ["baidu_location"],
        "withdrawn": [],
    }


def test_w10_permission_and_sdk_use_reach_the_telemetry_check(
    live_site: LiveSite, h5_app: H5App, browser: Browser, devices: list[Device]
) -> None:
    """Loading an SDK that declares a permission reports its use through the app's proxy
    (which adds the subject); yinsi finds no violation. A use before the location consent
    comes back as a ``before_consent`` violation to ``onViolation``."""
    subject = "h5-user-4"
    _consent(live_site, subject, "accept")
    device = _device(browser, h5_app, subject)
    devices.append(device)
    _open(device, h5_app)
    assert h5_app.telemetry == []  # baidu_location blocked: nothing used, nothing reported

    device.page.evaluate("() => { window.__v = []; yinsi.onViolation(v => __v.push(...v)); }")
    violations = device.page.evaluate(
        "() => { yinsi.reportUse({permission: 'location', scenario: 'location'});"
        " return yinsi.flush(); }"
    )
    assert [v["kind"] for v in violations] == ["before_consent"]
    assert device.page.evaluate("() => window.__v.map(v => v.kind)") == ["before_consent"]
    events, _ = h5_app.telemetry[-1]
    assert events[0]["subject_id"] == subject and events[0]["stage"] == "申请借款（进件）"

    _consent(live_site, subject, "grant")
    h5_app.telemetry.clear()
    _open(device, h5_app)
    device.page.wait_for_function("() => (window.__sdk || []).includes('baidu_location')")
    device.page.wait_for_load_state("networkidle")
    [(events, answer)] = h5_app.telemetry
    assert [(e["permission"], e["scenario"], e["sdk"]) for e in events] == [
        ("location", "location", "baidu_location")
    ]
    assert events[0]["at"].endswith("Z") and answer == []


def test_library_served_as_javascript_and_runs_under_yinsi_csp(
    live_site: LiveSite, h5_app: H5App, browser: Browser, devices: list[Device]
) -> None:
    """``/static/yinsi-consent.js`` is JavaScript (with ``nosniff``), and the library runs
    under yinsi's own page CSP (``script-src 'self'``, no inline script, no eval) with the
    manifest rendered inline by the back-end: no CSP report in the console."""
    served = httpx.get(live_site.url + "/static/yinsi-consent.js", timeout=30)
    assert served.status_code == 200
    assert served.headers["content-type"].split(";")[0] in {
        "text/javascript",
        "application/javascript",
    }
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.content == LIBRARY.read_bytes()

    subject = "h5-user-5"
    _consent(live_site, subject, "accept")
    device = _device(browser, h5_app, subject)
    devices.append(device)
    state = _open(device, h5_app, "/h5/strict")
    assert state["checked"] is True and "baidu_analytics" in state["allowed"]
    assert "baidu_location" in state["blocked"]
    assert (
        device.page.evaluate("() => yinsi.mayReceive('baidu_location', 'precise_location')")
        is False
    )
    assert not [m for m in device.console if "Content Security Policy" in m]
    # The H5 page of the other tests loads it cross-origin from yinsi under the app's CSP.
    device.console.clear()
    _open(device, h5_app)
    assert not [m for m in device.console if "Content Security Policy" in m]
