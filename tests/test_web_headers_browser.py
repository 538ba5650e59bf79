"""The page CSP (issue 14) breaks nothing: a real browser opens the privacy center (with
htmx consent toggles) and the console under the CSP and reports no violation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yinsi.security.api_keys import Scope

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page

    from web_fixtures import LiveSite

pytest_plugins = ["web_fixtures"]

APP = "xiaoying_kadai"


def test_no_page_violates_the_content_security_policy(live_site: LiveSite, desktop: Page) -> None:
    from web_fixtures import add_staff, console_login

    problems: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            problems.append(text)

    desktop.on("console", watch)
    made = live_site.api("POST", f"/v1/apps/{APP}/subjects/u_csp/privacy-link", Scope.BACKEND)
    assert made.status_code == 200, made.text
    desktop.goto(made.json()["url"])
    for path in ("/privacy/consents", "/privacy/requests/new", f"/privacy/apps/{APP}/versions"):
        desktop.goto(live_site.url + path)
        desktop.wait_for_load_state("networkidle")
    add_staff(live_site, "csp_admin", "admin")
    console_login(desktop, live_site, "csp_admin")
    for path in ("/console", "/console/queue", "/console/audit?verify=1", "/console/policies"):
        desktop.goto(live_site.url + path)
        desktop.wait_for_load_state("networkidle")
    loaded = desktop.evaluate("typeof window.htmx")
    assert loaded == "object", "htmx did not load under the CSP"
    assert problems == []
