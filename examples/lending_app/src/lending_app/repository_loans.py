"""Loans: borrowing against a submitted credit line, full repayment, the borrower's list
(scenario ``loan_repayment`` of the declaration: its elements need the ``loan_info``
separate consent). The loan's funding goes to the funding provider, the repayment to the
clearing bank or payment institution, each through yinsi's sharing gate inside the
transaction that stores the record: a refused provision stores nothing either."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from lending_app.privacy import Privacy, Step
from lending_app.repository import AccountError
from lending_app.schema import credit_applications
from lending_app.schema_loans import loans, repayments

SCENARIO = "loan_repayment"
BORROW = Step(SCENARIO, "loan_service", ("loan_records", "bill_info"))
REPAY = Step(SCENARIO, "payment_settlement", ("bill_info", "payment_info", "transaction_records"))
READ = Step(SCENARIO, "loan_service", ("loan_records",))
TO_FUNDER = Step(SCENARIO, "loan_service", ("name", "id_number", "mobile_number", "bank_card"))
TO_SETTLEMENT = Step(SCENARIO, "payment_settlement", ("name", "bill_info", "payment_info"))
FUNDER = "funders"
SETTLEMENT = "payment_settlement"

AMOUNTS = (500, 50_000)
TERMS = (3, 6, 12)
OUTSTANDING = "outstanding"
SETTLED = "settled"


@dataclass(frozen=True, slots=True)
class Loan:
    id: int
    amount: int
    term_months: int
    status: str
    borrowed_at: datetime
    settled_at: datetime | None


class Loans:
    def __init__(self, db: Engine, privacy: Privacy) -> None:
        self._db = db
        self.privacy = privacy

    def borrow(self, user_id: str, amount: int, term_months: int) -> int:
        """A loan against the user's submitted credit-line application, provided to the
        funding provider; the loan id."""
        self.privacy.require(user_id, BORROW)
        if not AMOUNTS[0] <= amount <= AMOUNTS[1] or term_months not in TERMS:
            raise AccountError(
                f"借款金额须在{AMOUNTS[0]}至{AMOUNTS[1]}元之间，期限为3、6或12个月。"
            )
        with self.privacy.writing(self._db) as (conn, provide):
            application = conn.execute(
                select(credit_applications.c.id)
                .where(
                    credit_applications.c.user_id == user_id,
                    credit_applications.c.status == "submitted",
                )
                .order_by(credit_applications.c.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            if application is None:
                raise AccountError("请先申请借款额度，额度审批通过后即可借款。")
            loan_id = int(
                conn.execute(
                    insert(loans)
                    .values(
                        user_id=user_id,
                        application_id=application,
                        amount=amount,
                        term_months=term_months,
                        status=OUTSTANDING,
                        borrowed_at=datetime.now(UTC),
                    )
                    .returning(loans.c.id)
                ).scalar_one()
            )
            provision = provide(user_id, FUNDER, TO_FUNDER)
            conn.execute(update(loans).where(loans.c.id == loan_id).values(provision_id=provision))
        return loan_id

    def repay(self, user_id: str, loan_id: int) -> int:
        """Repays the outstanding loan in full (settling it); the repayment id."""
        self.privacy.require(user_id, REPAY)
        now = datetime.now(UTC)
        with self.privacy.writing(self._db) as (conn, provide):
            loan = conn.execute(
                select(loans.c.amount, loans.c.status).where(
                    loans.c.id == loan_id, loans.c.user_id == user_id
                )
            ).one_or_none()
            if loan is None:
                raise AccountError("未找到该笔借款。")
            if loan.status != OUTSTANDING:
                raise AccountError("该笔借款已结清，无需还款。")
            repayment_id = int(
                conn.execute(
                    insert(repayments)
                    .values(loan_id=loan_id, amount=loan.amount, paid_at=now)
                    .returning(repayments.c.id)
                ).scalar_one()
            )
            conn.execute(
                update(loans).where(loans.c.id == loan_id).values(status=SETTLED, settled_at=now)
            )
            provision = provide(user_id, SETTLEMENT, TO_SETTLEMENT)
            conn.execute(
                update(repayments)
                .where(repayments.c.id == repayment_id)
                .values(provision_id=provision)
            )
        return repayment_id

    def of_user(self, user_id: str) -> list[Loan]:
        """The user's loans, newest first."""
        self.privacy.require(user_id, READ)
        with self._db.connect() as conn:
            rows = conn.execute(
                select(
                    loans.c.id,
                    loans.c.amount,
                    loans.c.term_months,
                    loans.c.status,
                    loans.c.borrowed_at,
                    loans.c.settled_at,
                )
                .where(loans.c.user_id == user_id)
                .order_by(loans.c.id.desc())
            ).all()
        return [Loan(**row._asdict()) for row in rows]
