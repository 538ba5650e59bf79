"""Settings: web (a section of :class:`yinsi.settings.Settings`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WebSettings(BaseModel):
    """The ``web`` section (``YINSI_WEB__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    privacy_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    """A privacy-center session ends after this many minutes without a page
    (``YINSI_WEB__PRIVACY_IDLE_MINUTES``, default 30)."""
    privacy_lifetime_hours: int = Field(default=8, ge=1, le=7 * 24)
    """… and this many hours after the entry link in any case
    (``YINSI_WEB__PRIVACY_LIFETIME_HOURS``, default 8)."""
