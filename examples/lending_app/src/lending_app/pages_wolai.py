"""The 我来数科 H5 pages (W04-W06; usable at 375 px), under ``/wolai/``: 登录/注册 with the
mobile number and an SMS code, real-name verification with each of its separate consents
shown apart, the credit application and the post-loan/emergency contacts form. They answer
404 unless the app runs as 我来数科 (``LENDING_BRAND=wolai``); their nav shows this brand's
flows only. The texts are those of ``declarations/wolai-shuke-app.yaml``; the forms are
driven by ``assets/wolai_pages.js`` against ``routes_wolai``'s API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Depends
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from lending_app.pages import HERE, only
from lending_app.routes import State
from lending_app.settings import BRANDS

_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
)
BRAND = BRANDS["wolai"]

REAL_NAME_CONSENTS = [
    {
        "id": "real_name_identity",
        "kind": "单独同意",
        "label": "实名认证：身份证号码、手持身份证照片",
        "text": "基于实名制管理需求，您在申请借款服务前，本平台需要认证并收集您的真实身份。"
        "这些信息属于您的个人基本资料及身份信息。",
        "on_refusal": "如您不提供这些信息，本平台无法完成实名认证，也无法协助为您从资金方获取额度、申请借款。",
    },
    {
        "id": "camera_photos_permission",
        "kind": "授权",
        "label": "相机及相册权限",
        "text": "我们会在调用或首次调用相机及相册权限时单独提示您是否开启（部分设备系统或版本可能并不单独"
        "提示）。我们访问您的相机或相册，是为了使用摄像头直接拍摄或通过访问您的相册上传您的身份证件照片及"
        "其他借款审核所需要的材料；在需要人脸识别的场景下，需要调用您的摄像头进行人脸的拍摄。我们仅在您"
        "使用上述服务时使用该权限。",
        "on_refusal": "身份证照片及进行人脸识别为实名制验证需要，如您拒绝，则本平台无法为您提供服务。"
        "您可以随时关闭访问相机及相册权限，但如必要的身份验证资料既不能通过相机拍摄也不能通过访问相册上传的，"
        "本平台可能无法为您提供服务。",
    },
    {
        "id": "real_name_bank_card",
        "kind": "单独同意",
        "label": "实名认证：银行卡账号、银行预留手机号码",
        "text": "基于实名制管理需求，您在申请借款服务前，本平台需要认证并收集您的银行卡账号和银行预留手机号码，"
        "用于判断您是否具备申请条件及监管要求。",
        "on_refusal": "如您不提供这些信息，本平台无法完成实名认证，也无法协助为您从资金方获取额度、申请借款。",
    },
]
"""The separate consents of scenario ``real_name_verification``, in the order asked."""

PARTNERS_SHARING = {
    "id": "business_partners_sharing",
    "kind": "单独同意",
    "label": "向业务合作方提供个人信息",
    "text": "为完成实名认证、资格审核与信用评估，以及为您申请借款、商户贷/生意贷、车险分期，本平台会将相关"
    "信息提供给本公司的业务合作方，包括但不限于资金出借方、合作资金方、第三方支付公司、提供财务清分的服务"
    "机构以及风控服务合作方。",
    "on_refusal": "如您不同意，本平台无法协助为您从资金方获取额度、申请借款。",
}
"""The separate consent to provide to the business partners (the card check, the credit
application): PIPL Art. 23."""

REAL_NAME = (
    "基于实名制管理需求，您在申请借款服务前，本平台需要认证并收集您的真实身份。这些信息属于您的个人基本资料"
    "及身份信息。"
)
CREDIT = (
    "为进行资格审核，信用及偿付能力审核评估、有关额度确定及建议，包括根据您申请或使用的服务对您进行个人"
    "信用评估、借款审核、订单管理、贷款发放、贷后（租后）管理，本平台会收集您的相关信息。除本节列明的信息外，"
    "在具体业务开展过程中，我们还可能在向您明示并经您同意后收集其他信息。"
)
CONTACTS = "紧急状态下进行联系。您在填写联系人信息时，应获得联系人的同意。"
POST_LOAN = (
    "我们收集您填写的联系人信息，仅在本平台进行贷后（租后）管理时或出现其他紧急情形时进行联系。您应同意"
    "本公司及本公司委托的有关贷后管理、催收服务的第三方在拨打您预留的手机号码及联系人电话时，有权对电话"
    "进行录音。"
)
CONTACTS_REFUSAL = "如您不提供或不填写上述信息，本平台可能无法为您提供服务。"
"""Scenario descriptions as the declaration words them (real-name, credit, contacts)."""

router = APIRouter(prefix="/wolai", include_in_schema=False, dependencies=[Depends(only("wolai"))])


def _page(name: str, title: str, **values: object) -> HTMLResponse:
    html = _templates.get_template(name).render(
        title=title, brand_name=BRAND.display_name, policy_title=BRAND.policy_title, **values
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _granted(app: State, session: str | None) -> frozenset[str]:
    user = app.sessions.user(session) if session else None
    return app.privacy.granted(user) if user else frozenset()


@router.get("/")
def home() -> HTMLResponse:
    return _page("wolai_index.html", "首页")


@router.get("/login")
def login_page() -> HTMLResponse:
    return _page("wolai_login.html", "登录/注册")


@router.get("/real-name")
def real_name_page(app: State, session: Annotated[str | None, Cookie()] = None) -> HTMLResponse:
    """Each consent ticked as yinsi's ledger has it now."""
    consents = [*REAL_NAME_CONSENTS, PARTNERS_SHARING]
    granted = _granted(app, session)
    return _page(
        "wolai_real_name.html", "实名认证", intro=REAL_NAME, consents=consents, granted=granted
    )


@router.get("/credit")
def credit_page(app: State, session: Annotated[str | None, Cookie()] = None) -> HTMLResponse:
    granted = _granted(app, session)
    return _page(
        "wolai_credit.html", "申请额度", intro=CREDIT, consents=[PARTNERS_SHARING], granted=granted
    )


@router.get("/contacts")
def contacts_page() -> HTMLResponse:
    return _page(
        "wolai_contacts.html",
        "紧急联系人",
        intro=CONTACTS,
        post_loan=POST_LOAN,
        on_refusal=CONTACTS_REFUSAL,
    )
