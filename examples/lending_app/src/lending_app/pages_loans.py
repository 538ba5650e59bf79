"""The loans H5 page (``/loans``, usable at 375 px): the ``loan_info`` separate consent shown
apart, the borrow form, the user's loans with their repay buttons, and the 隐私中心 button
(``assets/loans.js``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from lending_app.pages import HERE, XIAOYING, sdk_urls
from lending_app.routes import State

_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
)

LOAN_CONSENT = {
    "id": "loan_info",
    "label": "借款相关信息*、账单信息*、支付信息*、交易记录*、逾期信息*",
    "text": "您通过本平台向第三方资金出借主体借款、接受放款及还款过程中产生的借款、账单、支付、"
    "交易及逾期还款信息。",
}
"""The separate consent of scenario ``loan_repayment``, worded as the declaration does."""

router = APIRouter(include_in_schema=False, dependencies=[XIAOYING])


@router.get("/loans")
def loans_page(
    app: State, request: Request, session: Annotated[str | None, Cookie()] = None
) -> HTMLResponse:
    """The consent ticked as yinsi's ledger has it now (withdrawn in the privacy center:
    unticked at the next load)."""
    user = app.sessions.user(session) if session else None
    granted = app.privacy.granted(user) if user else frozenset()
    html = _templates.get_template("loans.html").render(
        title="借款与还款", consent=LOAN_CONSENT, granted=granted, sdk_urls=sdk_urls(request)
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
