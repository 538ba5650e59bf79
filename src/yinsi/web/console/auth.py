"""Who is signed in, and what each role may do — checked on the server for every request.

The session cookie (``yinsi_console``, path ``/console``) is HttpOnly and SameSite=Strict,
``Secure`` when the site says so. Every console route depends on :func:`require` with an
:class:`Action`: anonymous visitors are sent to the login page (GET) or refused with 401
(POST); every POST must carry the session's CSRF token; a role that may not act gets
403 even if it forged the form. Templates hide the buttons a role may not use with
``staff.can(...)``, from the same table (:data:`ALLOWED`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from yinsi.security.staff import Role, StaffSession, StaffUser
from yinsi.web import csrf
from yinsi.web.console.routing import Forbidden, LoginRequired
from yinsi.web.site import Site, site_of

COOKIE = "yinsi_console"
PATH = "/console"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Action(StrEnum):
    READ = "read"
    DECIDE = "decide"
    """Approve, refuse, run and answer rights requests."""
    HOLDS = "holds"
    INCIDENTS = "incidents"
    PUBLISH = "publish"
    SOURCES = "sources"
    """Record and revoke vettings of third-party sources (X18)."""
    CAMPAIGN = "campaign"
    STAFF = "staff"


_EVERYONE = frozenset(Role)
_OPERATORS = frozenset({Role.ADMIN, Role.OPERATOR})
_ADMINS = frozenset({Role.ADMIN})
ALLOWED: dict[Action, frozenset[Role]] = {
    Action.READ: _EVERYONE,
    Action.DECIDE: _OPERATORS,
    Action.HOLDS: _OPERATORS,
    Action.INCIDENTS: _OPERATORS,
    Action.PUBLISH: _ADMINS,
    Action.SOURCES: _ADMINS,
    Action.CAMPAIGN: _ADMINS,
    Action.STAFF: _ADMINS,
}
_WHO = {_EVERYONE: "所有角色", _OPERATORS: "管理员或运营专员", _ADMINS: "管理员"}


@dataclass(frozen=True, slots=True)
class Staff:
    """The signed-in member of staff on this request."""

    user: StaffUser
    session: StaffSession
    csrf: str

    def can(self, action: Action | str) -> bool:
        return self.user.role in ALLOWED[Action(action)]


def signed_in(request: Request) -> tuple[StaffUser, StaffSession] | None:
    """The session of the request's cookie, if it is live (reads the database)."""
    token = request.cookies.get(COOKIE)
    return None if not token else site_of(request).services.staff.resume(token)


def require(action: Action) -> Callable[[Request], Awaitable[Staff]]:
    """A dependency: the signed-in staff member, if their role may do ``action``."""
    allowed = ALLOWED[action]

    async def dependency(request: Request) -> Staff:
        site = site_of(request)
        found = await run_in_threadpool(signed_in, request)
        if found is None:
            raise LoginRequired(expired=COOKIE in request.cookies)
        user, session = found
        if request.method not in SAFE_METHODS:
            await csrf.check(request, site.secret, session.id)
        if user.role not in allowed:
            raise Forbidden(
                f"您的角色（{user.role.label}）不能执行此操作；只有{_WHO[allowed]}可以。"
            )
        return Staff(user, session, csrf.token(site.secret, session.id))

    return dependency


Reader = Annotated[Staff, Depends(require(Action.READ))]
Decider = Annotated[Staff, Depends(require(Action.DECIDE))]
HoldKeeper = Annotated[Staff, Depends(require(Action.HOLDS))]
IncidentHandler = Annotated[Staff, Depends(require(Action.INCIDENTS))]
Publisher = Annotated[Staff, Depends(require(Action.PUBLISH))]
SourceKeeper = Annotated[Staff, Depends(require(Action.SOURCES))]
Campaigner = Annotated[Staff, Depends(require(Action.CAMPAIGN))]
Admin = Annotated[Staff, Depends(require(Action.STAFF))]


def set_session_cookie(response: Response, site: Site, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=site.secure_cookies,
    )


def clear_session_cookie(response: Response, site: Site) -> None:
    response.delete_cookie(
        COOKIE, path=PATH, httponly=True, samesite="strict", secure=site.secure_cookies
    )
