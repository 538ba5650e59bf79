"""Pages anyone may read, with or without a session: the documents of every published
version, the list of versions, the highlighted difference between two versions, and the
device permissions and third-party SDKs explained.

They are addressed by app (``/privacy/apps/{app_id}/…``), so a link works outside the
app's WebView too. With a session, the SDK page also says which SDKs are enabled for the
user now (W12).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from yinsi.policy.phrases import version_label
from yinsi.services.sdk_gate import sdk_manifest
from yinsi.web.privacy import pages, views
from yinsi.web.privacy.changes import change_rows
from yinsi.web.privacy.documents import DOCS, document, markdown
from yinsi.web.privacy.route import NotFound, PrivacyRoute, Visitor
from yinsi.web.privacy.textdiff import text_diff
from yinsi.web.site import site_of

__all__ = ["router"]


router = APIRouter(
    prefix="/privacy/apps/{app_id}", include_in_schema=False, route_class=PrivacyRoute
)


@router.get("/docs/{doc}", response_class=HTMLResponse)
def doc_page(
    request: Request, app_id: str, doc: str, session: Visitor, version: str | None = None
) -> HTMLResponse:
    """One document of a version (the current one by default)."""
    if doc not in DOCS:
        raise NotFound("没有这份文件。")
    engine = site_of(request).engine
    declaration = engine.declaration(app_id, version)
    current = engine.current_version(app_id)
    shown = declaration.policy.version
    context = {
        "app_id": app_id,
        "app_name": declaration.app.name,
        "doc": doc,
        "docs": DOCS,
        "title": DOCS[doc],
        "document": document(declaration, doc),
        "version": shown,
        "version_label": version_label(shown),
        "old": shown != current,
        "current_label": version_label(current),
    }
    return pages.page(request, "document.html", context, session=session)


@router.get("/versions", response_class=HTMLResponse)
def versions(request: Request, app_id: str, session: Visitor) -> HTMLResponse:
    """Every published version, newest first (X01), with what the user accepted."""
    site = site_of(request)
    published = site.engine.versions(app_id)
    if not published:
        raise NotFound("该应用尚未发布隐私政策。")
    accepted = (
        site.engine.state(app_id, session.subject_id).accepted_version
        if session is not None and session.app_id == app_id
        else None
    )
    current = published[-1].version
    declaration = site.engine.declaration(app_id)
    # the change log of the current declaration (policy.changes), by version
    summaries = {c.version: c.summary for c in declaration.policy.changes}
    rows = [
        {
            "version": p.version,
            "label": version_label(p.version),
            "effective": p.effective,
            "published": pages.in_china(p.published_at),
            "previous": p.previous_version,
            "material": p.material,
            "current": p.version == current,
            "accepted": p.version == accepted,
            "summary": summaries.get(p.version, ""),
        }
        for p in reversed(published)
    ]
    context = {
        "app_id": app_id,
        "app_name": declaration.app.name,
        "rows": rows,
        "current": current,
    }
    return pages.page(request, "versions.html", context, session=session)


@router.get("/diff", response_class=HTMLResponse)
def version_diff(
    request: Request,
    app_id: str,
    session: Visitor,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
) -> HTMLResponse:
    """What changed from version ``from`` to ``to`` (the current one by default)."""
    engine = site_of(request).engine
    if not from_:
        raise NotFound("请指定要对比的版本。")
    old = engine.declaration(app_id, from_)
    new = engine.declaration(app_id, to)
    context = {
        "app_id": app_id,
        "app_name": new.app.name,
        "old_label": version_label(old.policy.version),
        "new_label": version_label(new.policy.version),
        "old_version": old.policy.version,
        "new_version": new.policy.version,
        "changes": change_rows(old, new),
        "hunks": text_diff(markdown(old, "policy"), markdown(new, "policy")),
    }
    return pages.page(request, "diff.html", context, session=session)


@router.get("/permissions", response_class=HTMLResponse)
def permissions(request: Request, app_id: str, session: Visitor) -> HTMLResponse:
    """Device permissions (when asked, what for, what if refused) and the SDK list."""
    engine = site_of(request).engine
    declaration = engine.declaration(app_id)
    mine = session is not None and session.app_id == app_id
    manifest = sdk_manifest(engine, app_id, session.subject_id) if mine and session else None
    context = {
        "app_id": app_id,
        "app_name": declaration.app.name,
        "permissions": views.permissions(declaration),
        "sdks": views.sdks(declaration, manifest),
        "h5_links": declaration.h5_links,
        "personal": manifest is not None,
    }
    return pages.page(request, "permissions.html", context, session=session)
