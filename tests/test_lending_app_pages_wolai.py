"""The 我来数科 H5 pages of the reference lending app (W04-W06), ``LENDING_BRAND=wolai``:
the brand's own pages, nav, titles and refusal texts; the 小赢卡贷 pages answer 404 and
the 我来数科 pages 404 under 小赢卡贷. A borrower at 375 px signs up with an SMS code, is
refused real-name verification until its consents are ticked one by one, completes it,
then applies for credit and leaves the emergency contacts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from lending_app import pages_wolai
from lending_app.app import refusals
from lending_app.settings import BRANDS, AppSettings
from playwright.sync_api import Page, expect

from lending_pages_live import LiveApp, live_lending_app
from test_lending_app_fixtures import ADULT_ID

pytest_plugins = ["web_fixtures"]

MOBILE = "13700137000"


def _flat(text: str) -> str:
    """The text without the line breaks and spaces YAML folding leaves in Chinese prose."""
    return re.sub(r"\s+", "", text)


def test_w04_the_wolai_pages_say_what_the_declaration_says() -> None:
    declared: dict[str, Any] = yaml.safe_load(
        BRANDS["wolai"].declaration.read_text(encoding="utf-8")
    )
    consents = {c["id"]: c for c in declared["consents"]}
    for shown in [*pages_wolai.REAL_NAME_CONSENTS, pages_wolai.PARTNERS_SHARING]:
        consent = consents[shown["id"]]
        assert shown["label"] == consent["label"]
        assert _flat(shown["text"]) == _flat(consent["description"])
        assert _flat(shown["on_refusal"]) == _flat(consent["on_refusal"])
    scenarios = {s["id"]: s for s in declared["scenarios"]}
    real_name = scenarios["real_name_verification"]
    assert {c["id"] for c in pages_wolai.REAL_NAME_CONSENTS} == set(real_name["consents"]) - {
        "policy"
    }
    assert _flat(pages_wolai.REAL_NAME) == _flat(real_name["description"])
    assert _flat(pages_wolai.CREDIT) == _flat(scenarios["credit_assessment"]["description"])
    assert _flat(pages_wolai.CONTACTS) == _flat(scenarios["emergency_contacts"]["description"])
    assert _flat(pages_wolai.POST_LOAN) == _flat(scenarios["post_loan_contact"]["description"])
    assert BRANDS["wolai"].policy_title == declared["policy"]["title"]


def test_w04_refusals_and_titles_use_the_brands_name_and_policy(tmp_path: Path) -> None:
    wolai = AppSettings(
        "sqlite://", tmp_path / "k.json", BRANDS["wolai"].declaration, brand="wolai"
    )
    assert refusals(wolai)["policy_not_accepted"] == "请先阅读并同意《隐私政策》。"
    assert "小赢" not in "".join(refusals(wolai).values())
    xiaoying = AppSettings("sqlite://", tmp_path / "k.json", BRANDS["xiaoying"].declaration)
    assert "《小赢卡贷隐私保护政策》" in refusals(xiaoying)["policy_not_accepted"]


@pytest.fixture
def wolai_app(tmp_path: Path) -> Iterator[LiveApp]:
    with live_lending_app(tmp_path, "wolai") as live:
        yield live


def test_w04_only_the_brands_own_pages_answer(wolai_app: LiveApp) -> None:
    import httpx

    with httpx.Client(base_url=wolai_app.url) as client:
        for path in ("/register", "/login", "/credit", "/loans", "/shop", "/service"):
            assert client.get(path).status_code == 404, path
        home = client.get("/", follow_redirects=False)
        assert home.status_code == 303 and home.headers["location"] == "/wolai/"
        for path in ("/wolai/", "/wolai/login", "/wolai/real-name", "/wolai/credit"):
            page = client.get(path)
            assert page.status_code == 200, path
            head = page.text[: page.text.index("</head>")]
            assert head.index("/static/yinsi-consent.js") < head.index("/assets/app.js")
            assert "· 我来数科</title>" in head and "小赢" not in page.text
            assert 'href="/credit"' not in page.text and 'href="/wolai/credit"' in page.text
        assert "《隐私政策》" in client.get("/wolai/login").text
        real_name = client.get("/wolai/real-name").text
        assert real_name.count('<fieldset class="consent">') == 4
        assert client.get("/static/yinsi-consent.js").status_code == 200


def _fill(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.fill(f"[name={name}]", value)


def test_w04_borrower_at_375px_signs_up_by_sms_verifies_real_name_consent_by_consent_and_applies(
    phone: Page, wolai_app: LiveApp
) -> None:
    from web_fixtures import no_horizontal_scroll, shoot

    base = wolai_app.url
    message = phone.locator("#message")
    phone.goto(f"{base}/")
    phone.wait_for_url(f"{base}/wolai/")
    phone.click("text=登录/注册 >> nth=0")
    phone.wait_for_url(f"{base}/wolai/login")
    assert no_horizontal_scroll(phone)
    phone.fill("[name=phone]", MOBILE)
    phone.click("#send-code")
    expect(message).to_have_text("请阅读并同意《隐私政策》后登录/注册。")
    assert wolai_app.outbox.sent == []
    phone.check("input[name=accept_policy]")
    phone.click("#send-code")
    expect(message).to_have_text("验证码已发送。")
    [(to, text)] = wolai_app.outbox.sent
    code = text.split("验证码")[1][:6]
    assert to == MOBILE
    phone.fill("[name=code]", code)
    phone.click("#wolai-login button:not([type=button])")
    phone.wait_for_url(f"{base}/wolai/real-name")
    assert no_horizontal_scroll(phone)

    form = {"name": "李娜", "id_number": ADULT_ID, "card_number": "6222020200112233445"}
    _fill(phone, form | {"bank_name": "招商银行", "reserved_mobile": "13700137001"})
    asked = []
    for consent in pages_wolai.REAL_NAME_CONSENTS:
        phone.click("#real-name button")
        expect(message).to_contain_text(f"请先勾选同意：{consent['kind']}：{consent['label']}")
        asked.append(consent["id"])
        phone.check(f"input[data-consent={consent['id']}]")
        expect(message).to_have_text("已同意。")
    phone.click("#real-name button")
    expect(message).to_contain_text("向业务合作方提供个人信息")
    assert wolai_app.rows("wolai_real_name") == []
    phone.check("input[data-consent=business_partners_sharing]")
    expect(message).to_have_text("已同意。")
    phone.click("#real-name button")
    expect(message).to_have_text("实名认证已完成。")
    shoot(phone, "lending-app-wolai-real-name")
    [record] = wolai_app.rows("wolai_real_name")
    assert record["bank_card_enc"].startswith("yv1.")
    granted = wolai_app.yinsi.consent.state(wolai_app.app_id, wolai_app.subject()).granted
    assert set(asked) | {"business_partners_sharing"} <= set(granted)

    phone.goto(f"{base}/wolai/credit")
    assert no_horizontal_scroll(phone)
    expect(phone.locator("input[data-consent=business_partners_sharing]")).to_be_checked()
    expect(phone.locator("[name=device_id]")).to_have_value(re.compile(r"^h5-"))
    credit = {"email": "lina@example.com", "address": "深圳市南山区桂湾五路1号"}
    credit |= {"occupation": "会计", "monthly_income": "15000", "property_info": "自有住房一套"}
    _fill(phone, credit)
    phone.select_option("[name=marital_status]", "已婚")
    phone.click("#credit button")
    expect(message).to_have_text("申请已提交。")
    shoot(phone, "lending-app-wolai-credit")
    [application] = wolai_app.rows("wolai_credit_applications")
    assert application["status"] == "submitted" and application["marital_status"] == "已婚"
    provisions = wolai_app.yinsi.sharing.provisions(wolai_app.app_id, wolai_app.subject())
    assert [p.purpose for p in provisions] == ["identity_verification", "credit_assessment"]

    phone.goto(f"{base}/wolai/contacts")
    assert no_horizontal_scroll(phone)
    phone.select_option("[data-contact] >> nth=0 >> [name=relation]", "母亲")
    phone.fill("[data-contact] >> nth=0 >> [name=name]", "张丽")
    phone.fill("[data-contact] >> nth=0 >> [name=phone]", "13900004444")
    phone.fill("[data-contact] >> nth=1 >> [name=name]", "王敏")
    phone.fill("[data-contact] >> nth=1 >> [name=phone]", "13900003333")
    phone.click("#contacts button")
    expect(message).to_have_text("联系人已保存。")
    contacts = wolai_app.rows("wolai_contacts")
    assert sorted(c["kind"] for c in contacts) == ["colleague", "family"]
    assert "13900004444" not in str(contacts)
