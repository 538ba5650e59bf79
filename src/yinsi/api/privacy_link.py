"""``POST /v1/apps/{app_id}/subjects/{subject_id}/privacy-link``: open the privacy center.

The app's back-end (scope ``backend``) asks for a link when the signed-in user taps
"隐私中心", and opens it in a WebView. The link is signed with the site secret and valid
for ten minutes (:mod:`yinsi.security.entry_links`); opening it starts the user's session
in the privacy center. It names the subject, so only the back-end that knows who is
signed in may ask for it. The secret is the one the pages check links with, given to
:func:`yinsi.api.include` as ``entry_secret``; without it (a process that serves no
pages) the route answers 503.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field

from yinsi.api.auth import Backend
from yinsi.api.deps import PrivacyLinks
from yinsi.api.responses import NOT_CONFIGURED

__all__ = ["PrivacyLinkBody", "PrivacyLinkOut", "privacy_link", "router"]

NO_PAGES = "this process serves no privacy center: entry links are issued by yinsi serve"


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


@router.post("/v1/apps/{app_id}/subjects/{subject_id}/privacy-link", responses=NOT_CONFIGURED)
def privacy_link(
    app_id: str,
    subject_id: str,
    request: Request,
    key: Backend,
    links: PrivacyLinks,
    body: PrivacyLinkBody | None = None,
) -> PrivacyLinkOut:
    """A signed link that opens the privacy center as this user, valid for ten minutes.

    Issuing it is audited: it lets whoever holds it act as the user for that time.
    """
    secret: bytes | None = request.app.state.entry_secret
    if secret is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, NO_PAGES)
    base = (body.base_url if body and body.base_url else None) or str(request.base_url)
    link = links.issue(app_id, subject_id, secret=secret, base_url=base, actor=key.id)
    return PrivacyLinkOut(url=link.url, expires_in_s=link.expires_in_s)
