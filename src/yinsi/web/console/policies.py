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

from yinsi.declaration.versions import PolicyVersion
from yinsi.web.console.auth import Campaigner, Reader
from yinsi.web.console.pages import app_id, done, page
from yinsi.web.site import Site, site_of

CSV_BATCH = 1000


def behind(versions: list[PolicyVersion], accepted: dict[str | None, int]) -> int:
    """Subjects whose last accepted version is older than the current (last) one."""
    return sum(accepted.get(v.version, 0) for v in versions[:-1])


def _overview(site: Site, app: str) -> dict[str, Any]:
    with site.units() as uow:
        versions = uow.policies.list(app)
        accepted = uow.reports.accepted_versions(app)
        campaigns = uow.campaigns.list(app)
    current = versions[-1] if versions else None
    return {
        "app": app,
        "versions": list(reversed(versions)),
        "current": current,
        "accepted": accepted,
        "behind": behind(versions, accepted),
        "never": accepted.get(None, 0),
        "campaigns": campaigns,
    }


def _csv_lines(site: Site, app: str, version: str) -> Iterator[str]:
    yield "subject_id\r\n"
    with site.units() as uow:
        batch: list[str] = []
        for subject in uow.reports.subjects_behind(app, version):
            batch.append(subject + "\r\n")
            if len(batch) >= CSV_BATCH:
                yield "".join(batch)
                batch = []
        yield "".join(batch)


def add_routes(routes: APIRouter) -> None:
    """Add this page's routes to the console's router."""

    @routes.get("/console/policies", response_class=HTMLResponse)
    def policies(request: Request, staff: Reader) -> HTMLResponse:
        site = site_of(request)
        app = app_id(site)
        context = {"app": None} if app is None else _overview(site, app)
        return page(request, staff, "policies.html", context, active="policies")

    @routes.post("/console/policies/campaign")
    def start_campaign(request: Request, staff: Campaigner) -> RedirectResponse:
        site = site_of(request)
        app = app_id(site)
        if app is None:
            raise HTTPException(409, "尚未发布任何政策版本，无需发起重新同意。")
        with site.units() as uow:
            versions = uow.policies.list(app)
            count = behind(versions, uow.reports.accepted_versions(app))
            uow.campaigns.start(app, versions[-1].version, count, actor=staff.user.id)
            uow.commit()
        return done("/console/policies", "campaign")

    @routes.get("/console/policies/campaigns/{campaign_id}.csv")
    def campaign_csv(request: Request, campaign_id: str, staff: Campaigner) -> StreamingResponse:
        site = site_of(request)
        with site.units() as uow:
            campaign = uow.campaigns.get(campaign_id)
            if campaign is None:
                raise HTTPException(404, "没有这个重新同意活动，请从政策版本页面下载名单。")
            uow.audit.append(
                staff.user.id,
                "consent.campaign_exported",
                campaign.app_id,
                details={"campaign_id": campaign.id, "version": campaign.version},
            )
            uow.commit()
        name = f"reconsent-{campaign.app_id}-{campaign.version}.csv"
        return StreamingResponse(
            _csv_lines(site, campaign.app_id, campaign.version),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
