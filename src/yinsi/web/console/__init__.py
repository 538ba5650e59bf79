"""The console (``/console``): the privacy team's pages, behind a login."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from yinsi.web.templating import render


def router() -> APIRouter:
    routes = APIRouter(prefix="/console", include_in_schema=False)

    @routes.get("", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        return render(request, "console/home.html")

    return routes
