"""The console (``/console``): the privacy team's pages, behind a login.

Roles (:class:`~yinsi.security.staff.Role`): admins do everything, including staff accounts and
publishing; operators work the request queue, legal holds and incidents; auditors read
everything and verify the audit log, and can change nothing. Every route checks the role
on the server (:mod:`yinsi.web.console.auth`); every form carries a CSRF token.

Modules: ``login`` (sign in and out), ``queue``, ``requests`` (one request, its
decisions and execution log), ``holds``, ``sources`` (vetted third-party sources),
``audit``, ``policies`` and ``publish`` (versions, re-consent campaign, publishing),
``incidents``, ``dashboard`` (with ``charts``), ``team`` (staff accounts). Each page module declares its own ``router``; the pages
call services (``site.services``: :mod:`yinsi.services`) and never the database.
"""

from fastapi import APIRouter

from yinsi.web.console import (
    audit,
    dashboard,
    holds,
    incidents,
    login,
    policies,
    publish,
    queue,
    requests,
    sources,
    team,
)
from yinsi.web.console.routing import ConsoleRoute

__all__ = ["PAGES", "ConsoleRoute", "router"]

PAGES = (
    login,
    queue,
    requests,
    holds,
    sources,
    audit,
    policies,
    publish,
    incidents,
    dashboard,
    team,
)
"""The page modules, each with its own ``router``, in the order their routes are matched."""

router = APIRouter(include_in_schema=False)
"""Every route of the console (each keeps its :class:`ConsoleRoute`)."""
for _page in PAGES:
    router.include_router(_page.router)
