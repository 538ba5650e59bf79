"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from assets shipped in the wheel.

Lenders' networks are often air-gapped, so nothing is fetched from a CDN: the pages load
the vendored bundles under ``static/`` (versions and licences in ``static/README.md``)
from ``/docs/assets/{name}``, a fixed list of files (no path from the request reaches the
file system). The app is built with ``docs_url=None, redoc_url=None`` so that FastAPI's
CDN pages are not served (:func:`yinsi.server.create_app`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse

__all__ = ["ASSETS", "CSP", "STATIC", "router"]

STATIC = Path(__file__).resolve().parent / "static"
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui-bundle.js": (STATIC / "swagger-ui" / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (STATIC / "swagger-ui" / "swagger-ui.css", "text/css"),
    "favicon.png": (STATIC / "swagger-ui" / "favicon-32x32.png", "image/png"),
    "redoc.standalone.js": (STATIC / "redoc" / "redoc.standalone.js", "text/javascript"),
}
"""Every file the two pages load, by the name in their URL."""

_ASSET_PATH = "/docs/assets/"
_REDIRECT = "/docs/oauth2-redirect"
_CACHE = "public, max-age=86400"
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'"
)
"""The pages load nothing from elsewhere: ReDoc's "powered by" logo points at a CDN, and
the browser refuses it instead of asking the network (Swagger UI needs its inline start)."""

router = APIRouter(include_in_schema=False)


def _base(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    base = _base(request)
    page = get_swagger_ui_html(
        openapi_url=base + (request.app.openapi_url or "/openapi.json"),
        title=f"{request.app.title} — API",
        swagger_js_url=base + _ASSET_PATH + "swagger-ui-bundle.js",
        swagger_css_url=base + _ASSET_PATH + "swagger-ui.css",
        swagger_favicon_url=base + _ASSET_PATH + "favicon.png",
        oauth2_redirect_url=base + _REDIRECT,
        swagger_ui_parameters={"validatorUrl": None},  # no call to validator.swagger.io
    )
    page.headers["Content-Security-Policy"] = CSP
    return page


@router.get(_REDIRECT)
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    base = _base(request)
    page = get_redoc_html(
        openapi_url=base + (request.app.openapi_url or "/openapi.json"),
        title=f"{request.app.title} — API",
        redoc_js_url=base + _ASSET_PATH + "redoc.standalone.js",
        redoc_favicon_url=base + _ASSET_PATH + "favicon.png",
        with_google_fonts=False,
    )
    page.headers["Content-Security-Policy"] = CSP
    return page


@router.get(_ASSET_PATH + "{name}")
def asset(name: str) -> FileResponse:
    found = ASSETS.get(name)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"没有文档资源 {name!r}")
    path, media_type = found
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": _CACHE})
