"""``mount(app, site)``: static files, the privacy center and the console on one FastAPI app,
with the security headers of :mod:`yinsi.web.headers` on every response."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from yinsi.web import console, privacy
from yinsi.web.headers import SecurityHeaders
from yinsi.web.site import Site
from yinsi.web.templating import STATIC

router = APIRouter(include_in_schema=False)


@router.get("/")
def home() -> RedirectResponse:
    """The service's root is the privacy center."""
    return RedirectResponse("/privacy", status_code=307)


def mount(app: FastAPI, site: Site) -> None:
    """Mount the pages on ``app``, and the security headers on every response of it."""
    app.state.site = site
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(privacy.router)
    app.include_router(console.router)
    app.include_router(router)
