"""The two sites are served, with their static files, in a real browser at both widths."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from web_fixtures import LiveSite

pytest_plugins = ["web_fixtures"]


def test_pages_load_with_css_and_htmx(live_site: LiveSite, phone: Page, desktop: Page) -> None:
    from web_fixtures import no_horizontal_scroll

    for page in (phone, desktop):
        page.goto(live_site.url + "/privacy")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.evaluate("() => typeof window.htmx") == "object"
        assert no_horizontal_scroll(page)
