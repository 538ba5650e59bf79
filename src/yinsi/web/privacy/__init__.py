"""The privacy center (``/privacy``): mobile-first pages for users, in Chinese."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from yinsi.web.templating import render


def router() -> APIRouter:
    routes = APIRouter(prefix="/privacy", include_in_schema=False)

    @routes.get("", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        return render(request, "privacy/home.html")

    return routes
