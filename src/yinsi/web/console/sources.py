"""``/console/sources``: the register of vetted third-party sources (来源审查记录, X18).

Before the app obtains PI from a provider (a credit bureau, a data service) it asks yinsi,
which refuses a source not vetted here, revoked, or past its validity, and an element or
scenario outside what it was vetted for (PIPL Art. 13, 14; the register is the record of
that vetting). Everyone reads the register; admins record a vetting and revoke one, both
audited under their staff id (:class:`~yinsi.services.sourcing.SourcingService`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from yinsi.declaration import Declaration
from yinsi.declaration.view import taxonomy_of
from yinsi.lifecycle.sourcing import AuthorisedBy, SourceError, third_party_scenarios
from yinsi.web.console.auth import Reader, SourceKeeper
from yinsi.web.console.pages import app_id, done, page, today
from yinsi.web.console.routing import ConsoleRoute
from yinsi.web.site import Site, site_of

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

STANDING = {None: "有效", "source_revoked": "已撤销", "source_expired": "已过有效期"}
"""A vetting's standing today, as the register shows it."""


def _app(site: Site) -> str:
    found = app_id(site)
    if found is None:
        raise HTTPException(503, "尚未发布任何隐私政策：请先用 `yinsi publish` 发布声明。")
    return found


def _offer(declaration: Declaration, labels: dict[str, str]) -> list[dict[str, object]]:
    """What a source may be vetted for: each third-party scenario and its elements."""
    return [
        {
            "id": s.id,
            "name": s.name,
            "elements": [(e, labels.get(e, e)) for e in s.element_ids],
        }
        for s in third_party_scenarios(declaration)
    ]


@router.get("/console/sources", response_class=HTMLResponse)
def sources(request: Request, staff: Reader) -> HTMLResponse:
    site = site_of(request)
    app = app_id(site)
    listed = [] if app is None else site.services.sourcing.sources(app)
    declaration = None if app is None else site.services.consent.declaration(app)
    elements: dict[str, str] = {}
    scenarios: dict[str, str] = {}
    if declaration is not None:
        elements = {e.id: e.label for e in taxonomy_of(declaration).elements.values()}
        scenarios = {s.id: s.name for s in declaration.scenarios}
    day = today()
    context = {
        "sources": [(s, STANDING.get(s.standing(day), "尚未生效")) for s in listed],
        "offer": [] if declaration is None else _offer(declaration, elements),
        "element_labels": elements,
        "scenario_names": scenarios,
        "configured": app is not None,
    }
    return page(request, staff, "sources.html", context, active="sources")


@router.post("/console/sources")
def add(
    request: Request,
    staff: SourceKeeper,
    source_id: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=255)] = "",
    legal_ground: Annotated[str, Form(max_length=1000)] = "",
    scenario: Annotated[list[str] | None, Form()] = None,
    element: Annotated[list[str] | None, Form()] = None,
    authorised_by: Annotated[str, Form(max_length=16)] = "",
    authorisation_ref: Annotated[str, Form(max_length=1000)] = "",
    valid_until: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse:
    site = site_of(request)
    app = _app(site)
    missing = [
        label
        for label, value in (
            ("来源编号", source_id),
            ("提供方名称", name),
            ("合法性依据", legal_ground),
            ("授权依据", authorisation_ref),
            ("有效期至", valid_until),
        )
        if not value.strip()
    ]
    if not scenario or not element:
        missing.append("场景及可提供的信息")
    if missing:
        raise HTTPException(422, f"请填写：{'、'.join(missing)}。")
    try:
        until = date.fromisoformat(valid_until)
    except ValueError:
        raise HTTPException(422, "有效期的格式应为 2027-12-31。") from None
    try:
        by = AuthorisedBy(authorised_by)
    except ValueError:
        raise HTTPException(422, "请选择由谁取得个人的授权（我方或提供方）。") from None
    try:
        site.services.sourcing.add_source(
            app,
            source_id,
            name=name,
            legal_ground=legal_ground,
            elements=element or [],
            scenarios=scenario or [],
            authorised_by=by,
            authorisation_ref=authorisation_ref,
            vetted_by=staff.user.id,
            valid_until=until,
        )
    except SourceError as exc:
        raise HTTPException(422, f"无法登记该来源：{exc}") from None
    return done("/console/sources", "source_added")


@router.post("/console/sources/{source_id}/revoke")
def revoke(
    request: Request,
    source_id: str,
    staff: SourceKeeper,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> RedirectResponse:
    site = site_of(request)
    app = _app(site)
    if not reason.strip():
        raise HTTPException(422, "请填写撤销原因（例如：许可证被注销）。")
    try:
        site.services.sourcing.revoke(app, source_id, reason=reason.strip(), actor=staff.user.id)
    except SourceError as exc:
        raise HTTPException(404, f"没有该来源的审查记录：{exc}") from None
    return done("/console/sources", "source_revoked")
