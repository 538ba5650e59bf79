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

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "SecurityHeaders"]

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


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


class SecurityHeaders:
    """Adds the headers of the module docstring to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        page = path == "/" or _under(path, PAGES)
        private = _under(path, PRIVATE)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in EVERY.items():
                    headers[name] = value
                if page:
                    headers["Content-Security-Policy"] = CSP
                if private:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)
