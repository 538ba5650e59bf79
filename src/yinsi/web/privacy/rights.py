"""Rights requests from the privacy center (PIPL Chapter IV): file, verify by SMS, follow.

The user picks a kind among the rights the declaration offers, fills what that kind needs
(a deletion's reason, a correction's new value), and the request is filed through the
:class:`~yinsi.services.rights.RightsService` on channel ``h5``; the SMS code is sent at
once. The request's page shows its status, history and due date on the working-day
calendar (X35), the answer when it closes, and the export archive of a completed access,
copy or transfer request. A user only ever sees their own requests: any other id is "not
found", whether it exists or not.

Without a rights service for the app (``yinsi serve`` without ``--map``) the pages say
that requests go through customer service, and list the declared channels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from yinsi.declaration import Declaration
from yinsi.policy.lookup import Lookup
from yinsi.policy.text import sentence
from yinsi.rights.corrections import ManualCorrection
from yinsi.rights.ports import ConnectorError
from yinsi.rights.requests import InvalidRequest, RightsRequest, Status
from yinsi.rights.verification import CodeLimited, VerificationFailed
from yinsi.services.errors import RequestNotFound
from yinsi.services.rights import RightsService
from yinsi.taxonomy import DeletionTrigger, RightKind
from yinsi.taxonomy.formats import InvalidValue
from yinsi.web.privacy import pages, views
from yinsi.web.privacy.request_kinds import (
    channels,
    choose_kind,
    deadline_text,
    kind_choices,
    right_of,
)
from yinsi.web.privacy.route import NotFound, Poster, PrivacyRoute, Viewer
from yinsi.web.privacy.session import PrivacySession
from yinsi.web.site import site_of

__all__ = ["TEXT_LIMIT", "file_request", "own_request", "rights_for", "router"]

EXPORT_KINDS = frozenset({RightKind.ACCESS, RightKind.COPY, RightKind.TRANSFER})
DONE = frozenset({Status.COMPLETED, Status.PARTIALLY_COMPLETED})
WITHDRAWABLE = frozenset({Status.RECEIVED, Status.VERIFIED, Status.APPROVED})
TEXT_LIMIT = 2000
SMS_FLASH = {
    "sent": "验证码已发送至您在本平台绑定的手机号码，请在下方填写。",
    "failed": "验证码发送失败，请稍后重新获取；如仍无法收到，请联系客服。",
    "verified": "身份验证成功，我们将在下方所示日期前答复您。",
    "withdrawn": "您已撤回该申请。",
    "capped": "该申请的验证码发送次数已达上限，请通过身份证号后六位验证，或重新提交申请。",
}
WAIT_FLASH = "验证码发送过于频繁，请{seconds}秒后再试。"


def sms_flash(sms: str) -> str:
    """The notice for ``?sms=``: a fixed text, or the wait of ``wait<seconds>`` (a number
    only, so the query cannot put text of its own on the page)."""
    if sms.startswith("wait") and sms[4:].isdigit() and len(sms) <= 10:
        return WAIT_FLASH.format(seconds=int(sms[4:]))
    return SMS_FLASH.get(sms, "")


def rights_for(request: Request, session: PrivacySession) -> RightsService | None:
    """The rights service of the session's app, or None (requests via customer service)."""
    rights = site_of(request).rights
    return rights if rights is not None and rights.data_map.app == session.app_id else None


def own_request(rights: RightsService, session: PrivacySession, request_id: str) -> RightsRequest:
    """The request if it is the session's subject's own; else "not found" (never "forbidden",
    which would tell that the id exists)."""
    try:
        found = rights.get(request_id)
    except RequestNotFound:
        raise NotFound("未找到该申请。") from None
    if found.subject_id != session.subject_id or found.app_id != session.app_id:
        raise NotFound("未找到该申请。")
    return found


def file_request(
    rights: RightsService,
    session: PrivacySession,
    kind: RightKind,
    *,
    trigger: str | None = None,
    corrections: Mapping[str, str] | None = None,
    text: str = "",
) -> Response:
    """Submit on channel h5, send the SMS code, and go to the request's page."""
    filed = rights.submit(
        session.subject_id,
        kind,
        channel="h5",
        trigger=trigger,
        corrections=corrections,
        text=text,
        actor="privacy-center",
    )
    return pages.see_other(f"/privacy/requests/{filed.id}?sms={_send(rights, filed.id)}")


def _send(rights: RightsService, request_id: str) -> str:
    try:
        rights.send_code(request_id)
    except CodeLimited as exc:
        return "capped" if exc.retry_after is None else f"wait{exc.retry_after}"
    except (VerificationFailed, ConnectorError):
        return "failed"
    return "sent"


def _correctable(rights: RightsService, look: Lookup) -> list[tuple[str, str]]:
    """(element, label) of every element a dataset of the data map holds."""
    held = dict.fromkeys(f.element for ds in rights.data_map.datasets for f in ds.fields)
    return [(e, views.element_label(look, e)) for e in held]


def _form_context(
    rights: RightsService, declaration: Declaration, kind: RightKind
) -> dict[str, object]:
    right = right_of(declaration, kind)
    look = Lookup.of(declaration)
    return {
        "app_id": declaration.app.id,
        "app_name": declaration.app.name,
        "kind": kind.value,
        "kind_label": kind.label,
        "effect": sentence(right.effect) if right else "",
        "deadline": deadline_text(right),
        "triggers": [(t.value, t.label) for t in (right.triggers if right else [])]
        or [(t.value, t.label) for t in DeletionTrigger],
        "elements": _correctable(rights, look) if kind is RightKind.CORRECTION else [],
        "exports": kind in EXPORT_KINDS,
        "error": "",
    }


router = APIRouter(prefix="/privacy", include_in_schema=False, route_class=PrivacyRoute)


@router.get("/requests", response_class=HTMLResponse)
def requests(request: Request, session: Viewer) -> HTMLResponse:
    declaration = site_of(request).engine.declaration(session.app_id)
    rights = rights_for(request, session)
    mine = rights.requests(subject_id=session.subject_id) if rights else []
    context = {
        "app_id": session.app_id,
        "app_name": declaration.app.name,
        "available": rights is not None,
        "requests": [
            (r, pages.in_china(r.received_at))
            for r in sorted(mine, key=lambda r: r.received_at, reverse=True)
        ],
        "channels": channels(declaration, "rights_request"),
    }
    return pages.page(request, "requests.html", context, session=session)


@router.get("/requests/new", response_class=HTMLResponse)
def new_request(request: Request, session: Viewer, kind: str = "") -> HTMLResponse:
    declaration = site_of(request).engine.declaration(session.app_id)
    rights = rights_for(request, session)
    if rights is None or not kind:
        context = {
            "app_id": session.app_id,
            "app_name": declaration.app.name,
            "available": rights is not None,
            "choices": kind_choices(declaration),
            "channels": channels(declaration, "rights_request"),
        }
        return pages.page(request, "request_kinds.html", context, session=session)
    context = _form_context(rights, declaration, choose_kind(declaration, kind))
    return pages.page(request, "request_form.html", context, session=session)


@router.post("/requests", response_model=None)
def submit(
    request: Request,
    session: Poster,
    kind: Annotated[str, Form()],
    trigger: Annotated[str, Form()] = "",
    element: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
) -> Response:
    declaration = site_of(request).engine.declaration(session.app_id)
    rights = rights_for(request, session)
    if rights is None:
        raise NotFound("本服务暂不支持在线提交申请，请通过客服渠道办理。")
    chosen = choose_kind(declaration, kind)
    context = _form_context(rights, declaration, chosen)
    error = _missing(chosen, trigger, element, value, text)
    if not error:
        try:
            return file_request(
                rights,
                session,
                chosen,
                trigger=trigger if chosen is RightKind.DELETION else None,
                corrections={element: value.strip()} if chosen is RightKind.CORRECTION else None,
                text=text.strip(),
            )
        except ManualCorrection as exc:
            error = exc.person_text
        except InvalidRequest as exc:
            cause = exc.__cause__
            error = (
                f"填写的内容有误：{cause}"
                if isinstance(cause, InvalidValue)
                else "申请内容不完整或不符合要求，请检查后重试。"
            )
    context["error"] = error
    return pages.page(request, "request_form.html", context, session=session, status_code=400)


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def status(request: Request, request_id: str, session: Viewer, sms: str = "") -> HTMLResponse:
    return _status_page(request, session, request_id, flash=sms_flash(sms))


@router.post("/requests/{request_id}/code", response_model=None)
def send_code(request: Request, request_id: str, session: Poster) -> Response:
    rights = _rights_or_404(request, session)
    own_request(rights, session, request_id)
    return pages.see_other(f"/privacy/requests/{request_id}?sms={_send(rights, request_id)}")


@router.post("/requests/{request_id}/verify", response_model=None)
def verify(
    request: Request, request_id: str, session: Poster, code: Annotated[str, Form()] = ""
) -> Response:
    rights = _rights_or_404(request, session)
    own_request(rights, session, request_id)
    try:
        rights.verify(request_id, code.strip())
    except VerificationFailed as exc:
        return _status_page(request, session, request_id, error=str(exc), status_code=400)
    return pages.see_other(f"/privacy/requests/{request_id}?sms=verified")


@router.post("/requests/{request_id}/withdraw", response_model=None)
def withdraw(request: Request, request_id: str, session: Poster) -> Response:
    rights = _rights_or_404(request, session)
    found = own_request(rights, session, request_id)
    if found.status in WITHDRAWABLE:
        rights.withdraw_request(request_id, actor="subject")
    return pages.see_other(f"/privacy/requests/{request_id}?sms=withdrawn")


@router.get("/requests/{request_id}/archive", response_model=None)
def archive(request: Request, request_id: str, session: Viewer) -> Response:
    """The export of the user's own completed access, copy or transfer request."""
    rights = _rights_or_404(request, session)
    found = own_request(rights, session, request_id)
    if found.kind not in EXPORT_KINDS or found.status not in DONE:
        raise NotFound("该申请没有可下载的个人信息副本。")
    try:
        path, _ = rights.exports.download(request_id)  # ExportExpired: a 410 page
    except FileNotFoundError:
        raise NotFound("该申请没有可下载的个人信息副本。") from None
    return FileResponse(path, media_type="application/zip", filename=f"{request_id}.zip")


def _missing(kind: RightKind, trigger: str, element: str, value: str, text: str) -> str:
    """What the form lacks for ``kind``, in Chinese; empty when complete."""
    if kind is RightKind.DELETION and trigger not in DeletionTrigger._value2member_map_:
        return "请选择申请删除的原因。"
    if kind is RightKind.CORRECTION and (not element or not value.strip()):
        return "请选择要更正的信息并填写正确的内容。"
    if len(text) > TEXT_LIMIT:
        return f"说明请不要超过{TEXT_LIMIT}字。"
    return ""


def _rights_or_404(request: Request, session: PrivacySession) -> RightsService:
    rights = rights_for(request, session)
    if rights is None:
        raise NotFound("未找到该申请。")
    return rights


def _download(found: RightsRequest, rights: RightsService) -> dict[str, object] | None:
    """What the page says about the archive: None (no archive), expired, or ready with
    its expiry and, when encrypted, the passphrase that opens it."""
    if found.kind not in EXPORT_KINDS or found.status not in DONE:
        return None
    export = rights.exports.get(found.id)
    if export is not None and export.expired(rights.exports.now()):
        return {"expired": True}
    if not rights.exports.path(found.id).is_file():
        return None
    return {
        "expired": False,
        "expires": pages.in_china(export.expires_at) if export else "",
        "passphrase": export.passphrase if export else None,
    }


def _status_page(
    request: Request,
    session: PrivacySession,
    request_id: str,
    *,
    flash: str = "",
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    rights = _rights_or_404(request, session)
    found = own_request(rights, session, request_id)
    declaration = rights.engine.declaration(session.app_id)
    right = right_of(declaration, found.kind)
    context = {
        "app_id": session.app_id,
        "app_name": declaration.app.name,
        "r": found,
        "received": pages.in_china(found.received_at),
        "history": [(t.status.label, pages.in_china(t.at)) for t in found.history],
        "deadline": deadline_text(right),
        "verify": found.status is Status.RECEIVED,
        "withdrawable": found.status in WITHDRAWABLE,
        "download": _download(found, rights),
        "flash": flash,
        "error": error,
    }
    return pages.page(request, "request.html", context, session=session, status_code=status_code)
