"""Publishing a policy version from the console, in two steps (admins only).

1. ``POST /console/policies/preview``: the YAML pasted or uploaded is validated and
   compared with the current version (:func:`yinsi.declaration.diff.diff`); the page
   lists every change and flags the material ones, which need fresh consent (X03).
2. ``POST /console/policies/publish``: the same text (carried in the confirmation form)
   is published with :meth:`yinsi.Engine.publish`, audited under the admin's id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from yinsi.consent import UnknownName
from yinsi.declaration import Declaration, DeclarationError, loads
from yinsi.declaration.diff import SECTIONS, Change, diff
from yinsi.services.errors import PolicyAppMismatch, PolicyVersionConflict
from yinsi.web.console.auth import Publisher, Staff
from yinsi.web.console.pages import app_id, done, page
from yinsi.web.console.routing import ConsoleRoute
from yinsi.web.site import Site, site_of

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

MAX_BYTES = 2_000_000
KIND_LABELS = {"added": "新增", "removed": "删除", "changed": "修改"}


async def _text(pasted: str, upload: UploadFile | None) -> str:
    if upload is not None and upload.filename:
        data = await upload.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise HTTPException(413, "声明文件超过 2 MB，请检查是否上传了正确的 YAML 文件。")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(
                422, "声明文件不是 UTF-8 编码的文本，请另存为 UTF-8 后重试。"
            ) from None
    return pasted


def _current(site: Site, app: str | None) -> Declaration | None:
    if app is None:
        return None
    try:
        return site.engine.declaration(app)
    except UnknownName:
        return None


def _preview(request: Request, staff: Staff, text: str) -> HTMLResponse:
    site = site_of(request)
    app = app_id(site)
    context: dict[str, Any] = {"text": text, "problems": [], "changes": [], "new": None}
    if not text.strip():
        context["problems"] = ["请粘贴声明的 YAML 内容，或选择一个 YAML 文件。"]
        return page(request, staff, "publish.html", context, active="policies", status_code=422)
    if "\n" not in text:
        text += "\n"  # one line would be read as a path by Engine.publish
        context["text"] = text
    try:
        new = loads(text, "声明")
    except DeclarationError as exc:
        context["problems"] = [str(p) for p in exc.problems if p.severity == "error"]
        return page(request, staff, "publish.html", context, active="policies", status_code=422)
    current = _current(site, app)
    if app is not None and new.app.id != app:
        context["problems"] = [f"该声明属于应用「{new.app.id}」，而本控制台管理的是「{app}」。"]
        return page(request, staff, "publish.html", context, active="policies", status_code=422)
    changes: list[Change] = [] if current is None else diff(current, new)
    context |= {
        "new": new,
        "current": current,
        "changes": changes,
        "material": [c for c in changes if c.material],
        "sections": SECTIONS,
        "kinds": KIND_LABELS,
        "same_version": current is not None and current.policy.version == new.policy.version,
    }
    return page(request, staff, "publish.html", context, active="policies")


@router.post("/console/policies/preview", response_class=HTMLResponse)
async def preview(
    request: Request,
    staff: Publisher,
    declaration: Annotated[str, Form(max_length=MAX_BYTES)] = "",
    file: UploadFile | None = None,
) -> HTMLResponse:
    text = await _text(declaration, file)
    return await run_in_threadpool(_preview, request, staff, text)


@router.post("/console/policies/publish")
def publish(
    request: Request,
    staff: Publisher,
    declaration: Annotated[str, Form(max_length=MAX_BYTES)] = "",
) -> RedirectResponse:
    site = site_of(request)
    text = declaration if "\n" in declaration else declaration + "\n"
    try:
        site.engine.publish(text, actor=staff.user.id)
    except DeclarationError:
        raise HTTPException(422, "声明未通过校验，请返回预览页面修正后再发布。") from None
    except PolicyVersionConflict as exc:
        raise HTTPException(
            409,
            f"版本 {exc.version} 已以不同内容发布过：已发布的版本不可修改（X01），"
            "请在声明中提高 policy.version 后重新预览。",
        ) from None
    except PolicyAppMismatch:
        raise HTTPException(422, "该声明属于其他应用，不能在此发布。") from None
    return done("/console/policies", "published")
