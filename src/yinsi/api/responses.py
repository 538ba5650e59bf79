"""The error answers of the REST API as the OpenAPI document declares them.

Every error body is ``{"detail": …}``: a message (most), an object (an unknown name, a
failed verification, a refused provision…) or, for a request that does not fit its
schema, FastAPI's list of ``{"type", "loc", "msg"}`` (never the input sent). Route modules
merge these dicts into ``responses=``; :data:`KEYED` is added to every route that needs an
API key by :func:`yinsi.api.include`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = [
    "BAD_GATEWAY",
    "CONFLICT",
    "KEYED",
    "NOT_CONFIGURED",
    "NOT_FOUND",
    "FieldError",
    "Problem",
    "Responses",
]

Responses = dict[int | str, dict[str, Any]]


class FieldError(BaseModel):
    """One field that does not fit: where (``loc``), what (``msg``), which rule (``type``)."""

    type: str
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """An error answer."""

    detail: list[FieldError] | dict[str, Any] | str


def _problem(description: str, **more: Any) -> dict[str, Any]:
    return {"model": Problem, "description": description, **more}


KEYED: Responses = {
    400: _problem("A path or query that is not UTF-8, or a cursor this route did not make."),
    401: _problem(
        "No valid API key (`Authorization: Bearer <secret>`).",
        headers={"WWW-Authenticate": {"schema": {"type": "string"}}},
    ),
    403: _problem("The key lacks the route's scope, or the action is refused (see detail)."),
    413: _problem("The request body is over the size limit."),
    422: _problem(
        "The request does not fit: a list of fields (type, loc, msg), or a named problem "
        "(an unknown app, element, purpose, consent item…) with what to do."
    ),
    429: _problem(
        "Too many requests for this key or phone; retry after the given seconds.",
        headers={"Retry-After": {"schema": {"type": "integer"}}},
    ),
}
"""What any route behind an API key may answer besides its success."""

NOT_FOUND: Responses = {404: _problem("No such thing (named in detail).")}
CONFLICT: Responses = {409: _problem("Not now: the state does not allow it (see detail).")}
NOT_CONFIGURED: Responses = {
    503: _problem("Not configured here: start `yinsi serve` with the app's data map (--map).")
}
BAD_GATEWAY: Responses = {502: _problem("One of the app's stores did not answer (named).")}
