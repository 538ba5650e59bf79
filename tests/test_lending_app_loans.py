"""The reference lending app's loans (issue 15), through its own HTTP API: a borrower
borrows against the credit line (scenario ``loan_repayment``, the ``loan_info`` separate
consent, provided to the funding provider) and repays (provided for settlement);
withdrawing ``loan_info`` stops borrowing and repaying and nothing else (X29, W15); an
account cancellation filed with yinsi is refused while the loan is outstanding and, after
repayment, erases the app's tables as the data map says, loans kept while held (X30, W16).
SQLite and PostgreSQL (the ``lending`` fixture)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from lending_app.settings import EXAMPLES

from delivery_fixtures import CapturedSms
from test_lending_app_fixtures import APP, CREDIT_CONSENTS, FORM, PHONE, Lending, auth
from yinsi.rights.requests import Status
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.settings.limits import LimitSettings
from yinsi.taxonomy import RightKind

pytest_plugins = ["test_lending_app_fixtures"]

DATA_MAP = EXAMPLES / "lending_app" / "datamap.yaml"
QUICK_CODES = Settings(limits=LimitSettings(code_resend_seconds=0))
"""A second code to the same phone at once (the second cancellation request)."""


def _borrower(lending: Lending, *, loan_info: bool = True) -> tuple[str, dict[str, str]]:
    """A registered user with a submitted credit line (and ``loan_info`` granted)."""
    user = lending.register()
    headers = auth(user["token"])
    consents = (*CREDIT_CONSENTS, "funder_sharing") + (("loan_info",) if loan_info else ())
    for consent in consents:
        granted = lending.client.post(f"/api/consents/{consent}", headers=headers)
        assert granted.status_code == 204, granted.text
    applied = lending.client.post("/api/credit-line", json=FORM, headers=headers)
    assert applied.status_code == 201, applied.text
    return user["user_id"], headers


def _borrow(lending: Lending, headers: dict[str, str], amount: int = 3000) -> Any:
    return lending.client.post(
        "/api/loans", json={"amount": amount, "term_months": 6}, headers=headers
    )


def test_x10_borrow_and_repay_provide_to_the_funder_and_for_settlement(lending: Lending) -> None:
    subject, headers = _borrower(lending)
    borrowed = _borrow(lending, headers)
    assert borrowed.status_code == 201, borrowed.text
    loan_id = borrowed.json()["loan_id"]
    [loan] = lending.rows("loans")
    assert (loan["user_id"], loan["amount"], loan["status"]) == (subject, 3000, "outstanding")
    assert loan["settled_at"] is None and loan["provision_id"] is not None
    listed = lending.client.get("/api/loans", headers=headers).json()
    assert [(x["id"], x["status_label"]) for x in listed] == [(loan_id, "待还款")]

    repaid = lending.client.post(f"/api/loans/{loan_id}/repay", headers=headers)
    assert repaid.status_code == 201, repaid.text
    [loan] = lending.rows("loans")
    assert loan["status"] == "settled" and loan["settled_at"] is not None
    [repayment] = lending.rows("repayments")
    assert repayment["amount"] == 3000 and repayment["loan_id"] == loan_id
    again = lending.client.post(f"/api/loans/{loan_id}/repay", headers=headers)
    assert again.status_code == 400 and "已结清" in again.json()["detail"]

    provisions = lending.yinsi.sharing.provisions(APP, subject)
    by_recipient = {p.recipient: p for p in provisions}
    assert by_recipient["payment_settlement"].purpose == "payment_settlement"
    assert set(by_recipient["payment_settlement"].elements) == {"name", "bill_info", "payment_info"}
    to_funder = [p for p in provisions if p.recipient == "funders" and p.purpose == "loan_service"]
    assert [p.id for p in to_funder] == [loan["provision_id"]]
    assert repayment["provision_id"] == by_recipient["payment_settlement"].id


def test_x05_borrowing_needs_the_separate_loan_info_consent(lending: Lending) -> None:
    _, headers = _borrower(lending, loan_info=False)
    refused = _borrow(lending, headers)
    assert refused.status_code == 403
    body = refused.json()
    assert body["reason"] == "separate_consent_required" and body["step"] == "loan_repayment"
    assert body["consents"] == ["loan_info"] and "单独同意" in body["detail"]
    assert lending.rows("loans") == []


def test_x29_w15_withdrawing_loan_info_stops_only_the_loan_functions(lending: Lending) -> None:
    subject, headers = _borrower(lending)
    loan_id = _borrow(lending, headers).json()["loan_id"]
    withdrawn = lending.client.delete("/api/consents/loan_info", headers=headers)
    assert withdrawn.status_code == 204
    for answer in (
        _borrow(lending, headers),
        lending.client.get("/api/loans", headers=headers),
        lending.client.post(f"/api/loans/{loan_id}/repay", headers=headers),
    ):
        assert answer.status_code == 403, answer.text
        assert answer.json()["reason"] == "consent_withdrawn"
        assert answer.json()["consents"] == ["loan_info"] and "撤回" in answer.json()["detail"]
    assert len(lending.rows("loans")) == 1 and lending.rows("repayments") == []
    # The other functions go on: the credit-line increase still runs.
    increase = lending.client.post(
        "/api/credit-line/increase", json={"employer": "某某公司"}, headers=headers
    )
    assert increase.status_code == 201, increase.text
    assert "loan_info" in lending.yinsi.consent.state(APP, subject).withdrawn


def test_x22_a_refused_provision_to_the_funder_stores_no_loan(lending: Lending) -> None:
    _, headers = _borrower(lending)
    assert lending.client.delete("/api/consents/funder_sharing", headers=headers).status_code == 204
    refused = _borrow(lending, headers)
    assert refused.status_code == 403 and refused.json()["step"] == "provide:funders"
    assert lending.rows("loans") == []


def test_borrowing_needs_a_credit_line_and_a_valid_amount(lending: Lending) -> None:
    user = lending.register()
    headers = auth(user["token"])
    for consent in ("loan_info", "funder_sharing"):
        lending.client.post(f"/api/consents/{consent}", headers=headers)
    none = _borrow(lending, headers)
    assert none.status_code == 400 and "申请借款额度" in none.json()["detail"]
    assert lending.client.get("/api/loans", headers=headers).json() == []
    assert _borrow(lending, headers, amount=10).status_code == 400
    lending.client.cookies.clear()  # neither the session cookie nor a token: not signed in
    assert _borrow(lending, {}).status_code == 401


def test_the_privacy_center_link_needs_yinsi_serve(lending: Lending) -> None:
    """Embedded yinsi serves no privacy center: a clear 409 in Chinese, not a crash."""
    assert lending.client.post("/api/privacy-center").status_code == 401
    user = lending.register()
    answer = lending.client.post("/api/privacy-center", headers=auth(user["token"]))
    assert answer.status_code == 409 and "yinsi serve" in answer.json()["detail"]


def test_x30_w16_cancellation_refused_while_a_loan_is_outstanding_then_erases(
    lending: Lending, tmp_path: Path
) -> None:
    subject, headers = _borrower(lending)
    loan_id = _borrow(lending, headers).json()["loan_id"]
    sms = CapturedSms()
    env = {
        "LENDING_DATABASE_URL": lending.db.url.render_as_string(False),
        "YINSI_KEY_FILE": str(tmp_path / "keys.json"),
        "YINSI_HOME": str(tmp_path / "yinsi-home"),
    }
    with Services.open(
        lending.yinsi.database.url.render_as_string(False),
        data_map=DATA_MAP,
        environ=env,
        sms=sms,
        hash_key=b"k" * 32,
        settings=QUICK_CODES,
    ) as services:
        rights = services.rights

        def file_and_verify() -> str:
            request = rights.submit(subject, RightKind.CANCEL_ACCOUNT, channel="h5")
            rights.send_code(request.id)
            assert sms.sent[-1][0] == PHONE  # the phone on file, decrypted
            rights.verify(request.id, sms.code())
            return request.id

        first = rights.approve(file_and_verify(), actor="staff")
        assert first.status is Status.REFUSED
        assert first.refusal is not None
        assert first.refusal.ground == "precondition:no_outstanding_loan"
        assert first.answer == "您尚有未结清的借款，请在结清全部借款后再申请注销账号。"
        assert lending.rows("users")[0]["phone_enc"] is not None

        repaid = lending.client.post(f"/api/loans/{loan_id}/repay", headers=headers)
        assert repaid.status_code == 201
        second = file_and_verify()
        assert rights.approve(second, actor="staff").status is Status.APPROVED
        done = rights.run(second, actor="staff")
        assert done.status is Status.PARTIALLY_COMPLETED, done  # the held loan is kept
    _assert_erased(lending, subject)
    signed_out = lending.client.get("/api/loans", headers=headers)
    assert signed_out.status_code == 401  # the account's sessions went with it


def _assert_erased(lending: Lending, subject: str) -> None:
    """The data map's erasure: the account's PI fields emptied, its other rows gone, the
    settled loan and its repayment kept (held 5 years after settlement)."""
    [user] = lending.rows("users")
    assert user["id"] == subject
    assert [user[c] for c in ("phone_enc", "phone_bidx", "id_number_enc", "name_enc")] == [
        None,
        None,
        None,
        None,
    ]
    tables = ("id_verifications", "credit_applications", "bank_cards", "contacts", "sessions")
    for table in tables:
        assert lending.rows(table) == [], table
    [loan] = lending.rows("loans")
    assert loan["status"] == "settled"
    assert len(lending.rows("repayments")) == 1
    with lending.db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM sms_codes")).scalar_one() == 0
