"""Settings: operations (a section of :class:`yinsi.settings.Settings`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class OperationsSettings(BaseModel):
    """The ``operations`` section (``YINSI_OPERATIONS__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
