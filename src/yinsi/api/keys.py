"""``/v1/keys``: API keys of this service (scope ``admin``): create, list, revoke.

The secret is answered once, at creation. A key revoked here is refused on its next
request to this process: the route empties the process's key cache
(:class:`~yinsi.services.api_keys.KeyCache` on ``app.state.keys``).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status

from yinsi.api.auth import Admin
from yinsi.api.deps import ApiKeys
from yinsi.api.models import KeyBody, KeyOut, NewKeyOut
from yinsi.api.pages import DEFAULT_LIMIT, PAGED, Cursor, Limit, page
from yinsi.api.responses import NOT_FOUND
from yinsi.services.api_keys import KeyCache

__all__ = ["create_key", "list_keys", "revoke_key", "router"]

router = APIRouter(tags=["keys"])


@router.post("/v1/keys", status_code=status.HTTP_201_CREATED)
def create_key(body: KeyBody, key: Admin, keys: ApiKeys) -> NewKeyOut:
    made, secret = keys.create(body.name, body.scopes, actor=key.id)
    return NewKeyOut(**KeyOut.of(made).model_dump(), secret=secret)


@router.get("/v1/keys", responses=PAGED)
def list_keys(
    _: Admin,
    keys: ApiKeys,
    request: Request,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[KeyOut]:
    """The keys of this service, a page at a time (``X-Next-Cursor``); never a secret."""
    found = page(keys.list(), request, response, route="keys", cursor=cursor, limit=limit)
    return [KeyOut.of(k) for k in found]


@router.post("/v1/keys/{key_id}:revoke", responses=NOT_FOUND)
def revoke_key(key_id: str, request: Request, key: Admin, keys: ApiKeys) -> KeyOut:
    revoked = keys.revoke(key_id, actor=key.id)
    cache: KeyCache = request.app.state.keys
    cache.clear()
    if revoked is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no API key {key_id!r}")
    return KeyOut.of(revoked)
