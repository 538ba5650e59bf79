"""``/v1/policies``: publish a declaration (``admin``) and list an app's policy versions."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from yinsi.api.auth import Admin, Anyone
from yinsi.api.deps import Consent
from yinsi.api.models import PolicyVersionOut, PublishBody
from yinsi.api.pages import DEFAULT_LIMIT, PAGED, Cursor, Limit, page
from yinsi.api.responses import CONFLICT

__all__ = ["policies", "publish", "router"]

router = APIRouter(tags=["policies"])


@router.post("/v1/policies", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def publish(body: PublishBody, key: Admin, consent: Consent) -> PolicyVersionOut:
    """Publish the declaration's text as a new policy version (audited under the key)."""
    text = body.declaration
    if "\n" not in text:  # a one-line string would be read as a server-side path
        text += "\n"
    return PolicyVersionOut.of(consent.publish(text, actor=key.id))


@router.get("/v1/apps/{app_id}/policies", responses=PAGED)
def policies(
    app_id: str,
    _: Anyone,
    consent: Consent,
    request: Request,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[PolicyVersionOut]:
    """The app's published versions in publishing order (none for an unknown app)."""
    versions = consent.versions(app_id)
    found = page(versions, request, response, route="policies", cursor=cursor, limit=limit)
    return [PolicyVersionOut.of(p) for p in found]
