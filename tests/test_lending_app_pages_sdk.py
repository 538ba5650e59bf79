"""Issue 15 acceptance on the reference lending app's OWN H5 pages (W12, X40): Playwright
intercepts every request at 375 px. Before the consent an SDK needs, its page requests
nothing from the SDK's third-party host and no cookie of it exists; after the grant the
next page load fetches its script (which sets its cookie and sends its beacon); after the
withdrawal, recorded in yinsi's ledger through the app's ``DELETE /api/consents/{id}``, the
next page load requests nothing from that host and the cookie is expired.

The SDKs are those of the 小赢卡贷 declaration an H5 page loads: 百度分析
(``baidu_analytics``, on every page, under the privacy policy) and 腾讯云 face recognition
(``tencent_cloud_face``, on ``/credit``, under the separate consent ``face_recognition``).
Their script URLs come from the app's settings (``LENDING_SDK_URLS``; defaults on ``.test``
hosts); the test plays the vendors, so nothing leaves the machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from lending_app.settings import SDK_URLS, AppSettings, parse_sdk_urls
from playwright.sync_api import Page, Route, expect

from lending_pages_live import LiveApp, live_lending_app
from test_lending_app_fixtures import ADULT_ID, APP, PASSWORD, PHONE

pytest_plugins = ["web_fixtures"]

ANALYTICS_HOST = urlsplit(SDK_URLS["baidu_analytics"]).hostname
FACE_HOST = urlsplit(SDK_URLS["tencent_cloud_face"]).hostname
ANALYTICS_COOKIES = {"Hm_lvt_lending", "Hm_lpvt_lending"}
FACE_COOKIE = "tcface_sid"
REGISTRATION = {"phone": PHONE, "id_number": ADULT_ID, "password": PASSWORD}
REGISTRATION |= {"accept_policy": True, "consents": ["id_number"]}

ANALYTICS_JS = f"""
document.cookie = 'Hm_lvt_lending=' + Date.now() + '; path=/; max-age=31536000';
document.cookie = 'Hm_lpvt_lending=' + Date.now() + '; path=/';
new Image().src = 'https://{ANALYTICS_HOST}/hm.gif?si=lending&u=' + encodeURIComponent(location.pathname);
"""
"""A stand-in for 百度统计's hm.js: two first-party cookies and a tracking pixel."""

FACE_JS = f"""
document.cookie = '{FACE_COOKIE}=fake-session; path=/; max-age=86400';
navigator.sendBeacon('https://{FACE_HOST}/report', JSON.stringify({{event: 'sdk_init'}}));
window.tencentFaceSdk = {{ready: true}};
"""
"""A stand-in for 腾讯云's face SDK: a first-party session cookie and an init beacon."""


@dataclass
class Vendors:
    """Every request to the fake third-party hosts, answered here (no network)."""

    requests: list[str] = field(default_factory=list)

    def handle(self, route: Route) -> None:
        url = route.request.url
        host = urlsplit(url).hostname
        if host not in (ANALYTICS_HOST, FACE_HOST):
            route.continue_()
            return
        self.requests.append(url)
        path = urlsplit(url).path
        if path.endswith(".js"):
            body = ANALYTICS_JS if host == ANALYTICS_HOST else FACE_JS
            route.fulfill(status=200, content_type="text/javascript", body=body)
        else:  # the pixel and the beacon
            route.fulfill(status=204, body="")

    def to(self, host: str | None) -> list[str]:
        return [u for u in self.requests if urlsplit(u).hostname == host]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with live_lending_app(tmp_path, "xiaoying") as app:
        yield app


@pytest.fixture
def vendors(phone: Page) -> Vendors:
    found = Vendors()
    phone.route("**/*", found.handle)
    return found


def _cookies(page: Page, base: str) -> set[str]:
    return {c["name"] for c in page.context.cookies(base)}


def _settled(page: Page, sdk: str, state: str) -> None:
    """Wait until yinsi-consent.js has decided every tag of ``sdk`` (loaded or blocked)."""
    tags = page.locator(f"script[type='text/plain'][data-yinsi-sdk={sdk}]")
    expect(tags.first).to_have_attribute("data-yinsi-state", state)
    for tag in tags.all():
        expect(tag).to_have_attribute("data-yinsi-state", state)


def _open(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("() => window.yinsi !== undefined")
    page.evaluate("() => window.yinsi.ready")


def _granted(live: LiveApp) -> frozenset[str]:
    return frozenset(live.yinsi.consent.state(APP, live.subject()).granted)


def test_w12_x40_pages_carry_gated_third_party_tags_from_settings(tmp_path: Path) -> None:
    with live_lending_app(tmp_path, "xiaoying") as live:
        for path in ("/", "/login", "/register", "/credit", "/loans", "/shop", "/service"):
            page = httpx.get(live.url + path).text
            tag = page[page.index('data-yinsi-sdk="baidu_analytics"') - 40 :]
            assert 'type="text/plain"' in tag[:80]
            assert f'data-src="{SDK_URLS["baidu_analytics"]}"' in page
            # the only script tags with a third-party src are inert (type="text/plain")
            assert f'<script src="https://{ANALYTICS_HOST}' not in page
        credit = httpx.get(live.url + "/credit").text
        assert f'data-src="{SDK_URLS["tencent_cloud_face"]}"' in credit
        assert 'data-yinsi-cookies="tcface_sid"' in credit
        assert f'<script src="https://{FACE_HOST}' not in credit


def test_w12_x40_sdk_urls_come_from_the_settings() -> None:
    assert AppSettings.from_env({}).sdk_urls == SDK_URLS
    url = "https://hm.baidu.com/hm.js?abc"
    env = {"LENDING_SDK_URLS": f"baidu_analytics={url}, tencent_cloud_face="}
    assert AppSettings.from_env(env).sdk_urls == {"baidu_analytics": url}
    with pytest.raises(ValueError, match="https://"):
        parse_sdk_urls("baidu_analytics=http://hm.baidu.com/hm.js")
    with pytest.raises(ValueError, match="sdk_id="):
        parse_sdk_urls("https://hm.baidu.com/hm.js")


def test_w12_x40_sdk_requests_and_cookies_follow_consent_on_the_apps_pages(
    phone: Page, live: LiveApp, vendors: Vendors
) -> None:
    from web_fixtures import no_horizontal_scroll, shoot

    base = live.url
    # a guest who has accepted nothing: no analytics, no face SDK, and a stale cookie of
    # the analytics SDK left from an earlier visit is expired (X40)
    phone.context.add_cookies([{"name": "Hm_lvt_lending", "value": "stale", "url": base}])
    _open(phone, f"{base}/")
    _settled(phone, "baidu_analytics", "blocked")
    phone.wait_for_timeout(300)
    assert vendors.requests == []
    assert not _cookies(phone, base) & (ANALYTICS_COOKIES | {FACE_COOKIE})

    # registered (the privacy policy accepted, the ID number consented, nothing else):
    # analytics runs, the face SDK does not
    answer = phone.request.post(
        f"{base}/api/register",
        data=REGISTRATION,
    )
    assert answer.status == 201, answer.text()
    _open(phone, f"{base}/credit")
    _settled(phone, "baidu_analytics", "loaded")
    _settled(phone, "tencent_cloud_face", "blocked")
    phone.wait_for_function("() => document.cookie.includes('Hm_lvt_lending=')")
    phone.wait_for_timeout(300)
    assert any(u.endswith("hm.gif?si=lending&u=%2Fcredit") for u in vendors.to(ANALYTICS_HOST))
    assert _cookies(phone, base) >= ANALYTICS_COOKIES
    assert vendors.to(FACE_HOST) == []
    assert FACE_COOKIE not in _cookies(phone, base)
    assert phone.evaluate("() => window.tencentFaceSdk === undefined")
    assert "face_recognition" not in _granted(live)

    # granted on the page's own checkbox (recorded in yinsi's ledger); the next load
    # fetches the vendor's script, which sets its cookie and sends its beacon
    phone.check("input[data-consent=face_recognition]")
    expect(phone.locator("#message")).to_have_text("已同意。")
    assert "face_recognition" in _granted(live)
    vendors.requests.clear()
    _open(phone, f"{base}/credit")
    _settled(phone, "tencent_cloud_face", "loaded")
    phone.wait_for_function("() => window.tencentFaceSdk && window.tencentFaceSdk.ready")
    phone.wait_for_function("() => window.faceSdkLoaded === true")
    phone.wait_for_timeout(300)
    face = vendors.to(FACE_HOST)
    assert SDK_URLS["tencent_cloud_face"] in face
    assert f"https://{FACE_HOST}/report" in face
    assert FACE_COOKIE in _cookies(phone, base)
    assert no_horizontal_scroll(phone)
    shoot(phone, "lending-app-credit-sdk-allowed")

    # withdrawn through the app's API, which records it in yinsi's ledger: the next page
    # load requests nothing from the face SDK's host and its cookie is expired; the
    # analytics SDK, still allowed, keeps loading
    answer = phone.request.delete(f"{base}/api/consents/face_recognition")
    assert answer.status == 204, answer.text()
    assert "face_recognition" not in _granted(live)
    with live.yinsi.database.connect() as conn:
        events = conn.exec_driver_sql(
            "SELECT kind, consent_id FROM consent_events WHERE app_id = ? AND subject_id = ?"
            " ORDER BY seq",
            (APP, live.subject()),
        ).all()
    assert tuple(events[-1]) == ("consent_withdrawn", "face_recognition"), events
    vendors.requests.clear()
    _open(phone, f"{base}/credit")
    _settled(phone, "tencent_cloud_face", "blocked")
    _settled(phone, "baidu_analytics", "loaded")
    phone.wait_for_timeout(300)
    assert vendors.to(FACE_HOST) == []
    assert FACE_COOKIE not in _cookies(phone, base)
    assert phone.evaluate("() => window.tencentFaceSdk === undefined")
    assert phone.evaluate("() => window.faceSdkLoaded === undefined")
    assert SDK_URLS["baidu_analytics"] in vendors.to(ANALYTICS_HOST)
    expect(phone.locator("input[data-consent=face_recognition]")).not_to_be_checked()
    shoot(phone, "lending-app-credit-sdk-withdrawn")
