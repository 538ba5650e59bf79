"""Issue 14 Build 7: ``/docs`` (Swagger UI) and ``/redoc`` render with the network
unplugged — every request to a host other than the service is aborted in the browser —
from assets shipped as package data (nothing fetched from a CDN)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from served import served as uvicorn_thread
from yinsi.server import create_app
from yinsi.services.root import Services
from yinsi.storage import create_engine, upgrade

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route

pytest_plugins = ["web_fixtures"]

LOCAL = {"127.0.0.1", "localhost"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """The service on a fresh SQLite database under uvicorn: its base URL."""
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    database = create_engine(url)
    app = create_app(Services(database, actor="api"))
    try:
        with uvicorn_thread(app, log_level="warning") as base:
            yield base
    finally:
        database.dispose()


def _offline_page(browser: Browser, aborted: list[str]):  # type: ignore[no-untyped-def]
    context = browser.new_context()

    def unplugged(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL:
            route.continue_()
        else:
            aborted.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", unplugged)
    return context


def test_swagger_ui_renders_every_operation_offline(served: str, browser: Browser) -> None:
    aborted: list[str] = []
    context = _offline_page(browser, aborted)
    try:
        page = context.new_page()
        page.goto(served + "/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        operations = page.locator(".opblock").count()
        assert operations >= 30
        assert page.get_by_text("/v1/apps/{app_id}/subjects/{subject_id}/decisions").count() >= 1
        assert page.locator(".swagger-ui .info .title").inner_text().startswith("yinsi")
    finally:
        context.close()
    assert aborted == []  # it asked for nothing outside the service


def test_redoc_renders_offline(served: str, browser: Browser) -> None:
    aborted: list[str] = []
    context = _offline_page(browser, aborted)
    try:
        page = context.new_page()
        page.goto(served + "/redoc")
        page.wait_for_selector("[data-section-id^='tag/']", timeout=20_000)
        assert page.get_by_text("/v1/requests/{request_id}:verify").count() >= 1
    finally:
        context.close()
    assert aborted == []


def test_doc_pages_name_no_outside_url_and_assets_are_package_data(served: str) -> None:
    import httpx

    for path in ("/docs", "/redoc"):
        html = httpx.get(served + path).text
        outside = [u for u in re.findall(r"https?://[^\"' )]+", html) if "127.0.0.1" not in u]
        assert outside == [], outside
        assert "connect-src 'self'" in httpx.get(served + path).headers["content-security-policy"]
    for name, kind in (
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("redoc.standalone.js", "text/javascript"),
    ):
        answer = httpx.get(f"{served}/docs/assets/{name}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind)
    assert httpx.get(f"{served}/docs/assets/..%2Fdocs.py").status_code == 404
    static = files("yinsi.api") / "static"
    for licence in ("swagger-ui/LICENSE", "redoc/LICENSE", "README.md"):
        assert (static / licence).is_file()


def test_fastapi_cdn_pages_are_not_served(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    database = create_engine(url)
    with TestClient(create_app(Services(database))) as client:
        html = client.get("/docs").text
    database.dispose()
    assert "cdn.jsdelivr.net" not in html and "/docs/assets/swagger-ui-bundle.js" in html
