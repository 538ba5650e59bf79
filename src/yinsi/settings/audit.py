"""Settings: audit (a section of :class:`yinsi.settings.Settings`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AuditSettings(BaseModel):
    """The ``audit`` section (``YINSI_AUDIT__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
