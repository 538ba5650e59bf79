"""Settings: exports (a section of :class:`yinsi.settings.Settings`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ExportSettings(BaseModel):
    """The ``exports`` section (``YINSI_EXPORTS__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
