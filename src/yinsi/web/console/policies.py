"""``/console/policies``: the published policy versions and the re-consent campaign.

Per version: its material changes (X03) and how many subjects accepted it last; how many
are still on an older version — they are decided under the version they accepted, the new
one applies to them only once they accept it, and declining it leaves browse-only mode
(X02, W19). An admin starts a campaign for the current version (recorded and audited)
and downloads the subject ids to notify as CSV: those still behind at download time.
Publishing a new version is :mod:`yinsi.web.console.publish`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse

from yinsi.consent import UnknownName
from yinsi.services.campaigns import CampaignService
from yinsi.web.console.auth import Campaigner, Reader
from yinsi.web.console.pages import app_id, done, page
from yinsi.web.console.routing import ConsoleRoute
from yinsi.web.site import site_of

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

CSV_BATCH = 1000
NO_VERSION = "尚未发布任何政策版本，无需发起重新同意。"


def _overview(campaigns: CampaignService, app: str) -> dict[str, Any]:
    found = campaigns.overview(app)
    return {
        "app": app,
        "versions": list(reversed(found.versions)),
        "current": found.current,
        "accepted": found.accepted,
        "behind": found.behind,
        "never": found.accepted.get(None, 0),
        "campaigns": list(found.campaigns),
    }


def _csv_lines(subjects: Iterator[str]) -> Iterator[str]:
    yield "subject_id\r\n"
    batch: list[str] = []
    for subject in subjects:
        batch.append(subject + "\r\n")
        if len(batch) >= CSV_BATCH:
            yield "".join(batch)
            batch = []
    yield "".join(batch)


@router.get("/console/policies", response_class=HTMLResponse)
def policies(request: Request, staff: Reader) -> HTMLResponse:
    site = site_of(request)
    app = app_id(site)
    context = {"app": None} if app is None else _overview(site.services.campaigns, app)
    return page(request, staff, "policies.html", context, active="policies")


@router.post("/console/policies/campaign")
def start_campaign(request: Request, staff: Campaigner) -> RedirectResponse:
    site = site_of(request)
    app = app_id(site)
    if app is None:
        raise HTTPException(409, NO_VERSION)
    try:
        site.services.campaigns.start(app, actor=staff.user.id)
    except UnknownName:
        raise HTTPException(409, NO_VERSION) from None
    return done("/console/policies", "campaign")


@router.get("/console/policies/campaigns/{campaign_id}.csv")
def campaign_csv(request: Request, campaign_id: str, staff: Campaigner) -> StreamingResponse:
    campaigns = site_of(request).services.campaigns
    campaign = campaigns.export(campaign_id, actor=staff.user.id)
    if campaign is None:
        raise HTTPException(404, "没有这个重新同意活动，请从政策版本页面下载名单。")
    name = f"reconsent-{campaign.app_id}-{campaign.version}.csv"
    return StreamingResponse(
        _csv_lines(campaigns.recipients(campaign)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
