"""The Jinja2 environment of both sites: templates under ``templates/``, Chinese formats."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from yinsi.security.masking import mask

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")


def cn_date(value: date | datetime | None) -> str:
    """``2026年11月23日``; empty for None."""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: datetime | None) -> str:
    """``2026-11-23 14:05`` in the value's own zone; empty for None."""
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


templates.env.filters["cn_date"] = cn_date
templates.env.filters["cn_datetime"] = cn_datetime
templates.env.filters["mask"] = mask


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """The template ``name`` with ``context``; templates see ``request`` too."""
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
