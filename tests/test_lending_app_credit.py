"""Credit-line application and increase of the reference lending app (X10, W05, X11), and a
consent withdrawn through yinsi stopping the dependent step while the rest still works."""

from __future__ import annotations

from typing import Any

from test_lending_app_fixtures import (
    APP,
    CREDIT_CONSENTS,
    FORM,
    PASSWORD,
    PHONE,
    Lending,
    auth,
)
from yinsi.consent import Channel, Evidence

pytest_plugins = ["test_lending_app_fixtures"]


def _apply(lending: Lending, user: dict[str, str]) -> Any:
    return lending.client.post("/api/credit-line", json=FORM, headers=auth(user["token"]))


def test_x10_each_sensitive_item_needs_its_own_separate_consent(lending: Lending) -> None:
    user = lending.consenting("funder_sharing")
    for n, consent in enumerate(CREDIT_CONSENTS):
        refused = _apply(lending, user)
        assert refused.status_code == 403
        assert refused.json()["reason"] == "separate_consent_required"
        assert refused.json()["consents"] == [CREDIT_CONSENTS[n]]
        lending.client.post(f"/api/consents/{consent}", headers=auth(user["token"]))
    assert _apply(lending, user).status_code == 201


def test_x10_application_stored_encrypted_and_provided_to_the_funder(lending: Lending) -> None:
    user = lending.consenting(*CREDIT_CONSENTS, "funder_sharing")
    answer = _apply(lending, user)
    assert answer.status_code == 201, answer.text
    [application] = lending.rows("credit_applications")
    assert application["status"] == "submitted"
    assert application["monthly_income_enc"].startswith("yv1.")
    [verification] = lending.rows("id_verifications")
    assert verification["face_ref"].startswith("yv1.") and "faces" not in verification["face_ref"]
    [card] = lending.rows("bank_cards")
    assert FORM["card_number"] not in str(card)
    assert lending.rows("contacts")[0]["contact_phone_enc"].startswith("yv1.")
    assert lending.rows("users")[0]["real_name_verified"]
    [provision] = lending.yinsi.sharing.provisions(APP, user["user_id"])
    assert provision.id == application["provision_id"]
    assert provision.recipient == "funders" and provision.consent_id == "funder_sharing"
    assert {"face", "id_number", "bank_card", "monthly_income"} <= set(provision.elements)


def test_w05_without_the_funder_consent_nothing_is_stored_or_provided(lending: Lending) -> None:
    user = lending.consenting(*CREDIT_CONSENTS)
    refused = _apply(lending, user)
    assert refused.status_code == 403
    assert refused.json()["step"] == "provide:funders"
    assert lending.rows("credit_applications") == [] and lending.rows("id_verifications") == []
    assert lending.yinsi.sharing.provisions(APP, user["user_id"]) == []


def test_x11_increase_asks_only_about_what_the_user_chose_to_give(lending: Lending) -> None:
    user = lending.consenting("funder_sharing")
    extra = {"employer": "某某科技有限公司", "occupation": "工程师", "marital_status": "已婚"}
    answer = lending.client.post(
        "/api/credit-line/increase", json=extra, headers=auth(user["token"])
    )
    assert answer.status_code == 201, answer.text
    [row] = lending.rows("credit_increases")
    assert row["employer"] == extra["employer"] and row["income_range_enc"] is None
    [provision] = lending.yinsi.sharing.provisions(APP, user["user_id"])
    assert set(provision.elements) == {"employer", "occupation", "marital_status"}
    income = lending.client.post(
        "/api/credit-line/increase", json={"income_range": "1-2万"}, headers=auth(user["token"])
    )
    assert income.status_code == 403 and income.json()["consents"] == ["financial_info"]
    empty = lending.client.post("/api/credit-line/increase", json={}, headers=auth(user["token"]))
    assert empty.status_code == 400


def test_x10_withdrawn_face_consent_stops_the_application_and_nothing_else(
    lending: Lending,
) -> None:
    user = lending.consenting(*CREDIT_CONSENTS, "funder_sharing")
    assert _apply(lending, user).status_code == 201
    # withdrawn in yinsi (the privacy center records it there), not in the app
    evidence = Evidence(Channel.WEB, account=user["user_id"])
    lending.yinsi.consent.withdraw(APP, user["user_id"], "face_recognition", evidence=evidence)
    again = _apply(lending, user)
    assert again.status_code == 403 and again.json()["reason"] == "consent_withdrawn"
    assert len(lending.rows("credit_applications")) == 1
    login = lending.client.post("/api/login", json={"phone": PHONE, "password": PASSWORD})
    assert login.status_code == 200
    extra = {"occupation": "工程师"}
    increase = lending.client.post(
        "/api/credit-line/increase", json=extra, headers=auth(user["token"])
    )
    assert increase.status_code == 201
    assert lending.client.get("/api/products").status_code == 200
