"""Web hardening (issue 14): the same security headers on every response, ``Secure``
cookies unless in demo mode, no inline script or style the CSP would block."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from conftest import EXAMPLES
from yinsi.server import create_app
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.settings.web import WebSettings
from yinsi.web.headers import CSP
from yinsi.web.privacy import entry_link

pytest_plugins = ["storage_fixtures"]

APP = "xiaoying_kadai"
SECRET = bytes(range(32))
PAGES = [
    "/privacy",
    f"/privacy/apps/{APP}/docs/policy",
    f"/privacy/apps/{APP}/docs/collected-list",
    f"/privacy/apps/{APP}/versions",
    "/console/login",
    "/privacy/requests",  # no session: the "open it from the app" page
    "/privacy/nowhere",  # 404
]


def _site(engine: Engine, *, secure: bool, **web: int) -> Iterator[TestClient]:
    settings = Settings(web=WebSettings(**web))
    services = Services(engine, actor="api", settings=settings)
    services.consent.publish(EXAMPLES / "xiaoying-kadai.yaml")
    app = create_app(services, web_secret=SECRET, secure_cookies=secure)
    try:
        with TestClient(app, base_url="https://testserver") as client:
            yield client
    finally:
        services.close()


@pytest.fixture
def site(engine: Engine) -> Iterator[TestClient]:
    yield from _site(engine, secure=True)


@pytest.fixture
def demo_site(engine: Engine) -> Iterator[TestClient]:
    yield from _site(engine, secure=False)


def _common(headers: httpx.Headers) -> None:
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("referrer-policy") == "no-referrer"


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_csp_frame_nosniff_referrer_and_no_store(
    site: TestClient, path: str
) -> None:
    answer = site.get(path, follow_redirects=False)
    _common(answer.headers)
    assert answer.headers["content-security-policy"] == CSP
    assert "frame-ancestors 'none'" in CSP and "'unsafe-inline'" not in CSP
    assert answer.headers["cache-control"] == "no-store"


def test_static_files_the_api_and_redirects_get_the_headers_too(site: TestClient) -> None:
    static = site.get("/static/yinsi.css")
    _common(static.headers)
    assert static.headers["content-security-policy"] == CSP
    root = site.get("/", follow_redirects=False)
    assert root.status_code == 307
    _common(root.headers)
    api = site.get("/v1/audit/verify")
    assert api.status_code == 401
    _common(api.headers)


@pytest.mark.parametrize("path", PAGES[:5])
def test_pages_have_no_inline_script_or_style_the_csp_would_block(
    site: TestClient, path: str
) -> None:
    html = site.get(path).text
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline <script>"
    assert "<style" not in html and " style=" not in html, "inline style"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def _set_cookies(answer: httpx.Response) -> list[str]:
    return answer.headers.get_list("set-cookie")


def test_every_cookie_is_secure_outside_demo_mode(site: TestClient) -> None:
    login = site.get("/console/login")
    opened = site.get(
        entry_link(SECRET, "https://testserver", APP, "u_headers"), follow_redirects=False
    )
    cookies = _set_cookies(login) + _set_cookies(opened)
    assert len(cookies) >= 2
    for cookie in cookies:
        assert "; secure" in cookie.lower(), cookie
        assert "httponly" in cookie.lower() and "samesite" in cookie.lower(), cookie


def test_demo_mode_cookies_work_over_plain_http(demo_site: TestClient) -> None:
    login = demo_site.get("http://testserver/console/login")
    opened = demo_site.get(
        entry_link(SECRET, "http://testserver", APP, "u_demo"), follow_redirects=False
    )
    cookies = _set_cookies(login) + _set_cookies(opened)
    assert cookies and all("; secure" not in c.lower() for c in cookies)


def test_privacy_session_lifetime_comes_from_the_web_settings(engine: Engine) -> None:
    for client in _site(engine, secure=True, privacy_idle_minutes=5):
        opened = client.get(
            entry_link(SECRET, "https://testserver", APP, "u_idle"), follow_redirects=False
        )
        (cookie,) = [c for c in _set_cookies(opened) if c.startswith("yinsi_privacy=")]
        assert "max-age=300" in cookie.lower()
