"""The app's HTTP API for the loans flows (issue 15); mounted by :func:`lending_app.create_app`.

``POST /api/loans`` borrows against the approved credit line, ``POST /api/loans/{id}/repay``
repays a loan in full, ``GET /api/loans`` lists the user's loans, and
``POST /api/privacy-center`` answers a fresh entry link to yinsi's privacy center for the
signed-in user (409 with a Chinese message when yinsi runs embedded). The H5 page
(``/loans``, :mod:`lending_app.pages_loans`) is mounted with them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from lending_app import pages_loans
from lending_app.privacy import PrivacyCenterUnavailable
from lending_app.repository_loans import Loans
from lending_app.routes import State, User

api = APIRouter(prefix="/api")


def loans_of(app: State) -> Loans:
    """The loans repository on the app's database and yinsi."""
    return Loans(app.db, app.privacy)


LoansRepo = Annotated[Loans, Depends(loans_of)]

STATUS_LABELS = {"outstanding": "待还款", "settled": "已结清"}


class BorrowBody(BaseModel):
    amount: int = Field(description="借款金额（元）")
    term_months: int = Field(description="借款期限（月）：3、6 或 12")


class LoanOut(BaseModel):
    id: int
    amount: int
    term_months: int
    status: str
    status_label: str
    borrowed_at: datetime
    settled_at: datetime | None


@api.post("/loans", status_code=201)
def borrow(body: BorrowBody, user: User, repo: LoansRepo) -> dict[str, int]:
    return {"loan_id": repo.borrow(user, body.amount, body.term_months)}


@api.post("/loans/{loan_id}/repay", status_code=201)
def repay(loan_id: int, user: User, repo: LoansRepo) -> dict[str, int]:
    return {"repayment_id": repo.repay(user, loan_id)}


@api.get("/loans")
def loans(user: User, repo: LoansRepo) -> list[LoanOut]:
    return [
        LoanOut(
            id=loan.id,
            amount=loan.amount,
            term_months=loan.term_months,
            status=loan.status,
            status_label=STATUS_LABELS.get(loan.status, loan.status),
            borrowed_at=loan.borrowed_at,
            settled_at=loan.settled_at,
        )
        for loan in repo.of_user(user)
    ]


@api.post("/privacy-center")
def privacy_center(user: User, app: State) -> dict[str, str]:
    """A fresh entry link (10 minutes) to yinsi's privacy center as the signed-in user."""
    try:
        return {"url": app.privacy.privacy_center_link(user)}
    except PrivacyCenterUnavailable as exc:
        raise HTTPException(409, str(exc)) from None


router = APIRouter()
router.include_router(api)
router.include_router(pages_loans.router)
