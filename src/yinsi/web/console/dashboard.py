"""``/console/dashboard``: requests per week by kind, the median time to close, consent rates
per purpose — three server-drawn charts (:mod:`yinsi.web.console.charts`), each with its
table.

The figures are computed here from the aggregates the reports service reads
(:meth:`yinsi.services.reports.ReportsService.dashboard`):

- weeks run Monday to Sunday in China (UTC+8); the last :data:`WEEKS` weeks, this one
  included;
- time to close: from receipt to the first closing transition (completed, partially
  completed, refused, withdrawn), in calendar days, by the week the request came in;
- consent rate of a purpose: the share of subjects with a consent state for whom at least
  one consent-based scenario of the purpose has every consent item it names granted (so
  the purpose may be processed for them in some scenario).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from yinsi.declaration import Declaration, taxonomy_of
from yinsi.services.reports import Dashboard, RequestTimes
from yinsi.taxonomy import LegalBasis, RightKind
from yinsi.taxonomy.timezone import CHINA
from yinsi.web.console.auth import Reader
from yinsi.web.console.charts import Chart, Series, line, rate_bars, stacked_bars
from yinsi.web.console.pages import app_id, page, today
from yinsi.web.console.routing import ConsoleRoute
from yinsi.web.site import site_of

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

WEEKS = 8


def week_of(at: datetime) -> date:
    """The Monday (in China) of the week ``at`` falls in."""
    day = at.astimezone(CHINA).date()
    return day - timedelta(days=day.weekday())


def weeks_until(day: date, count: int = WEEKS) -> list[date]:
    """The Mondays of the ``count`` weeks up to the one holding ``day``, oldest first."""
    last = day - timedelta(days=day.weekday())
    return [last - timedelta(weeks=count - 1 - i) for i in range(count)]


def requests_per_week(times: Iterable[RequestTimes], weeks: Sequence[date]) -> list[Series]:
    """One series per request kind seen, its count in each week."""
    counts: Counter[tuple[str, date]] = Counter((t.kind, week_of(t.received_at)) for t in times)
    kinds = [k for k in RightKind if any(counts[(k.value, w)] for w in weeks)]
    return [Series(k.label, tuple(float(counts[(k.value, w)]) for w in weeks)) for k in kinds]


def days_to_close(t: RequestTimes) -> float | None:
    if t.closed_at is None:
        return None
    return (t.closed_at - t.received_at).total_seconds() / 86400


def median_days(times: Iterable[RequestTimes], weeks: Sequence[date]) -> list[float | None]:
    """Per week of receipt, the median days to close of the requests closed so far."""
    by_week: dict[date, list[float]] = {w: [] for w in weeks}
    for t in times:
        days = days_to_close(t)
        week = week_of(t.received_at)
        if days is not None and week in by_week:
            by_week[week].append(days)
    return [round(median(v), 1) if v else None for v in by_week.values()]


def consent_rates(
    declaration: Declaration, granted_sets: Sequence[tuple[frozenset[str], int]]
) -> list[tuple[str, float]]:
    """(purpose label, rate) for every purpose that consent items gate, in declaration order."""
    total = sum(count for _, count in granted_sets)
    labels = taxonomy_of(declaration).purposes
    gates: dict[str, list[frozenset[str]]] = {}
    for s in declaration.scenarios:
        if s.legal_basis is LegalBasis.CONSENT and s.consents:
            for purpose in s.purposes:
                gates.setdefault(purpose, []).append(frozenset(s.consents))
    rates = []
    for purpose, needs in gates.items():
        consented = sum(
            count for granted, count in granted_sets if any(n <= granted for n in needs)
        )
        label = labels[purpose].label if purpose in labels else purpose
        rates.append((label, consented / total if total else 0.0))
    return rates


def _charts(
    times: list[RequestTimes],
    sets: list[tuple[frozenset[str], int]],
    declaration: Declaration | None,
    day: date,
) -> list[Chart]:
    weeks = weeks_until(day)
    labels = [f"{w.month}/{w.day}" for w in weeks]
    charts = [
        stacked_bars(
            "per-week",
            "每周受理的权利请求（按类型）",
            labels,
            requests_per_week(times, weeks),
            unit="件",
        ),
        line(
            "time-to-close",
            "办结时长中位数（按受理周）",
            labels,
            median_days(times, weeks),
            unit="天",
        ),
    ]
    if declaration is not None and sets:
        rates = consent_rates(declaration, sets)
        charts.append(
            rate_bars(
                "consent-rates",
                "各处理目的的同意率",
                [label for label, _ in rates],
                [rate for _, rate in rates],
                basis=f"共{sum(c for _, c in sets)}位有同意记录的用户",
            )
        )
    return charts


@router.get("/console/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, staff: Reader) -> HTMLResponse:
    site = site_of(request)
    app = app_id(site)
    day = site.rights.today() if site.rights else today()
    since = datetime.combine(weeks_until(day)[0], datetime.min.time(), CHINA)
    found = (
        Dashboard([], [], [], {}, None)
        if app is None
        else site.services.reports.dashboard(app, since)
    )
    closed = [d for d in map(days_to_close, found.times) if d is not None]
    current = found.versions[-1].version if found.versions else None
    context: dict[str, Any] = {
        "charts": _charts(found.times, found.granted_sets, found.declaration, day),
        "received": len(found.times),
        "closed": len(closed),
        "median": round(median(closed), 1) if closed else None,
        "subjects": sum(found.accepted.values()),
        "current": current,
        "on_current": found.accepted.get(current, 0) if current else 0,
    }
    return page(request, staff, "dashboard.html", context, active="dashboard")
