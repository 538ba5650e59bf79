"""Registration, guest browsing, login and password reset of the reference lending app
(X04, X06, X07, X08), driven through the app's own HTTP API."""

from __future__ import annotations

import logging
import re
from datetime import date

import pytest

from test_lending_app_fixtures import (
    ADULT_ID,
    APP,
    CREDIT_CONSENTS,
    FORM,
    PASSWORD,
    PHONE,
    Lending,
    auth,
    id_number,
)
from yinsi.consent import EventKind

pytest_plugins = ["test_lending_app_fixtures"]


def test_x04_registration_with_a_minors_id_number_is_refused(lending: Lending) -> None:
    today = date.today()
    minor = id_number(date(today.year - 16, 1, 1))
    body = {"phone": PHONE, "id_number": minor, "password": PASSWORD, "accept_policy": True}
    answer = lending.client.post("/api/register", json=body | {"consents": ["id_number"]})
    assert answer.status_code == 403
    assert answer.json()["reason"] == "minor"
    assert minor not in answer.text
    assert lending.rows("users") == []


def test_x06_registration_stores_phone_and_id_number_encrypted(lending: Lending) -> None:
    user = lending.register()
    [row] = lending.rows("users")
    assert row["id"] == user["user_id"]
    assert row["phone_enc"].startswith("yv1.") and PHONE not in str(row)
    assert row["id_number_enc"].startswith("yv1.") and ADULT_ID not in str(row)
    assert row["phone_bidx"].startswith("b1.")
    kinds = [e.kind for e in lending.yinsi.consent.events(APP, user["user_id"])]
    assert kinds[0] is EventKind.POLICY_ACCEPTED
    granted = lending.yinsi.consent.state(APP, user["user_id"]).granted
    assert {"privacy_policy", "id_number"} <= set(granted)


def test_x06_no_account_without_mobile_number_or_separate_id_consent(lending: Lending) -> None:
    body = {"id_number": ADULT_ID, "password": PASSWORD, "accept_policy": True}
    assert lending.client.post("/api/register", json=body).status_code == 422
    no_consent = lending.client.post("/api/register", json=body | {"phone": PHONE})
    assert no_consent.status_code == 403
    assert no_consent.json()["reason"] == "separate_consent_required"
    assert no_consent.json()["consents"] == ["id_number"]
    assert lending.rows("users") == []


def test_x06_guest_browsing_works_without_an_account(lending: Lending) -> None:
    answer = lending.client.get("/api/products")
    assert answer.status_code == 200 and answer.json()
    [visit] = lending.rows("guest_visits")
    assert visit["cookie_id"] == answer.cookies["guest"]
    assert lending.rows("users") == []


def test_x07_login_with_mobile_number_and_password(lending: Lending) -> None:
    user = lending.register()
    ok = lending.client.post(
        "/api/login", json={"phone": "+86 138-0013-8000", "password": PASSWORD}
    )
    assert ok.status_code == 200 and ok.json()["user_id"] == user["user_id"]
    wrong = lending.client.post("/api/login", json={"phone": PHONE, "password": "nope-nope-1"})
    assert wrong.status_code == 400
    unknown = lending.client.post("/api/login", json={"phone": "13900000000", "password": PASSWORD})
    assert unknown.status_code == 400 and unknown.json() == wrong.json()


def _code(lending: Lending) -> str:
    phone, text = lending.outbox.sent[-1]
    assert phone == PHONE
    found = re.search(r"\d{6}", text)
    assert found is not None
    return found.group()


def test_x08_password_reset_with_sms_code(
    lending: Lending, caplog: pytest.LogCaptureFixture
) -> None:
    lending.register()
    caplog.set_level(logging.DEBUG)
    assert lending.client.post("/api/password-reset/code", json={"phone": PHONE}).status_code == 202
    code = _code(lending)
    assert code not in caplog.text and lending.rows("sms_codes")[0]["code_hash"] != code
    bad = {"phone": PHONE, "code": "000000" if code != "000000" else "111111"}
    assert (
        lending.client.post("/api/password-reset", json=bad | {"new_password": "x" * 8}).status_code
        == 400
    )
    reset = {"phone": PHONE, "code": code, "new_password": "new-password-2"}
    assert lending.client.post("/api/password-reset", json=reset).status_code == 200
    login = {"phone": PHONE, "password": "new-password-2"}
    assert lending.client.post("/api/login", json=login).status_code == 200
    assert lending.client.post("/api/password-reset", json=reset).status_code == 400  # used up


def test_x08_real_name_accounts_also_check_the_id_number(lending: Lending) -> None:
    user = lending.register()
    headers = auth(user["token"])
    for consent in (*CREDIT_CONSENTS, "funder_sharing"):
        lending.client.post(f"/api/consents/{consent}", headers=headers)
    applied = lending.client.post("/api/credit-line", json=FORM, headers=headers)
    assert applied.status_code == 201 and lending.rows("users")[0]["real_name_verified"]
    lending.client.post("/api/password-reset/code", json={"phone": PHONE})
    reset = {"phone": PHONE, "code": _code(lending), "new_password": "new-password-2"}
    missing = lending.client.post("/api/password-reset", json=reset)
    assert missing.status_code == 400 and "身份证" in missing.json()["detail"]
    lending.client.post("/api/password-reset/code", json={"phone": PHONE})
    reset |= {"code": _code(lending), "id_number": ADULT_ID.lower()}
    assert lending.client.post("/api/password-reset", json=reset).status_code == 200
    lending.client.cookies.clear()
    old_session = auth(user["token"])  # closed by the reset
    assert lending.client.post("/api/consents/survey", headers=old_session).status_code == 401


def test_x08_unknown_phone_gets_the_same_answer_and_no_sms(lending: Lending) -> None:
    answer = lending.client.post("/api/password-reset/code", json={"phone": "13900000000"})
    assert answer.status_code == 202 and lending.outbox.sent == []


def test_x06_consents_carry_the_account_and_channel_as_evidence(lending: Lending) -> None:
    user = lending.register()
    events = lending.yinsi.consent.events(APP, user["user_id"])
    assert {e.evidence.account for e in events} == {user["user_id"]}
    assert {e.evidence.channel.value for e in events} == {"h5"}
