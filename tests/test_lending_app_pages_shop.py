"""The 赢商城 and customer-service H5 pages of the reference lending app (X12, X13): the
order page shows the separate 收货地址* consent and the provision to the logistics
suppliers apart, in the declaration's words; a shopper at 375 px is refused before the
delivery consent and places the order after it; customer service checks the caller's
identity before the chat and the paper-invoice request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from lending_app import pages_shop
from lending_app.settings import EXAMPLES
from playwright.sync_api import Page, expect

from lending_pages_live import LiveApp, live_lending_app
from test_lending_app_fixtures import ADULT_ID, PASSWORD, PHONE, Lending

pytest_plugins = ["web_fixtures", "test_lending_app_fixtures"]

DECLARATION = EXAMPLES / "declarations" / "xiaoying-kadai.yaml"


def _flat(text: str) -> str:
    """The text without the line breaks and spaces YAML folding leaves in Chinese prose."""
    return re.sub(r"\s+", "", text)


def _declaration() -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load(DECLARATION.read_text(encoding="utf-8"))
    return found


def test_x12_the_shop_pages_say_what_the_declaration_says() -> None:
    declared = _declaration()
    consents = {c["id"]: c for c in declared["consents"]}
    for shown in pages_shop.SHOP_CONSENTS:
        consent = consents[shown["id"]]
        assert consent["kind"] == "separate"
        assert shown["label"] == consent["label"]
        assert _flat(shown["text"]) == _flat(consent["description"])
        assert _flat(shown["on_refusal"]) == _flat(consent["on_refusal"])
    recipients = {r["id"]: r for r in declared["recipients"]}
    for shown in pages_shop.RECIPIENTS:
        recipient = recipients[shown["id"]]
        assert shown["name"] == recipient["name"]
        assert _flat(shown["method"]) == _flat(recipient["method"])
    scenarios = {s["id"]: s for s in declared["scenarios"]}
    assert _flat(pages_shop.SHOPPING) == _flat(scenarios["shopping_order"]["description"])
    assert _flat(pages_shop.SERVICE) == _flat(scenarios["customer_service"]["description"])


def test_x12_order_page_shows_each_consent_apart_after_the_consent_library(
    lending: Lending,
) -> None:
    page = lending.client.get("/shop").text
    head = page[: page.index("</head>")]
    assert head.index("/static/yinsi-consent.js") < head.index("/assets/app.js")
    assert page.count('<fieldset class="consent">') == 2
    assert 'data-consent="delivery_address"' in page
    assert 'data-consent="shopping_sharing"' in page
    assert "提供仓储、物流、支付、客服和其他服务的供应商" in page
    assert "<title>赢商城 · 小赢卡贷</title>" in page
    service = lending.client.get("/service")
    assert service.status_code == 200 and "核实身份" in service.text
    assert 'href="/shop"' in service.text and "/wolai/" not in service.text
    for path in ("/wolai/", "/wolai/login", "/wolai/real-name", "/wolai/credit"):
        assert lending.client.get(path).status_code == 404


@pytest.fixture
def shop_app(tmp_path: Path) -> Iterator[LiveApp]:
    with live_lending_app(tmp_path, "xiaoying") as live:
        yield live


def _fill(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.fill(f"[name={name}]", value)


def test_x12_shopper_at_375px_is_refused_before_the_delivery_consent_and_orders_after_it(
    phone: Page, shop_app: LiveApp
) -> None:
    from web_fixtures import no_horizontal_scroll, shoot

    base = shop_app.url
    message = phone.locator("#message")
    phone.goto(f"{base}/register")
    _fill(phone, {"phone": PHONE, "id_number": ADULT_ID, "password": PASSWORD})
    phone.check("input[name=accept_policy]")
    phone.check("input[name=consents][value=id_number]")
    phone.click("form button")
    phone.wait_for_url(f"{base}/credit")

    phone.goto(f"{base}/shop")
    assert no_horizontal_scroll(phone)
    order = {"recipient_name": "李娜", "delivery_address": "上海市浦东新区世纪大道100号"}
    _fill(phone, order | {"mobile": "13700137000"})
    phone.click("#order button")
    expect(message).to_contain_text("请先勾选同意：收货地址*")
    assert shop_app.rows("shop_orders") == []

    phone.check("input[data-consent=delivery_address]")
    expect(message).to_have_text("已同意。")
    phone.click("#order button")
    expect(message).to_contain_text("单独同意")
    assert shop_app.rows("shop_orders") == []
    assert shop_app.yinsi.sharing.provisions(shop_app.app_id, shop_app.subject()) == []

    phone.check("input[data-consent=shopping_sharing]")
    expect(message).to_have_text("已同意。")
    phone.click("#order button")
    expect(message).to_contain_text("下单成功")
    shoot(phone, "lending-app-shop")
    [placed] = shop_app.rows("shop_orders")
    assert placed["delivery_address_enc"].startswith("yv1.")
    provisions = shop_app.yinsi.sharing.provisions(shop_app.app_id, shop_app.subject())
    assert {p.recipient for p in provisions} == {"shopping_suppliers", "mall_merchants"}

    # customer service: the identity first, then the chat and the paper invoice
    phone.goto(f"{base}/service")
    assert no_horizontal_scroll(phone)
    _fill(phone, {"mobile": PHONE, "id_last6": "000000"})
    phone.click("#verify button")
    expect(message).to_have_text("身份核验未通过，请核对您提供的信息。")
    expect(phone.locator("#chat-step")).to_be_hidden()
    phone.fill("#verify [name=id_last6]", "")
    phone.fill("#verify [name=order_id]", str(placed["id"]))
    phone.click("#verify button")
    expect(message).to_have_text("身份核实通过。")
    phone.fill("#say [name=text]", "请问订单什么时候发货？")
    phone.click("#say button")
    expect(message).to_have_text("消息已发送。")
    expect(phone.locator("#chat li.mine")).to_have_text("请问订单什么时候发货？")
    _fill(phone, {"title": "李娜", "mailing_address": "上海市浦东新区世纪大道100号"})
    phone.fill("#invoice [name=order_id]", str(placed["id"]))
    phone.click("#invoice button")
    expect(message).to_contain_text("纸质发票申请已提交")
    shoot(phone, "lending-app-service")
    assert len(shop_app.rows("invoice_requests")) == 1
    assert shop_app.rows("chat_logs")
