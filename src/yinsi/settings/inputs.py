"""Settings: inputs (a section of :class:`yinsi.settings.Settings`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class InputSettings(BaseModel):
    """The ``inputs`` section (``YINSI_INPUTS__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
