"""The sample's loans: planned per profile, then written with what a lender keeps of them.

A loan leaves a ``loans`` row, a signed ``contracts`` row, one ``repayments`` row per
instalment paid, and the credit check made before it was granted (``credit_reports`` and
``risk_scores`` in the ``risk`` store). Loans, contracts and repayments are held while the
loan is outstanding and for :data:`~yinsi_demo.seed_records.HOLD_YEARS` years after it is
settled. Every value is drawn from the :class:`~yinsi_demo.seed_records.Recorder`'s
``rng``, in a fixed order: the same seed gives the same loans.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from yinsi_demo import generators as gen
from yinsi_demo.seed_records import CENT, HOLD_YEARS, Loan, Recorder, add_years
from yinsi_demo.truth import Profile

_TAGS = ("夜间活跃", "多头借贷低", "还款准时", "消费稳定", "新客", "高频登录", "异地登录")
_KINDS = {
    Profile.OUTSTANDING: ["outstanding"],
    Profile.SETTLED_RECENTLY: ["recent"],
    Profile.SETTLED_LONG_AGO: ["old"],
    Profile.NO_LOAN: [],
    Profile.MIXED: ["old", "recent", "outstanding"],
}


def plan_loans(r: Recorder, profile: Profile) -> list[Loan]:
    """The loans of a user of ``profile``: outstanding, settled ~2 or ~6 years ago, or none."""
    return [_new_loan(r, kind) for kind in _KINDS[profile]]


def _new_loan(r: Recorder, kind: str) -> Loan:
    rng = r.rng
    term = rng.choice((3, 6, 12))
    amount = Decimal(rng.randrange(10, 500) * 100).quantize(CENT)
    if kind == "outstanding":
        paid = rng.randrange(0, term)
        applied = r.at(r.days_ago(paid * 30 + 5, paid * 30 + 25))
        overdue = rng.choice((0, 0, 0, 3, 17))
        return Loan(r.new_id("loans"), "outstanding", applied, None, term, amount, paid, overdue)
    years = 2 if kind == "recent" else 6
    settled = r.today - timedelta(days=365 * years + rng.randrange(0, 60))
    applied = r.at(settled - timedelta(days=30 * term + rng.randrange(0, 10)))
    overdue = rng.choice((0, 0, 2))  # the longest overdue while it ran
    return Loan(r.new_id("loans"), "settled", applied, settled, term, amount, term, overdue)


def record_loan(
    r: Recorder, uid: str, loan: Loan, name: str, id_number: str, id_hash: str, cards: list[str]
) -> None:
    """Write the loan of user ``uid`` (borrower ``name``, ``id_number``) and its records;
    repayments name the first of ``cards``."""
    held = loan.settled_at is None or r.today < add_years(loan.settled_at, HOLD_YEARS)
    _loan_and_contract(r, uid, loan, name, id_number, held)
    _repayments(r, uid, loan, cards, held)
    _credit_check(r, uid, loan, name, id_number, id_hash)


def _loan_and_contract(
    r: Recorder, uid: str, loan: Loan, name: str, id_number: str, held: bool
) -> None:
    key = r.record(
        "loans",
        {
            "id": loan.id,
            "user_id": uid,
            "amount": loan.amount,
            "term_months": loan.term_months,
            "status": loan.status,
            "applied_at": loan.applied_at,
            "settled_at": loan.settled_at,
            "overdue_days": loan.overdue_days,
        },
        uid,
    )
    if held:
        r.hold(uid, "loans", key, loan)
    signed = loan.applied_at + timedelta(minutes=r.rng.randrange(2, 30))
    key = r.record(
        "contracts",
        {
            "loan_id": loan.id,
            "contract_no": f"XYKD{signed:%Y%m%d}{loan.id:08d}",
            "signed_at": signed,
            "borrower_name": name,
            "borrower_id_number": id_number,
            "signature_hash": gen.hex_token(r.rng, 64),
            "ca_cert_serial": gen.hex_token(r.rng, 32).upper(),
        },
        uid,
    )
    if held:
        r.hold(uid, "contracts", key, loan)


def _repayments(r: Recorder, uid: str, loan: Loan, cards: list[str], held: bool) -> None:
    """One row per instalment paid; the last of a settled loan pays the remainder."""
    last4 = cards[0][-4:] if cards else None
    instalment = (loan.amount / loan.term_months).quantize(CENT)
    for n in range(1, loan.paid + 1):
        if loan.settled_at is not None and n == loan.term_months:
            paid_at = r.at(loan.settled_at)
            amount = loan.amount - instalment * (loan.term_months - 1)
        else:
            paid_at = loan.applied_at + timedelta(days=30 * n, hours=r.rng.randrange(0, 5))
            amount = instalment
        key = r.record(
            "repayments",
            {"loan_id": loan.id, "paid_at": paid_at, "amount": amount, "card_last4": last4},
            uid,
        )
        if held:
            r.hold(uid, "repayments", key, loan)


def _credit_check(
    r: Recorder, uid: str, loan: Loan, name: str, id_number: str, id_hash: str
) -> None:
    """The credit report queried before the loan was granted, and the risk score."""
    rng = r.rng
    queried = loan.applied_at - timedelta(minutes=rng.randrange(1, 60))
    report = {
        "报告编号": f"{queried:%Y%m%d%H%M%S}{rng.randrange(10**6):06d}",
        "被查询者姓名": name,
        "被查询者证件号码": id_number,
        "查询原因": "贷款审批",
        "信贷记录": {
            "信用卡账户数": rng.randrange(0, 6),
            "贷款账户数": rng.randrange(0, 4),
            "逾期账户数": rng.choice((0, 0, 0, 1)),
        },
    }
    r.record(
        "credit_reports",
        {
            "id_number_hash": id_hash,
            "report_no": report["报告编号"],
            "report": json.dumps(report, ensure_ascii=False, sort_keys=True),
            "queried_at": queried,
        },
        uid,
    )
    r.record(
        "risk_scores",
        {
            "user_id": uid,
            "credit_score": rng.randrange(350, 950),
            "behaviour_tags": ",".join(sorted(rng.sample(_TAGS, 3))),
            "model_version": "xyk-rs-3.2",
            "scored_at": queried + timedelta(minutes=1),
        },
        uid,
    )
