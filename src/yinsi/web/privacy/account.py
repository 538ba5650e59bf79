"""Account cancellation and complaints: two requests with a page of their own.

Cancellation (X30, W16) first says plainly what cannot be undone and what the law makes
us keep (the data map's holds and the declaration's retention rules), and what would
stop it (e.g. an outstanding loan); the user must tick an explicit confirmation. It is
then an ordinary rights request, verified by SMS. Complaints (X36, W18) list the declared
complaint channels beside a form that files a complaint request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from yinsi.declaration import Declaration
from yinsi.policy.text import sentence
from yinsi.services.rights import RightsService
from yinsi.taxonomy import RightKind
from yinsi.web.privacy import pages, views
from yinsi.web.privacy.request_kinds import channels, deadline_text, right_of
from yinsi.web.privacy.rights import TEXT_LIMIT, file_request, rights_for
from yinsi.web.privacy.route import Poster, PrivacyRoute, Viewer
from yinsi.web.privacy.session import PrivacySession
from yinsi.web.site import site_of

__all__ = ["router"]

IRREVERSIBLE = (
    "账号注销后无法恢复，您将无法再登录或使用该账号。",
    "账号中的个人信息将被删除或匿名化处理，注销后无法找回，也无法再申请查阅或复制。",
    "您基于该账号享有的权益将被视为自动放弃。",
)
"""Said on every cancellation page; the declaration's own wording of the right follows."""


def _cancel_context(declaration: Declaration, rights: RightsService | None) -> dict[str, object]:
    right = right_of(declaration, RightKind.CANCEL_ACCOUNT)
    blockers = (
        [p.text for p in rights.preconditions if p.kind is RightKind.CANCEL_ACCOUNT]
        if rights
        else []
    )
    return {
        "app_id": declaration.app.id,
        "app_name": declaration.app.name,
        "available": rights is not None,
        "irreversible": IRREVERSIBLE,
        "effect": sentence(right.effect) if right else "",
        "kept": views.kept_by_law(declaration, rights.data_map if rights else None),
        "blockers": [*blockers, *(sentence(p) for p in (right.preconditions if right else []))],
        "deadline": deadline_text(right),
        "channels": channels(declaration, "rights_request"),
        "error": "",
    }


def _complaint_context(declaration: Declaration, rights: RightsService | None) -> dict[str, object]:
    right = right_of(declaration, RightKind.COMPLAINT)
    contacts = declaration.contacts
    officer = contacts.pi_protection_officer
    by_id = {c.id: c for c in contacts.channels}
    return {
        "app_id": declaration.app.id,
        "app_name": declaration.app.name,
        "available": rights is not None,
        "channels": channels(declaration, "complaint"),
        "officer": (
            (
                officer.title,
                [(by_id[c].label, by_id[c].value) for c in officer.channels if c in by_id],
            )
            if officer
            else None
        ),
        "department": contacts.department,
        "deadline": deadline_text(right),
        "escalation": sentence(declaration.rights.complaint_escalation),
        "limit": TEXT_LIMIT,
        "error": "",
        "text": "",
    }


def _declaration(request: Request, session: PrivacySession) -> Declaration:
    return site_of(request).engine.declaration(session.app_id)


router = APIRouter(prefix="/privacy", include_in_schema=False, route_class=PrivacyRoute)


@router.get("/cancel", response_class=HTMLResponse)
def cancel(request: Request, session: Viewer) -> HTMLResponse:
    context = _cancel_context(_declaration(request, session), rights_for(request, session))
    return pages.page(request, "cancel.html", context, session=session)


@router.post("/cancel", response_model=None)
def confirm_cancel(
    request: Request, session: Poster, confirm: Annotated[str, Form()] = ""
) -> Response:
    rights = rights_for(request, session)
    context = _cancel_context(_declaration(request, session), rights)
    if rights is None:
        return pages.page(request, "cancel.html", context, session=session, status_code=400)
    if confirm != "yes":
        context["error"] = "请先勾选确认您已了解注销的后果。"
        return pages.page(request, "cancel.html", context, session=session, status_code=400)
    return file_request(rights, session, RightKind.CANCEL_ACCOUNT)


@router.get("/complaints", response_class=HTMLResponse)
def complaints(request: Request, session: Viewer) -> HTMLResponse:
    context = _complaint_context(_declaration(request, session), rights_for(request, session))
    return pages.page(request, "complaints.html", context, session=session)


@router.post("/complaints", response_model=None)
def complain(request: Request, session: Poster, text: Annotated[str, Form()] = "") -> Response:
    rights = rights_for(request, session)
    context = _complaint_context(_declaration(request, session), rights)
    words = text.strip()
    if rights is None or not words or len(words) > TEXT_LIMIT:
        context["error"] = (
            "请填写投诉或举报的内容。" if not words else f"内容请不要超过{TEXT_LIMIT}字。"
        )
        context["text"] = words
        return pages.page(request, "complaints.html", context, session=session, status_code=400)
    return file_request(rights, session, RightKind.COMPLAINT, text=words)
