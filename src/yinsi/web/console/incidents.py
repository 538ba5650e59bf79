"""``/console/incidents``: security incidents (PIPL Art. 57; X26) — record, notify, close.

Each action calls :class:`~yinsi.services.incidents.IncidentService` over the rights
service's data map and connectors, with the staff member's id as the actor. Opening
traces the affected subjects through the data map (a scan of the affected datasets);
notifying writes the user notice and the regulator report under
``YINSI_HOME/incidents`` and records who was told; the notice is shown on the page.
The list and an incident's page read through
:class:`~yinsi.services.reports.ReportsService`, which needs no data map.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from yinsi.lifecycle.incident_notice import render_notice
from yinsi.lifecycle.incidents import InvalidIncident
from yinsi.rights.ports import ConnectorError
from yinsi.services.incidents import IncidentService
from yinsi.taxonomy.timezone import CHINA
from yinsi.web.console.auth import IncidentHandler, Reader
from yinsi.web.console.pages import app_id, done, page, rights_of
from yinsi.web.console.routing import ConsoleRoute
from yinsi.web.site import Site, site_of

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

STATUS_LABELS = {"open": "处置中", "notified": "已告知", "closed": "已结束"}
AUDIENCES = {"users": "受影响用户", "public": "社会公众（公告）", "regulator": "监管部门"}


@contextmanager
def _service(site: Site) -> Iterator[IncidentService]:
    rights_of(site)  # 404 page without a data map
    try:
        yield site.services.incidents
    except InvalidIncident as exc:
        raise HTTPException(422, str(exc)) from None
    except ConnectorError as exc:
        raise HTTPException(502, f"无法读取业务数据存储，未能计算受影响用户：{exc}") from None


def _time(text: str, what: str) -> datetime:
    """A ``datetime-local`` value, read as Beijing time."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise HTTPException(422, f"{what}的格式应为 2026-03-01T09:30。") from None
    return at if at.utcoffset() is not None else at.replace(tzinfo=CHINA)


@router.get("/console/incidents", response_class=HTMLResponse)
def incidents(request: Request, staff: Reader) -> HTMLResponse:
    site = site_of(request)
    app = app_id(site)
    listed = [] if app is None else site.services.reports.incidents(app)
    datasets = [(d.id, d.label) for d in site.rights.data_map.datasets] if site.rights else []
    context = {
        "incidents": listed,
        "datasets": datasets,
        "labels": STATUS_LABELS,
        "configured": site.rights is not None,
    }
    return page(request, staff, "incidents.html", context, active="incidents")


@router.post("/console/incidents")
def open_incident(
    request: Request,
    staff: IncidentHandler,
    title: Annotated[str, Form(max_length=200)] = "",
    what_happened: Annotated[str, Form(max_length=5000)] = "",
    occurred_at: Annotated[str, Form(max_length=40)] = "",
    discovered_at: Annotated[str, Form(max_length=40)] = "",
    datasets: Annotated[list[str] | None, Form()] = None,
    possible_harm: Annotated[str, Form(max_length=5000)] = "",
    measures: Annotated[str, Form(max_length=5000)] = "",
    user_advice: Annotated[str, Form(max_length=5000)] = "",
) -> RedirectResponse:
    site = site_of(request)
    with _service(site) as service:
        incident = service.open(
            title=title.strip(),
            what_happened=what_happened.strip(),
            occurred_at=_time(occurred_at, "发生时间"),
            discovered_at=_time(discovered_at, "发现时间"),
            datasets=datasets or [],
            possible_harm=possible_harm.strip(),
            measures=measures.strip(),
            user_advice=user_advice.strip(),
            actor=staff.user.id,
        )
    return done(f"/console/incidents/{incident.id}", "incident_opened")


@router.get("/console/incidents/{incident_id}", response_class=HTMLResponse)
def incident(request: Request, incident_id: str, staff: Reader) -> HTMLResponse:
    site = site_of(request)
    found = site.services.reports.incident(incident_id)
    declaration = site.engine.declaration(found.app_id)
    labels = {d.id: d.label for d in site.rights.data_map.datasets} if site.rights else {}
    context = {
        "incident": found,
        "labels": STATUS_LABELS,
        "audiences": AUDIENCES,
        "datasets": labels,
        "notice": render_notice(found, declaration, "md") if found.notifications else "",
    }
    return page(request, staff, "incident.html", context, active="incidents")


@router.post("/console/incidents/{incident_id}/notify")
def notify(request: Request, incident_id: str, staff: IncidentHandler) -> RedirectResponse:
    site = site_of(request)
    folder = rights_of(site).export_dir.parent / "incidents"
    with _service(site) as service:
        service.notify(incident_id, folder, actor=staff.user.id)
    return done(f"/console/incidents/{incident_id}", "incident_notified")


@router.post("/console/incidents/{incident_id}/close")
def close(
    request: Request,
    incident_id: str,
    staff: IncidentHandler,
    note: Annotated[str, Form(max_length=5000)] = "",
) -> RedirectResponse:
    with _service(site_of(request)) as service:
        service.close_incident(incident_id, note.strip(), actor=staff.user.id)
    return done(f"/console/incidents/{incident_id}", "incident_closed")
