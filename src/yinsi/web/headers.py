"""Security headers on every response of the site, set by one pure ASGI middleware.

Every response (pages, static files, the REST API, errors) gets::

    X-Content-Type-Options: nosniff
    X-Frame-Options: DENY
    Referrer-Policy: no-referrer
    Cross-Origin-Opener-Policy: same-origin

The pages (``/``, ``/privacy``, ``/console``, ``/static``) also get a Content Security
Policy that allows only the site's own scripts, styles, images and forms — the templates
have no inline script or style (htmx's indicator style is turned off in ``base.html``),
so none is allowed — and ``frame-ancestors 'none'``. Pages under ``/privacy`` and
``/console`` show PI, so they are never stored by a browser or proxy
(``Cache-Control: no-store``). ``/docs`` and ``/redoc`` keep their own scripts and are
left without the page CSP. The middleware's values replace any a route set.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "SecurityHeaders", "headers_for", "with_security_headers"]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
EVERY = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
PAGES = ("/privacy", "/console", "/static")
PRIVATE = ("/privacy", "/console")


Raw = tuple[tuple[bytes, bytes], ...]
"""Headers as an ASGI message holds them: (lower-case name, value) pairs of bytes."""


def _raw(headers: dict[str, str]) -> Raw:
    return tuple((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())


_API = _raw(EVERY)
_PAGE = _raw({**EVERY, "Content-Security-Policy": CSP})
_PRIVATE_PAGE = _raw({**EVERY, "Content-Security-Policy": CSP, "Cache-Control": "no-store"})
_NAMES = {raw: frozenset(name for name, _ in raw) for raw in (_API, _PAGE, _PRIVATE_PAGE)}
"""The names each set of headers replaces."""


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


def headers_for(path: str) -> Raw:
    """The headers a response to ``path`` gets (module docstring), made once: the API's
    decision route sends thousands of answers a second, and Starlette's
    ``MutableHeaders`` (a scan of the list and an encoding per header set) cost half of
    this middleware's time there (py-spy, 2026-12-06)."""
    if not path.startswith(PAGES) and path != "/":  # the API: one test, no loop
        return _API
    if _under(path, PRIVATE):
        return _PRIVATE_PAGE
    if path == "/" or _under(path, PAGES):
        return _PAGE
    return _API


def with_security_headers(
    headers: Iterable[tuple[bytes, bytes]], extra: Raw
) -> list[tuple[bytes, bytes]]:
    """``headers`` (an ASGI message's) with ``extra`` (one of :func:`headers_for`'s) added,
    replacing any header of the same name the route sent (whatever its case)."""
    names = _NAMES[extra]
    kept = list(headers)
    if not names.isdisjoint([name.lower() for name, _ in kept]):
        kept = [(name, value) for name, value in kept if name.lower() not in names]
    kept += extra
    return kept


class SecurityHeaders:
    """Adds the headers of the module docstring to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope.get("path", ""))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(message.get("headers", ()), extra)
            await send(message)

        await self.app(scope, receive, with_headers)
