"""``POST /v1/apps/{app_id}/subjects/{subject_id}/privacy-link``: open the privacy center.

The app's back-end (scope ``backend``) asks for a link when the signed-in user taps
"隐私中心", and opens it in a WebView. The link is signed with the site secret and valid
for ten minutes; opening it starts the user's session (:mod:`yinsi.web.privacy.session`).
It names the subject, so only the back-end that knows who is signed in may ask for it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from yinsi.api.auth import Backend
from yinsi.web.privacy.session import ENTRY_SECONDS, entry_link
from yinsi.web.site import site_of

__all__ = ["PrivacyLinkBody", "PrivacyLinkOut", "router"]


class PrivacyLinkBody(BaseModel):
    base_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="The address users reach this service at; default: the request's base URL.",
    )


class PrivacyLinkOut(BaseModel):
    url: str
    expires_in_s: int


router = APIRouter(tags=["privacy center"])


@router.post("/v1/apps/{app_id}/subjects/{subject_id}/privacy-link")
def privacy_link(
    app_id: str,
    subject_id: str,
    request: Request,
    key: Backend,
    body: PrivacyLinkBody | None = None,
) -> PrivacyLinkOut:
    """A signed link that opens the privacy center as this user, valid for ten minutes.

    Issuing it is audited: it lets whoever holds it act as the user for that time.
    """
    site = site_of(request)
    site.engine.current_version(app_id)  # 422 for an app nobody published
    base = (body.base_url if body and body.base_url else None) or str(request.base_url)
    with site.units() as uow:
        uow.audit.append(key.id, "privacy.link_issued", app_id, subject_id)
        uow.commit()
    return PrivacyLinkOut(
        url=entry_link(site.secret, base, app_id, subject_id), expires_in_s=ENTRY_SECONDS
    )
