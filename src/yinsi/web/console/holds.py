"""``/console/holds``: legal holds (a dispute, a court order, a regulator's inquiry).

A held subject's data is kept through a deletion and restricted: only storage and security
go on (PIPL Art. 47 para. 2, X28). Operators and admins add and release holds through
:class:`~yinsi.services.rights.RightsService`; both are audited under their staff id.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from yinsi.web.console.auth import HoldKeeper, Reader
from yinsi.web.console.pages import app_id, done, page, rights_of
from yinsi.web.console.routing import ConsoleRoute
from yinsi.web.site import site_of

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)


@router.get("/console/holds", response_class=HTMLResponse)
def holds(
    request: Request,
    staff: Reader,
    subject: Annotated[str, Query(max_length=255)] = "",
    released: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    site = site_of(request)
    app = app_id(site)
    listed = [] if app is None else site.services.reports.holds(app, released=released)
    datasets = {d.id: d.label for d in site.rights.data_map.datasets} if site.rights else {}
    context = {
        "holds": listed,
        "datasets": datasets,
        "subject": subject,
        "released": released,
        "configured": site.rights is not None,
    }
    return page(request, staff, "holds.html", context, active="holds")


@router.post("/console/holds")
def add(
    request: Request,
    staff: HoldKeeper,
    subject_id: Annotated[str, Form(max_length=255)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
    dataset: Annotated[str, Form(max_length=255)] = "",
    until: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse:
    rights = rights_of(site_of(request))
    if not subject_id.strip() or not reason.strip():
        raise HTTPException(422, "请填写用户编号和保全原因（原因会告知提出删除请求的用户）。")
    known = {d.id for d in rights.data_map.datasets}
    if dataset and dataset not in known:
        raise HTTPException(422, f"数据地图中没有数据集「{dataset}」。")
    end = None
    if until:
        try:
            end = date.fromisoformat(until)
        except ValueError:
            raise HTTPException(422, "保全截止日期的格式应为 2026-12-31。") from None
        if end < rights.today():
            raise HTTPException(422, "保全截止日期不能早于今天。")
    rights.add_hold(
        subject_id.strip(),
        reason.strip(),
        actor=staff.user.id,
        dataset=dataset or None,
        until=end,
    )
    return done("/console/holds", "hold_added")


@router.post("/console/holds/{hold_id}/release")
def release(request: Request, hold_id: str, staff: HoldKeeper) -> RedirectResponse:
    rights = rights_of(site_of(request))
    rights.release_hold(hold_id, actor=staff.user.id)
    return done("/console/holds", "hold_released")
