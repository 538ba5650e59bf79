"""Cursor pagination of every list route: ``?limit=`` and ``?cursor=``, ``X-Next-Cursor``.

A list route answers a JSON array of at most ``limit`` items (default
:data:`DEFAULT_LIMIT`, at most :data:`MAX_LIMIT`). When more follow, the response carries
the opaque cursor of the next page in the ``X-Next-Cursor`` header (and a
``Link: <…>; rel="next"``); pass it back as ``?cursor=`` with the same filters. No header:
the last page. The array stays the body so that existing clients keep working.

A cursor names its route and a position (the last ``seq`` seen in a subject's ledger,
read page by page from the database; an index into the other, short lists). A cursor that
was not made by the route it is sent to is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from fastapi import HTTPException, Query, Request, Response, status

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "NEXT_CURSOR",
    "PAGED",
    "Cursor",
    "Limit",
    "decode",
    "encode",
    "page",
    "set_next",
]

T = TypeVar("T")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
NEXT_CURSOR = "X-Next-Cursor"

Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Items per page (1–{MAX_LIMIT})."),
]
Cursor = Annotated[
    str | None,
    Query(
        max_length=200,
        description="The X-Next-Cursor of the previous page; none for the first page.",
    ),
]

PAGED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One page; ``X-Next-Cursor`` is set when more follow.",
        "headers": {
            NEXT_CURSOR: {
                "description": "The cursor of the next page (absent on the last page).",
                "schema": {"type": "string"},
            },
            "Link": {
                "description": 'The next page\'s URL, ``rel="next"`` (absent on the last page).',
                "schema": {"type": "string"},
            },
        },
    },
    400: {"description": "The cursor was not made by this route (or is damaged)."},
}
"""``responses=`` of a list route (merge with the route's other answers)."""


def encode(route: str, position: int) -> str:
    raw = json.dumps({"r": route, "p": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, route: str) -> int:
    """The position in ``cursor`` (0 without one); 400 for a cursor of another route."""
    if cursor is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        position = data["p"]
        valid = data["r"] == route and type(position) is int and position >= 0
    except (binascii.Error, ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "cursor 无效：请传回上一页响应头 X-Next-Cursor 的值，或去掉 cursor 从第一页开始",
        )
    return int(position)


def set_next(request: Request, response: Response, route: str, position: int) -> None:
    """Mark ``response`` as followed by the page starting after ``position``."""
    cursor = encode(route, position)
    response.headers[NEXT_CURSOR] = cursor
    url = request.url.include_query_params(cursor=cursor)
    response.headers["Link"] = f'<{url}>; rel="next"'


def page(
    items: Sequence[T],
    request: Request,
    response: Response,
    *,
    route: str,
    cursor: str | None,
    limit: int,
) -> Sequence[T]:
    """One page of ``items`` (a list already in its stable order)."""
    start = decode(cursor, route)
    end = start + limit
    if end < len(items):
        set_next(request, response, route, end)
    return items[start:end]
