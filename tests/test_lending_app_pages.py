"""The reference lending app's H5 pages: a borrower at 375 px registers, gives the credit
application's separate consents one by one, applies, and after withdrawing the face
consent the app refuses the application again while the rest still works (X10, W12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lending_app import create_app
from lending_app.settings import EXAMPLES, AppSettings
from playwright.sync_api import Page, expect

from served import served
from test_lending_app_fixtures import ADULT_ID, APP, PASSWORD, PHONE, Lending
from yinsi.services.root import Services

pytest_plugins = ["web_fixtures", "test_lending_app_fixtures"]


def test_x10_pages_load_the_consent_library_first_and_show_consents_apart(
    lending: Lending,
) -> None:
    page = lending.client.get("/credit").text
    head = page[: page.index("</head>")]
    assert head.index("/static/yinsi-consent.js") < head.index("/assets/app.js")
    assert page.count('<fieldset class="consent">') == 5
    assert 'data-yinsi-sdk="tencent_cloud_face"' in page and 'type="text/plain"' in page
    script = lending.client.get("/static/yinsi-consent.js")
    assert script.status_code == 200 and "yinsi-consent.js" in script.text
    manifest = {e["id"]: e for e in lending.client.get("/api/yinsi/sdk-manifest").json()}
    assert manifest["tencent_cloud_face"]["may_initialise"] is False


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[tuple[str, Services]]:
    settings = AppSettings(
        database_url=f"sqlite:///{tmp_path / 'lending.db'}",
        keys_file=tmp_path / "keys.json",
        declaration=EXAMPLES / "declarations" / "xiaoying-kadai.yaml",
        yinsi_database_url=f"sqlite:///{tmp_path / 'yinsi.db'}",
    )
    with served(create_app(settings)) as url:
        services = Services.open(settings.yinsi_database_url)
        try:
            yield url, services
        finally:
            services.close()


def _fill(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.fill(f"input[name={name}]", value)


def test_x10_borrower_at_375px_registers_consents_applies_and_is_stopped_after_withdrawal(
    phone: Page, live_app: tuple[str, Services]
) -> None:
    from web_fixtures import no_horizontal_scroll, shoot

    base, services = live_app
    phone.goto(f"{base}/register")
    _fill(phone, {"phone": PHONE, "id_number": ADULT_ID, "password": PASSWORD})
    phone.check("input[name=accept_policy]")
    phone.check("input[name=consents][value=id_number]")
    phone.click("button")
    phone.wait_for_url(f"{base}/credit")
    assert no_horizontal_scroll(phone)
    assert phone.evaluate("() => window.faceSdkLoaded === undefined")
    for box in phone.locator("input[data-consent]").all():
        box.check()
        expect(phone.locator("#message")).to_have_text("已同意。")
    form = {"name": "张伟", "id_number": ADULT_ID, "monthly_income": "12000"}
    form |= {"residence_city": "北京市", "address": "北京市东城区东华门街道1号"}
    form |= {"card_number": "6222020200112233445", "bank_name": "工商银行"}
    _fill(phone, form | {"reserved_mobile": PHONE})
    phone.click("form button")
    expect(phone.locator("#message")).to_have_text("提交成功。")
    shoot(phone, "lending-app-credit")
    phone.reload()
    phone.wait_for_function("() => window.faceSdkLoaded === true")
    subject = _subject(services)
    [provision] = services.sharing.provisions(APP, subject)
    assert provision.recipient == "funders" and "face" in provision.elements
    assert "face_recognition" in services.consent.state(APP, subject).granted
    phone.uncheck("input[data-consent=face_recognition]")
    expect(phone.locator("#message")).to_have_text("已撤回。")
    _fill(phone, form | {"reserved_mobile": PHONE})
    phone.click("form button")
    expect(phone.locator("#message")).to_contain_text("撤回")
    assert "face_recognition" not in services.consent.state(APP, subject).granted
    assert len(services.sharing.provisions(APP, subject)) == 1
    phone.reload()
    phone.wait_for_timeout(300)
    assert phone.evaluate("() => window.faceSdkLoaded === undefined")
    phone.goto(f"{base}/")
    expect(phone.locator(".cards li")).to_have_count(2)


def _subject(services: Services) -> str:
    with services.database.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT subject_id FROM consent_events WHERE app_id = ? LIMIT 1", (APP,)
        ).scalar_one()
    return str(found)
