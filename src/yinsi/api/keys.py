"""``/v1/keys``: API keys of this service (scope ``admin``): create, list, revoke.

The secret is answered once, at creation. A key revoked here is refused on its next
request to this process: the route empties the process's key cache
(:class:`~yinsi.services.api_keys.KeyCache` on ``app.state.keys``).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from yinsi.api.auth import Admin
from yinsi.api.deps import ApiKeys
from yinsi.api.models import KeyBody, KeyOut, NewKeyOut
from yinsi.services.api_keys import KeyCache

__all__ = ["create_key", "list_keys", "revoke_key", "router"]

router = APIRouter(tags=["keys"])


@router.post("/v1/keys", status_code=status.HTTP_201_CREATED)
def create_key(body: KeyBody, key: Admin, keys: ApiKeys) -> NewKeyOut:
    made, secret = keys.create(body.name, body.scopes, actor=key.id)
    return NewKeyOut(**KeyOut.of(made).model_dump(), secret=secret)


@router.get("/v1/keys")
def list_keys(_: Admin, keys: ApiKeys) -> list[KeyOut]:
    return [KeyOut.of(k) for k in keys.list()]


@router.post("/v1/keys/{key_id}:revoke")
def revoke_key(key_id: str, request: Request, key: Admin, keys: ApiKeys) -> KeyOut:
    revoked = keys.revoke(key_id, actor=key.id)
    cache: KeyCache = request.app.state.keys
    cache.clear()
    if revoked is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no API key {key_id!r}")
    return KeyOut.of(revoked)
