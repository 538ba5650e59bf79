"""Issue 15's acceptance journey, in Debian's Chromium at 375 px through Playwright.

yinsi is served by uvicorn in one thread (``yinsi.server.create_app`` on Services that know
the app's data map, its database and its field keys) and the reference lending app in
another, talking to yinsi over HTTP. A borrower registers, gives the credit application's
separate consents (each shown apart), applies, gives the ``loan_info`` consent and
borrows; opens the privacy center from the app and withdraws ``loan_info`` there; back in
the app borrowing is refused with the reason shown while the other functions still work
(X29, W15). An account cancellation filed in the privacy center is refused while the loan
is outstanding, with the data map's precondition text (W16); after repayment it is filed
again, verified by the SMS code yinsi sends to the phone on file, approved and run by
staff, and the app's tables are erased as the data map says: the account's PI fields
emptied, the application, ID check, card and contacts gone, the settled loan and its
repayment kept (held 5 years after settlement) (X30).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from lending_app import create_app
from lending_app.settings import EXAMPLES, AppSettings
from playwright.sync_api import Page, expect

from delivery_fixtures import CapturedSms
from served import free_port, served
from test_lending_app_fixtures import ADULT_ID, APP, PASSWORD, PHONE
from yinsi import Engine
from yinsi.rights.requests import Status
from yinsi.security.api_keys import Scope
from yinsi.server import create_app as create_yinsi
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.settings.limits import LimitSettings

pytest_plugins = ["web_fixtures"]

DECLARATION = EXAMPLES / "declarations" / "xiaoying-kadai.yaml"
DATA_MAP = EXAMPLES / "lending_app" / "datamap.yaml"
PRECONDITION = "您尚有未结清的借款，请在结清全部借款后再申请注销账号。"
CREDIT_FORM = {
    "name": "张伟",
    "id_number": ADULT_ID,
    "monthly_income": "12000",
    "residence_city": "北京市",
    "address": "北京市东城区东华门街道1号",
    "card_number": "6222020200112233445",
    "bank_name": "工商银行",
    "reserved_mobile": PHONE,
}


@dataclass
class Journey:
    app: str
    """The lending app's base URL."""
    yinsi: str
    """yinsi's base URL (API, privacy center)."""
    services: Services
    sms: CapturedSms
    db: sa.Engine
    """The app's own database."""

    def rows(self, table: str) -> list[dict[str, Any]]:
        with self.db.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table}"))]


@pytest.fixture
def journey(tmp_path: Path) -> Iterator[Journey]:
    yinsi_db = f"sqlite:///{tmp_path / 'yinsi.db'}"
    app_db = f"sqlite:///{tmp_path / 'lending.db'}"
    Engine.embedded(tmp_path / "yinsi.db").close()
    with Services.open(yinsi_db, actor="setup") as setup:
        setup.consent.publish(DECLARATION)
        _, key = setup.api_keys.create("lending-app", [Scope.BACKEND])
    yinsi_port, app_port = free_port(), free_port()
    settings = AppSettings(
        database_url=app_db,
        keys_file=tmp_path / "keys.json",
        declaration=DECLARATION,
        yinsi_url=f"http://127.0.0.1:{yinsi_port}",
        yinsi_api_key=key,
    )
    lending = create_app(settings)  # creates the app's tables and its field keys
    sms = CapturedSms()
    env = {
        "LENDING_DATABASE_URL": app_db,
        "YINSI_KEY_FILE": str(settings.keys_file),  # the app's keys: yinsi reads its columns
        "YINSI_HOME": str(tmp_path / "yinsi-home"),
    }
    with (
        Services.open(
            yinsi_db,
            data_map=DATA_MAP,
            environ=env,
            sms=sms,
            actor="api",
            hash_key=b"j" * 32,
            settings=Settings(limits=LimitSettings(code_resend_seconds=0)),
        ) as services,
        served(create_yinsi(services), port=yinsi_port, log_level="warning") as yinsi,
        served(lending, port=app_port, log_level="warning") as app,
    ):
        db = sa.create_engine(app_db)
        try:
            yield Journey(app, yinsi, services, sms, db)
        finally:
            db.dispose()


def _fill(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.fill(f"input[name={name}]", value)


def _open_privacy_center(phone: Page, journey: Journey) -> None:
    """The app's 隐私中心 button: a fresh entry link from yinsi, opened in the page."""
    phone.goto(f"{journey.app}/loans")
    phone.click("#privacy-center")
    phone.wait_for_url(re.compile(re.escape(journey.yinsi) + r"/privacy.*"))
    expect(phone.get_by_role("heading", name="隐私中心")).to_be_visible()


def _file_cancellation(phone: Page, journey: Journey) -> str:
    """From the privacy center's home: file an account cancellation and verify it by SMS."""
    phone.get_by_role("link", name=re.compile("注销账号")).first.click()
    expect(phone.locator("#block-h + ul")).to_contain_text(PRECONDITION)  # said before filing
    phone.check("#confirm")
    sent = len(journey.sms.sent)
    phone.get_by_role("button", name="申请注销账号").click()
    expect(phone.get_by_role("status")).to_contain_text("验证码已发送")
    assert len(journey.sms.sent) == sent + 1 and journey.sms.sent[-1][0] == PHONE
    phone.get_by_label("短信验证码").fill(journey.sms.code())
    phone.get_by_role("button", name="提交验证").click()
    expect(phone.get_by_role("status")).to_contain_text("身份验证成功")
    found = re.search(r"/privacy/requests/(req_[0-9a-f]+)", phone.url)
    assert found, phone.url
    return found.group(1)


def test_x10_x29_x30_w15_w16_borrower_journey_at_375px(phone: Page, journey: Journey) -> None:
    from web_fixtures import no_horizontal_scroll, shoot

    app, rights = journey.app, journey.services.rights
    # Register, give the credit consents one by one (each shown apart), apply.
    phone.goto(f"{app}/register")
    _fill(phone, {"phone": PHONE, "id_number": ADULT_ID, "password": PASSWORD})
    phone.check("input[name=accept_policy]")
    phone.check("input[name=consents][value=id_number]")
    phone.click("form button")
    phone.wait_for_url(f"{app}/credit")
    expect(phone.locator("fieldset.consent")).to_have_count(5)
    for box in phone.locator("input[data-consent]").all():
        box.check()
        expect(phone.locator("#message")).to_have_text("已同意。")
    _fill(phone, CREDIT_FORM)
    phone.click("form button")
    expect(phone.locator("#message")).to_have_text("提交成功。")

    # Borrow: the loan_info consent is its own box on the loans page.
    phone.goto(f"{app}/loans")
    consent = phone.locator("fieldset.consent")
    expect(consent).to_have_count(1)
    expect(consent.locator("legend")).to_contain_text("单独同意：借款相关信息*")
    phone.check("input[data-consent=loan_info]")
    expect(phone.locator("#message")).to_have_text("已同意。")
    phone.fill("input[name=amount]", "3000")
    phone.click("form button")
    loan = phone.locator("#loans li[data-loan]")
    expect(loan.locator(".loan-status")).to_have_text("待还款")
    assert no_horizontal_scroll(phone)
    shoot(phone, "lending-app-loans")
    [row] = journey.rows("loans")
    subject = str(row["user_id"])
    recipients = {p.recipient for p in journey.services.sharing.provisions(APP, subject)}
    assert recipients == {"funders"}

    # The privacy center, from the app: withdraw loan_info there.
    _open_privacy_center(phone, journey)
    phone.get_by_role("link", name=re.compile("同意管理")).click()
    card = phone.locator("#c-loan_info")
    expect(card.locator(".pc-state")).to_contain_text("已开启")
    card.get_by_role("switch").click()  # htmx saves on change
    expect(card.locator(".pc-state")).to_contain_text("已撤回")
    assert "loan_info" in journey.services.consent.state(APP, subject).withdrawn

    # Back in the app: the loan functions stop with the reason shown; the rest still works.
    phone.goto(f"{app}/loans")
    expect(phone.locator("input[data-consent=loan_info]")).not_to_be_checked()
    expect(phone.locator("#loans li.refused")).to_contain_text("您已撤回相关授权")
    phone.click("form button")
    expect(phone.locator("#message")).to_contain_text("您已撤回相关授权")
    assert len(journey.rows("loans")) == 1
    increase = phone.context.request.post(
        f"{app}/api/credit-line/increase", data={"employer": "某某科技有限公司"}
    )
    assert increase.status == 201, increase.text()
    phone.goto(f"{app}/")
    expect(phone.locator(".cards li")).to_have_count(2)
    shoot(phone, "lending-app-home-after-withdrawal")

    # Cancellation while the loan is outstanding: refused with the precondition's text.
    _open_privacy_center(phone, journey)
    first = _file_cancellation(phone, journey)
    refused = rights.approve(first, actor="ops.zhao")
    assert refused.status is Status.REFUSED and refused.answer == PRECONDITION
    phone.reload()
    expect(phone.locator("#a-h + p")).to_have_text(PRECONDITION)
    assert journey.rows("users")[0]["phone_enc"] is not None

    # Consent again in the app, repay.
    phone.goto(f"{app}/loans")
    phone.check("input[data-consent=loan_info]")
    expect(phone.locator("#message")).to_have_text("已同意。")
    phone.reload()
    phone.locator("#loans li[data-loan] button.repay").click()
    expect(phone.locator("#message")).to_contain_text("还款成功")
    expect(loan.locator(".loan-status")).to_have_text("已结清")

    # Cancel again: verified, approved and run by staff; the app's tables erased.
    _open_privacy_center(phone, journey)
    second = _file_cancellation(phone, journey)
    assert rights.approve(second, actor="ops.zhao").status is Status.APPROVED
    done = rights.run(second, actor="ops.zhao")
    # Partly: the settled loan is kept, restricted to storage, while held (X28).
    assert done.status is Status.PARTIALLY_COMPLETED, done
    phone.reload()
    expect(phone.locator("#st-h .badge")).to_contain_text("部分信息依法保留或暂缓删除")
    shoot(phone, "lending-app-cancelled")
    _assert_erased(journey, subject)
    login = phone.context.request.post(
        f"{app}/api/login", data={"phone": PHONE, "password": PASSWORD}
    )
    assert login.status == 400  # the phone's blind index is gone: no login any more


def _assert_erased(journey: Journey, subject: str) -> None:
    [user] = journey.rows("users")
    assert user["id"] == subject
    erased = ("phone_enc", "phone_bidx", "id_number_enc", "id_number_bidx", "name_enc")
    assert {c: user[c] for c in erased} == dict.fromkeys(erased)
    for table in ("id_verifications", "credit_applications", "bank_cards", "contacts"):
        assert journey.rows(table) == [], table
    assert journey.rows("credit_increases") == []
    [loan] = journey.rows("loans")
    assert loan["user_id"] == subject and loan["status"] == "settled"
    [repayment] = journey.rows("repayments")
    assert repayment["loan_id"] == loan["id"]
