"""The 赢商城 and customer-service H5 pages of 小赢卡贷 (X12, X13; usable at 375 px).

``/shop``: the order form, with the separate consent to the delivery address (收货地址*) and
the consent to provide the delivery details to the warehousing/logistics suppliers and the
merchants each shown apart, and those recipients described in the declaration's words.
``/service``: customer service (identity check first, then the chat and the paper-invoice
request). Both answer 404 unless the app runs as 小赢卡贷; the forms are driven by
``assets/shop_pages.js`` against ``routes_shop``'s API.
"""

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

SHOPPING = (
    "当您在本平台购买商品或服务时，我们会生成您购买该商品或服务的订单。为履行下单后向您寄送商品及提供售后"
    "服务，您需要在订单中填写收货人姓名、收货地址*以及手机号码，我们将在符合法律法规要求的情形下将上述信息"
    "共享给第三方仓储、物流和服务供应商。"
)
"""Scenario ``shopping_order``'s description, as the declaration words it."""

SHOP_CONSENTS = [
    {
        "id": "delivery_address",
        "label": "收货地址*",
        "text": "您在购物下单时填写收货地址*，在咨询售后服务时提供收货地址*。",
        "on_refusal": "我们将无法发货配送及提供售后服务。",
    },
    {
        "id": "shopping_sharing",
        "label": "向仓储、物流、支付、客服供应商及平台内商家提供个人信息",
        "text": "您授权并同意我们在符合法律法规要求的情形下将收货信息共享给第三方仓储、物流和服务供应商，"
        "并将订单信息和与交易有关的必要信息共享给本平台内商家。",
        "on_refusal": "我们将无法发货配送及提供售后服务。",
    },
]
"""The order's two separate consents, each shown apart (labels and texts: the declaration's)."""

RECIPIENTS = [
    {
        "id": "shopping_suppliers",
        "name": "提供仓储、物流、支付、客服和其他服务的供应商",
        "method": "当您通过小赢卡贷购物时，我们可能会将您的个人信息提供给这些供应商，由供应商向您提供"
        "物流配送、订单查询、订单支付、售后服务、客户支持等服务",
        "elements": "收货人姓名、收货地址*、手机号码、订单信息",
    },
    {
        "id": "mall_merchants",
        "name": "本平台内商家",
        "method": "我们可能会将您的订单信息和与交易有关的必要信息共享给本平台内商家来实现您向其购买商品"
        "或服务的需求，并促使其可以完成商品销售及后续的售后服务",
        "elements": "订单信息、与交易有关的必要信息",
    },
]
"""Who receives what when an order is placed (the declaration's recipients and methods)."""

SERVICE = (
    "当您使用热线电话或者在线客服进行咨询/投诉时，根据咨询内容的不同，您可能需要向我们和/或第三方客服供应商"
    "提供信息，以核实您的用户身份。当您咨询售后服务时，您需要提供您的订单信息、收货地址*和手机号码。"
)
"""Scenario ``customer_service``'s description, as the declaration words it."""

INVOICE = "开具发票所需的基本信息和接收发票的方式"
"""What a paper-invoice request collects (element ``invoice_info``'s note)."""

router = APIRouter(include_in_schema=False, dependencies=[XIAOYING])


def _page(name: str, title: str, **values: object) -> HTMLResponse:
    html = _templates.get_template(name).render(title=title, **values)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/shop")
def shop_page(
    app: State, request: Request, session: Annotated[str | None, Cookie()] = None
) -> HTMLResponse:
    """The consents ticked as yinsi's ledger has them now."""
    user = app.sessions.user(session) if session else None
    granted = app.privacy.granted(user) if user else frozenset()
    return _page(
        "shop_order.html",
        "赢商城",
        intro=SHOPPING,
        consents=SHOP_CONSENTS,
        recipients=RECIPIENTS,
        granted=granted,
        signed_in=user is not None,
        sdk_urls=sdk_urls(request),
    )


@router.get("/service")
def service_page(request: Request) -> HTMLResponse:
    """Customer service reaches the user by phone, not by the app session (X13)."""
    urls = sdk_urls(request)
    return _page("shop_service.html", "在线客服", intro=SERVICE, invoice=INVOICE, sdk_urls=urls)
