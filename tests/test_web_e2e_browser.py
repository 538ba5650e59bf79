"""Issue 7's end-to-end flow across both sites, in Debian's Chromium through Playwright.

A user on a phone files a deletion request in the privacy center and verifies it with the
SMS code; an operator on a desktop approves and runs it in the console; the user reloads
the request page and sees it completed — and the user's erasable data is gone from the
sample lending back-end.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from yinsi.rights.requests import Status
from yinsi.security.api_keys import Scope
from yinsi_demo import Profile

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from web_fixtures import LiveSite

pytest_plugins = ["web_fixtures"]

APP = "xiaoying_kadai"
EVIDENCE = {"evidence": {"channel": "app", "account": "acct"}}


def test_w14_deletion_filed_by_the_user_approved_in_the_console_is_seen_completed(
    live_site: LiveSite, phone: Page, desktop: Page
) -> None:
    from web_fixtures import add_staff, console_login, shoot

    uid = live_site.stores.seeded.of(Profile.NO_LOAN)[0].user_id
    accepted = live_site.api(
        "POST", f"/v1/apps/{APP}/subjects/{uid}/policy:accept", Scope.BACKEND, EVIDENCE
    )
    assert accepted.status_code == 200, accepted.text
    link = live_site.api("POST", f"/v1/apps/{APP}/subjects/{uid}/privacy-link", Scope.BACKEND)
    assert link.status_code == 200, link.text

    # The user, on a phone: file the request and verify it with the SMS code.
    phone.goto(link.json()["url"])
    phone.get_by_role("link", name=re.compile("行使个人信息权利")).click()
    phone.get_by_role("link", name=re.compile("^删除")).click()
    phone.get_by_role("button", name="提交并获取验证码").click()
    expect(phone.get_by_role("status")).to_contain_text("验证码已发送")
    phone.get_by_label("短信验证码").fill(live_site.last_code())
    phone.get_by_role("button", name="提交验证").click()
    expect(phone.get_by_role("status")).to_contain_text("身份验证成功")
    (request,) = live_site.rights.requests(subject_id=uid)
    assert request.kind.value == "deletion" and request.status is Status.VERIFIED
    assert request.channel == "h5"

    # The operator, on a desktop: find it in the queue, approve it, run it.
    add_staff(live_site, "zhao.yunying", "operator", "赵运营")
    console_login(desktop, live_site, "zhao.yunying")
    desktop.goto(live_site.url + "/console/queue")
    desktop.locator(f'tr[data-request="{request.id}"]').get_by_role("link", name=request.id).click()
    desktop.get_by_role("button", name="批准请求").click()
    expect(desktop.get_by_role("status").filter(has_text="已批准该请求")).to_be_visible()
    desktop.get_by_role("button", name="执行请求").click()
    expect(desktop.locator(".status-line .badge").first).to_have_text("已完成", timeout=60_000)

    # The user reloads the request page and sees it completed.
    phone.reload()
    expect(phone.locator(".badge").filter(has_text="已完成").first).to_be_visible()
    shoot(phone, "privacy-request-completed")
    assert live_site.rights.get(request.id).status is Status.COMPLETED
    left = live_site.stores.snapshot()
    erasable = live_site.stores.seeded.erasable_cells(uid)
    assert erasable and not [c for c, v in erasable.items() if left.get(c) == v]
