"""``mount(app, site)``: static files, the privacy center and the console on one FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from yinsi.web import console, privacy
from yinsi.web.site import Site
from yinsi.web.templating import STATIC


def mount(app: FastAPI, site: Site) -> None:
    app.state.site = site
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(privacy.router())
    app.include_router(console.router())

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/privacy", status_code=307)
