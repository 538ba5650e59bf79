"""The entry page, the entry link that opens a session, and accepting or declining the policy.

A user who has not accepted the current version sees it first (X02, W19): what changed
since the version they accepted (material changes first, X03), the new text and the
difference, and two buttons: 同意, or 暂不同意，仅浏览 (the declaration's ``on_decline``).
Declining is recorded too; processing then continues only as the accepted version and
the decline mode allow, and the new version stays offered on this page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yinsi.policy.phrases import DECLINE, version_label
from yinsi.services.privacy_links import Redeemed
from yinsi.taxonomy import DeclineMode
from yinsi.web.privacy import pages
from yinsi.web.privacy.changes import ChangeRow, change_rows
from yinsi.web.privacy.route import Poster, PrivacyRoute, Visitor
from yinsi.web.privacy.session import PrivacySession, open_entry, remember
from yinsi.web.site import Site, site_of

__all__ = ["PolicyPrompt", "router"]

FLASH = {
    "accepted": "感谢您的同意，新版隐私政策已对您生效。",
    "declined": "您已选择暂不同意新版政策，目前处于仅浏览模式；您可以随时在本页同意新版政策。",
}


@dataclass(frozen=True, slots=True)
class PolicyPrompt:
    """The version the user has not accepted yet, and what changed for them."""

    version: str
    version_label: str
    title: str
    effective: str
    accepted: str | None
    """The label of the version the user accepted before, if any."""
    accepted_version: str | None
    declined: bool
    decline_mode: str
    on_decline: str
    changes: tuple[ChangeRow, ...]

    @property
    def material(self) -> tuple[ChangeRow, ...]:
        return tuple(c for c in self.changes if c.material)


def prompt(site: Site, session: PrivacySession) -> PolicyPrompt | None:
    """None when the subject has accepted the current version."""
    engine = site.engine
    current = engine.declaration(session.app_id)
    state = engine.state(session.app_id, session.subject_id)
    version = current.policy.version
    if state.accepted_version == version:
        return None
    accepted = state.accepted_version
    changes = change_rows(engine.declaration(session.app_id, accepted), current) if accepted else []
    return PolicyPrompt(
        version=version,
        version_label=version_label(version),
        title=current.policy.title,
        effective=f"{current.policy.effective.year}年{current.policy.effective.month}月"
        f"{current.policy.effective.day}日",
        accepted=version_label(accepted) if accepted else None,
        accepted_version=accepted,
        declined=state.declined_version == version,
        decline_mode=(current.policy.on_decline or DeclineMode.BROWSE_ONLY).label,
        on_decline=DECLINE[current.policy.on_decline or DeclineMode.BROWSE_ONLY],
        changes=tuple(changes),
    )


router = APIRouter(prefix="/privacy", include_in_schema=False, route_class=PrivacyRoute)


@router.get("", response_class=HTMLResponse)
def home(request: Request, session: Visitor, done: str = "") -> HTMLResponse:
    site = site_of(request)
    if session is None:
        app_id = site.rights.data_map.app if site.rights else None
        return pages.page(request, "home.html", {"app_id": app_id, "anonymous": True})
    declaration = site.engine.declaration(session.app_id)
    rights = site.rights if site.rights and site.rights.data_map.app == session.app_id else None
    open_requests = (
        [r for r in rights.requests(subject_id=session.subject_id) if not r.status.closed]
        if rights
        else []
    )
    context = {
        "app_id": session.app_id,
        "app_name": declaration.app.name,
        "prompt": prompt(site, session),
        "open_requests": len(open_requests),
        "flash": FLASH.get(done, ""),
    }
    return pages.page(request, "home.html", context, session=session)


@router.get("/enter")
def enter(request: Request, t: str = "") -> Response:
    """The app's signed entry link: open a session (once per link) and go to the entry page."""
    site = site_of(request)
    redeemed = site.services.privacy_links.redeem(t, secret=site.secret)
    if redeemed is Redeemed.USED:
        return pages.page(request, "need_session.html", {"used": True}, status_code=410)
    session = open_entry(site.secret, t) if redeemed is Redeemed.OPENED else None
    if session is None:
        return pages.page(request, "need_session.html", {"expired": True}, status_code=401)
    remember(request, session)  # the route class sets its cookie on the redirect
    return RedirectResponse("/privacy", status_code=303)


@router.post("/policy/accept")
def accept(request: Request, session: Poster, version: Annotated[str, Form()]) -> RedirectResponse:
    """Accept exactly the version the page showed (not whatever is latest by now)."""
    site_of(request).engine.accept_policy(
        session.app_id,
        session.subject_id,
        version=version,
        evidence=pages.evidence(request, session),
        actor="privacy-center",
    )
    return pages.see_other("/privacy?done=accepted")


@router.post("/policy/decline")
def decline(request: Request, session: Poster, version: Annotated[str, Form()]) -> RedirectResponse:
    site_of(request).engine.decline_policy(
        session.app_id,
        session.subject_id,
        version=version,
        evidence=pages.evidence(request, session),
        actor="privacy-center",
    )
    return pages.see_other("/privacy?done=declined")
