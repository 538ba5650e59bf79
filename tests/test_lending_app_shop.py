"""Shopping and customer service of the reference lending app (X12, X13), through the app's
own HTTP API: the delivery details leave only through yinsi's sharing gate, paper invoices
come through customer service, customer service and follow-up calls check the caller's
identity first, and the chat logs are swept by yinsi after the declared retention."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from lending_app.settings import EXAMPLES

from test_lending_app_fixtures import (
    ADULT_ID,
    APP,
    CREDIT_CONSENTS,
    FORM,
    PHONE,
    Lending,
    auth,
    id_number,
)
from yinsi.services.root import Services

pytest_plugins = ["test_lending_app_fixtures"]

ORDER: dict[str, Any] = {
    "item": "无线耳机",
    "quantity": 1,
    "recipient_name": "李娜",
    "delivery_address": "上海市浦东新区世纪大道100号",
    "mobile": "13700137000",
}


def _order(lending: Lending, user: dict[str, str]) -> Any:
    return lending.client.post("/api/shop/orders", json=ORDER, headers=auth(user["token"]))


def _chat(lending: Lending, **proof: Any) -> Any:
    return lending.client.post("/api/service/chats", json={"mobile": PHONE, **proof})


def test_x12_order_needs_the_separate_delivery_address_consent(lending: Lending) -> None:
    user = lending.consenting()
    refused = _order(lending, user)
    assert refused.status_code == 403
    assert refused.json()["reason"] == "separate_consent_required"
    assert refused.json()["consents"] == ["delivery_address"]
    assert lending.rows("shop_orders") == []
    assert lending.yinsi.sharing.provisions(APP, user["user_id"]) == []


def test_x12_without_the_sharing_consent_nothing_is_stored_or_provided(lending: Lending) -> None:
    user = lending.consenting("delivery_address")
    refused = _order(lending, user)
    assert refused.status_code == 403
    assert refused.json()["step"] == "provide:shopping_suppliers"
    assert lending.rows("shop_orders") == []
    assert lending.yinsi.sharing.provisions(APP, user["user_id"]) == []


def test_x12_order_stored_encrypted_and_provided_to_logistics_and_merchant(
    lending: Lending,
) -> None:
    user = lending.consenting("delivery_address", "shopping_sharing")
    answer = _order(lending, user)
    assert answer.status_code == 201, answer.text
    [order] = lending.rows("shop_orders")
    assert order["status"] == "placed" and order["item"] == ORDER["item"]
    for column in ("recipient_name_enc", "delivery_address_enc", "mobile_enc"):
        assert order[column].startswith("yv1.")
    assert ORDER["delivery_address"] not in str(order) and ORDER["mobile"] not in str(order)
    provisions = {p.recipient: p for p in lending.yinsi.sharing.provisions(APP, user["user_id"])}
    supplier, merchant = provisions["shopping_suppliers"], provisions["mall_merchants"]
    assert supplier.id == order["supplier_provision_id"] == answer.json()["supplier_provision"]
    assert merchant.id == order["merchant_provision_id"]
    assert set(supplier.elements) == {
        "recipient_name",
        "delivery_address",
        "mobile_number",
        "order_info",
    }
    assert merchant.elements == ("order_info",)  # the merchant never gets the address
    assert supplier.consent_id == merchant.consent_id == "shopping_sharing"
    state = lending.yinsi.consent.state(APP, user["user_id"])
    assert {"delivery_address", "shopping_sharing"} <= set(state.granted)


def test_x12_paper_invoice_is_asked_for_through_customer_service(lending: Lending) -> None:
    user = lending.consenting("delivery_address", "shopping_sharing")
    order_id = _order(lending, user).json()["order_id"]
    chat_id = _chat(lending, order_id=order_id).json()["chat_id"]
    invoice = {"mobile": PHONE, "order_id": order_id, "title": "张伟"}
    invoice |= {"mailing_address": "北京市东城区东华门街道1号"}
    answer = lending.client.post(f"/api/service/chats/{chat_id}/paper-invoice", json=invoice)
    assert answer.status_code == 201, answer.text
    [row] = lending.rows("invoice_requests")
    assert row["chat_id"] == chat_id and row["order_id"] == order_id
    assert row["invoice_info_enc"].startswith("yv1.") and "东华门" not in row["invoice_info_enc"]
    strange = lending.client.post("/api/service/chats/not-a-chat/paper-invoice", json=invoice)
    assert strange.status_code == 400
    assert len(lending.rows("invoice_requests")) == 1
    # the invoice details stay with the app: yinsi's ledger holds only the order's provisions
    provisions = lending.yinsi.sharing.provisions(APP, user["user_id"])
    assert sorted(p.recipient for p in provisions) == ["mall_merchants", "shopping_suppliers"]


def test_x13_customer_service_verifies_mobile_and_one_more_item(lending: Lending) -> None:
    user = lending.register()
    assert _chat(lending).status_code == 422  # the mobile number alone is not enough
    for wrong in ({"id_last6": "000000"}, {"account_id": "someone-else"}, {"order_id": 999}):
        refused = _chat(lending, **wrong)
        assert refused.status_code == 400 and "身份核验未通过" in refused.json()["detail"]
    stranger = lending.client.post(
        "/api/service/chats", json={"mobile": "13999999999", "id_last6": ADULT_ID[-6:]}
    )
    assert stranger.status_code == 400
    assert lending.rows("chat_logs") == []
    by_id = _chat(lending, id_last6=ADULT_ID[-6:])
    by_account = _chat(lending, account_id=user["user_id"])
    assert by_id.status_code == by_account.status_code == 201
    logs = lending.rows("chat_logs")
    assert len(logs) == 2 and {r["user_id"] for r in logs} == {user["user_id"]}
    assert all(r["text_enc"].startswith("yv1.") and r["speaker"] == "system" for r in logs)


def test_x13_repeated_failed_checks_lock_the_identity_check(lending: Lending) -> None:
    lending.register()
    for _ in range(5):
        assert _chat(lending, id_last6="000000").status_code == 400
    locked = _chat(lending, id_last6=ADULT_ID[-6:])  # right now, but too late
    assert locked.status_code == 400 and "次数过多" in locked.json()["detail"]
    assert lending.rows("chat_logs") == []
    with lending.db.begin() as conn:  # half an hour later
        past = datetime.now(UTC) - timedelta(minutes=31)
        conn.execute(
            sa.text("UPDATE service_check_failures SET last_failed_at = :at"), {"at": past}
        )
    assert _chat(lending, id_last6=ADULT_ID[-6:]).status_code == 201
    assert lending.rows("service_check_failures") == []


def test_x13_chat_logs_are_kept_encrypted_in_the_callers_chat_only(lending: Lending) -> None:
    user = lending.register()
    chat_id = _chat(lending, id_last6=ADULT_ID[-6:]).json()["chat_id"]
    said = lending.client.post(
        f"/api/service/chats/{chat_id}/messages", json={"mobile": PHONE, "text": "我想查询订单"}
    )
    assert said.status_code == 204
    other = lending.register(phone="13600136000", number=id_number(date(1991, 2, 3), "456"))
    intruder = lending.client.post(
        f"/api/service/chats/{chat_id}/messages",
        json={"mobile": "13600136000", "text": "冒充"},
    )
    assert intruder.status_code == 400
    logs = lending.rows("chat_logs")
    assert [r["speaker"] for r in logs] == ["system", "user"]
    assert {r["user_id"] for r in logs} == {user["user_id"]} != {other["user_id"]}
    assert "查询订单" not in str(logs)


def test_x13_follow_up_call_only_after_name_id_last4_and_order_match(lending: Lending) -> None:
    consents = ("delivery_address", "shopping_sharing", *CREDIT_CONSENTS, "funder_sharing")
    user = lending.consenting(*consents)
    applied = lending.client.post("/api/credit-line", json=FORM, headers=auth(user["token"]))
    assert applied.status_code == 201, applied.text  # the name is verified here
    order_id = _order(lending, user).json()["order_id"]
    call = {"mobile": PHONE, "name": FORM["name"], "id_last4": ADULT_ID[-4:], "order_id": order_id}
    for wrong in ({"name": "王芳"}, {"id_last4": "0000"}, {"order_id": order_id + 1}):
        refused = lending.client.post("/api/service/follow-ups", json=call | wrong)
        assert refused.status_code == 400
    assert lending.rows("follow_ups") == []
    made = lending.client.post("/api/service/follow-ups", json=call | {"note": "满意"})
    assert made.status_code == 201, made.text
    [row] = lending.rows("follow_ups")
    assert row["user_id"] == user["user_id"] and row["order_id"] == order_id
    assert "身份证号码后4位" in row["verified_by"]


def test_x13_yinsi_sweeps_chat_logs_after_the_declared_retention(
    lending: Lending, tmp_path: Path
) -> None:
    lending.register()
    old = _chat(lending, id_last6=ADULT_ID[-6:]).json()["chat_id"]
    with lending.db.begin() as conn:
        conn.execute(
            sa.text("UPDATE chat_logs SET at = :at"),
            {"at": datetime.now(UTC) - timedelta(days=5 * 366 + 1)},
        )
    recent = _chat(lending, id_last6=ADULT_ID[-6:]).json()["chat_id"]
    env = {"LENDING_DATABASE_URL": lending.db.url.render_as_string(False)}
    env |= {"YINSI_HOME": str(tmp_path / "yinsi-home")}
    with Services.open(
        lending.yinsi.database.url.render_as_string(False),
        data_map=EXAMPLES / "lending_app" / "datamap.yaml",
        environ=env,
        hash_key=b"k" * 32,
    ) as services:
        services.retention.run(date.today())
    assert [r["chat_id"] for r in lending.rows("chat_logs")] == [recent] != [old]
