"""``/v1/policies``: publish a declaration (``admin``) and list an app's policy versions."""

from __future__ import annotations

from fastapi import APIRouter, status

from yinsi.api.auth import Admin, Anyone
from yinsi.api.deps import Consent
from yinsi.api.models import PolicyVersionOut, PublishBody

__all__ = ["policies", "publish", "router"]

router = APIRouter(tags=["policies"])


@router.post("/v1/policies", status_code=status.HTTP_201_CREATED)
def publish(body: PublishBody, key: Admin, consent: Consent) -> PolicyVersionOut:
    """Publish the declaration's text as a new policy version (audited under the key)."""
    text = body.declaration
    if "\n" not in text:  # a one-line string would be read as a server-side path
        text += "\n"
    return PolicyVersionOut.of(consent.publish(text, actor=key.id))


@router.get("/v1/apps/{app_id}/policies")
def policies(app_id: str, _: Anyone, consent: Consent) -> list[PolicyVersionOut]:
    """The app's published versions in publishing order (none for an unknown app)."""
    return [PolicyVersionOut.of(p) for p in consent.versions(app_id)]
