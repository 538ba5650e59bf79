"""The console (``/console``): the privacy team's pages, behind a login.

Roles (:class:`~yinsi.storage.Role`): admins do everything, including staff accounts and
publishing; operators work the request queue, legal holds and incidents; auditors read
everything and verify the audit log, and can change nothing. Every route checks the role
on the server (:mod:`yinsi.web.console.auth`); every form carries a CSRF token.

Modules: ``login`` (sign in and out), ``queue``, ``requests`` (one request, its
decisions and execution log), ``holds``, ``audit``, ``policies`` and ``publish`` (versions,
re-consent campaign, publishing), ``incidents``, ``dashboard`` (with ``charts``),
``team`` (staff accounts).
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
    team,
)
from yinsi.web.console.routing import ConsoleRoute

__all__ = ["ConsoleRoute", "router"]


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
    for module in (
        login,
        queue,
        requests,
        holds,
        audit,
        policies,
        publish,
        incidents,
        dashboard,
        team,
    ):
        module.add_routes(routes)
    return routes
