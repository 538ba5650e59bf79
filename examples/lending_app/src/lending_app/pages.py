"""The H5 pages (plain Jinja2 and a little JS, usable at 375 px) and what they load:
yinsi's consent library first, and the SDK manifest of the signed-in user (or guest)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from lending_app.routes import PRODUCTS, State

HERE = Path(__file__).parent
ASSETS = StaticFiles(directory=HERE / "assets")
_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
)

CREDIT_CONSENTS = [
    {
        "id": "id_images",
        "label": "身份证照片*",
        "text": "您可以通过拍照上传身份证后进行智能识别的方式提供身份信息。",
    },
    {
        "id": "face_recognition",
        "label": "人脸识别信息*",
        "text": "向资金提供方申请借款额度时，您可以通过人脸识别的方式向我们提供身份信息。",
    },
    {
        "id": "financial_info",
        "label": "月收入*、月收入范围*、储蓄卡信息*",
        "text": "申请借款额度及申请提额时，您向我们及第三方服务提供方提供的财产信息。",
    },
    {
        "id": "address_info",
        "label": "居住城市和详细地址*、居住地址*",
        "text": "申请借款额度及申请提额时，您向我们及第三方服务提供方提供的地址信息。",
    },
    {
        "id": "funder_sharing",
        "label": "向资金提供方、资金清算银行及第三方支付机构提供个人信息",
        "text": "为向您匹配风险等级相适应的第三方资金出借主体，进行个人信用评估、借款审核、"
        "借款订单管理、贷款发放、还款服务及资金结算。",
    },
]
"""The separate consents of the credit-line application, each shown apart (PIPL Art. 29);
the labels and texts are those of the published declaration."""

router = APIRouter(include_in_schema=False)


def only(brand: str) -> Callable[[Request], None]:
    """A dependency: the page answers 404 unless the app runs as ``brand``
    (``LENDING_BRAND``), so each brand shows its own pages only."""

    def check(request: Request) -> None:
        if request.app.state.settings.brand != brand:
            raise HTTPException(404, "Not Found")

    return check


XIAOYING = Depends(only("xiaoying"))
HOMES = {"wolai": "/wolai/"}
"""The home page of a brand other than 小赢卡贷 (``/`` sends its users there)."""


def sdk_urls(request: Request) -> Mapping[str, str]:
    """The third-party SDK script URLs of the app's settings (``LENDING_SDK_URLS``): a page
    that passes them to base.html gets the gated 百度分析 tag (credit.html: the face SDK)."""
    found: Mapping[str, str] = request.app.state.settings.sdk_urls
    return found


def _page(name: str, title: str, **values: object) -> HTMLResponse:
    html = _templates.get_template(name).render(title=title, **values)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/", response_model=None)
def index(request: Request) -> HTMLResponse | RedirectResponse:
    home = HOMES.get(request.app.state.settings.brand)
    if home is not None:
        return RedirectResponse(home, status_code=303)
    return _page("index.html", "首页", products=PRODUCTS, sdk_urls=sdk_urls(request))


@router.get("/register", dependencies=[XIAOYING])
def register_page(request: Request) -> HTMLResponse:
    return _page("register.html", "注册", sdk_urls=sdk_urls(request))


@router.get("/login", dependencies=[XIAOYING])
def login_page(request: Request) -> HTMLResponse:
    return _page("login.html", "登录", sdk_urls=sdk_urls(request))


@router.get("/credit", dependencies=[XIAOYING])
def credit_page(
    app: State, request: Request, session: Annotated[str | None, Cookie()] = None
) -> HTMLResponse:
    """Each consent ticked as yinsi's ledger has it now (withdrawn in the privacy center:
    shown unticked at the next load)."""
    user = app.sessions.user(session) if session else None
    granted = app.privacy.granted(user) if user else frozenset()
    return _page(
        "credit.html",
        "申请借款额度",
        consents=CREDIT_CONSENTS,
        granted=granted,
        sdk_urls=sdk_urls(request),
    )


@router.get("/static/yinsi-consent.js")
def consent_script(app: State) -> FileResponse:
    return FileResponse(app.privacy.consent_script(), media_type="text/javascript")


@router.get("/api/yinsi/sdk-manifest")
def sdk_manifest(
    app: State,
    request: Request,
    session: Annotated[str | None, Cookie()] = None,
    guest: Annotated[str | None, Cookie()] = None,
) -> list[dict[str, object]]:
    """The manifest for the browser: the signed-in user's, else the guest's (no key leaves)."""
    user = app.sessions.user(session) if session else None
    subject = user or f"guest:{guest or 'anonymous'}"
    return app.privacy.sdk_manifest(subject)
