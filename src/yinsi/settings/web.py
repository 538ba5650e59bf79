"""Settings: web (a section of :class:`yinsi.settings.Settings`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class WebSettings(BaseModel):
    """The ``web`` section (``YINSI_WEB__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
