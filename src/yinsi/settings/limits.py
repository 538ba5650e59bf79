"""Settings: limits (a section of :class:`yinsi.settings.Settings`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LimitSettings(BaseModel):
    """The ``limits`` section (``YINSI_LIMITS__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
