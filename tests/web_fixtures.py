"""A live yinsi service on a free port and a headless Chromium to drive its pages.

``live_site``: yinsi's database (SQLite in ``tmp_path``) with 小赢卡贷 published, the sample
lending back-end (SQLite files + Redis under a fresh prefix) behind a
:class:`RightsService`, API keys per scope, SMS codes captured by :class:`CapturedSms`,
and uvicorn serving :func:`yinsi.server.create_app` in a thread.

``browser``: Debian's Chromium (``/usr/bin/chromium``, installed by the Makefile) driven by
Playwright; it never downloads a browser. ``phone`` and ``desktop`` are pages at 375 px and
1280 px. :func:`shoot` saves a screenshot under ``build/screenshots/``.

Test modules load this file with ``pytest_plugins = ["web_fixtures"]`` and import from it
inside functions or under ``TYPE_CHECKING`` only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from delivery_fixtures import CapturedSms
from served import served
from yinsi.security.api_keys import Scope
from yinsi.server import create_app
from yinsi.services.rights import RightsService
from yinsi.services.root import Services
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade

if TYPE_CHECKING:
    from sample_fixtures import LendingFactory, LendingStores

pytest_plugins = ["sample_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
DATA_MAP = ROOT / "examples" / "datamaps" / "xiaoying-kadai.yaml"
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("YINSI_CHROMIUM", "/usr/bin/chromium")
SMS_CODE = re.compile(r"验证码(\d{6})")
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
APP_ID = "xiaoying-kadai"


@dataclass
class LiveSite:
    """The running service and handles on what is behind it."""

    url: str
    db_url: str
    rights: RightsService
    sms: CapturedSms
    stores: LendingStores
    keys: dict[Scope, str] = field(default_factory=dict)

    @property
    def engine(self) -> Any:
        return self.rights.engine

    def api(self, method: str, path: str, scope: Scope, body: Any = None) -> httpx.Response:
        """Call the REST API with the key of ``scope``."""
        headers = {"Authorization": f"Bearer {self.keys[scope]}"}
        return httpx.request(method, self.url + path, headers=headers, json=body, timeout=30)

    def last_code(self) -> str:
        """The six digits of the last SMS sent."""
        found = SMS_CODE.search(self.sms.sent[-1][1])
        assert found, self.sms.sent[-1]
        return found.group(1)


def _prefixed_data_map(folder: Path, prefix: str) -> Path:
    text = DATA_MAP.read_text(encoding="utf-8")
    path = folder / "datamap.yaml"
    path.write_text(text.replace('key: "', f'key: "{prefix}'), encoding="utf-8")
    return path


@pytest.fixture
def live_site(lending_stores_factory: LendingFactory, tmp_path: Path) -> Iterator[LiveSite]:
    from yinsi.services.consent import Engine

    with lending_stores_factory("sqlite", tmp_path / "lending", subjects=10) as stores:
        url = f"sqlite:///{tmp_path / 'yinsi.db'}"
        upgrade(url)
        with Engine(url, actor="test") as engine:
            engine.publish(DECLARATION)
        db = create_engine(url)
        keys = {}
        with SqlUnitOfWork(db) as uow:
            for scope in Scope:
                keys[scope] = uow.api_keys.create(f"test-{scope.value}", [scope])[1]
            uow.commit()
        sms = CapturedSms()
        environ = {**stores.environ, "YINSI_HOME": str(tmp_path / "home")}
        data_map = _prefixed_data_map(tmp_path, stores.redis_prefix)
        with Services.open(
            url, data_map=data_map, environ=environ, sms=sms, actor="api"
        ) as services:
            rights = services.rights
            with served(create_app(services), log_level="warning") as base:
                yield LiveSite(base, url, rights, sms, stores, keys)
        db.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `make setup` (it installs it)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"], headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A page 375 px wide (a phone), Chinese locale, in a fresh context (no cookies)."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    """A page 1280 px wide, Chinese locale, in a fresh context (no cookies)."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    try:
        yield context.new_page()
    finally:
        context.close()


def shoot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as ``build/screenshots/<name>-<width>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    path = SCREENSHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_horizontal_scroll(page: Page) -> bool:
    """The page fits its viewport's width (no sideways scrolling on a phone)."""
    fits: bool = page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
    )
    return fits


# ---------------------------------------------------------------- console (issue 7, part 2)

STAFF_PASSWORD = "correct horse battery staple"


def add_staff(site: LiveSite, username: str, role: str, name: str = "") -> str:
    """A console account on the live site's database (through the repository); its id."""
    from yinsi.security.passwords import hash_password

    db = create_engine(site.db_url)
    try:
        with SqlUnitOfWork(db) as uow:
            user = uow.staff.add(
                username, role, hash_password(STAFF_PASSWORD), display_name=name or username
            )
            uow.commit()
    finally:
        db.dispose()
    return user.id


def console_login(page: Page, site: LiveSite, username: str, target: str = "") -> None:
    """Sign ``username`` in to the console on ``page`` through the login form."""
    page.goto(site.url + "/console/login" + (f"?next={target}" if target else ""))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/console/(?!login).*"))
