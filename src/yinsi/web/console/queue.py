"""``/console/queue``: the rights requests, by due date, overdue ones first and in red.

Deadlines are counted in Chinese working days (the request's due date); open requests
past it are overdue (X35), those due within 3 working days are due soon.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from yinsi.rights.deadlines import DeadlineStatus, classify
from yinsi.rights.requests import RightsRequest, Status
from yinsi.taxonomy import RightKind
from yinsi.web.console.auth import Reader
from yinsi.web.console.pages import page
from yinsi.web.console.routing import ConsoleRoute
from yinsi.web.site import site_of

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

FILTERS = {
    "open": "未办结",
    "overdue": "已逾期",
    "closed": "已办结",
    "all": "全部",
}


@dataclass(frozen=True, slots=True)
class Row:
    request: RightsRequest
    deadline: DeadlineStatus | None
    """None for a closed request or one whose clock has not started (not verified yet)."""
    days_late: int = 0

    @property
    def overdue(self) -> bool:
        return self.deadline is DeadlineStatus.OVERDUE


@router.get("/console", include_in_schema=False)
def home(_: Reader) -> RedirectResponse:
    return RedirectResponse("/console/queue", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/console/queue", response_class=HTMLResponse)
def queue(
    request: Request,
    staff: Reader,
    show: Annotated[str, Query(alias="show")] = "open",
    kind: Annotated[str, Query()] = "",
) -> HTMLResponse:
    rights = site_of(request).rights
    rows: list[Row] = []
    if rights is not None:
        today = rights.today()
        for r in rights.requests():  # by due date (none last), then received
            deadline = None
            late = 0
            if r.due is not None and not r.status.closed:
                deadline = classify(r.due.date, today, calendar=rights.calendar)
                late = (today - r.due.date).days
            rows.append(Row(r, deadline, late))
    show = show if show in FILTERS else "open"
    rows = [row for row in rows if _shown(row, show) and (not kind or row.request.kind == kind)]
    counts = {
        "overdue": sum(row.overdue for row in rows),
        "due_soon": sum(row.deadline is DeadlineStatus.DUE_SOON for row in rows),
    }
    context = {
        "rows": rows,
        "show": show,
        "filters": FILTERS,
        "kind": kind,
        "kinds": [k for k in RightKind if k is not RightKind.DECEASED_RELATIVES],
        "counts": counts,
        "configured": rights is not None,
        "verified": Status.VERIFIED,
    }
    return page(request, staff, "queue.html", context, active="queue")


def _shown(row: Row, show: str) -> bool:
    closed = row.request.status.closed
    return {
        "open": not closed,
        "overdue": row.overdue,
        "closed": closed,
        "all": True,
    }[show]
