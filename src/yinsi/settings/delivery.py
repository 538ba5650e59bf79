"""Settings: delivery (a section of :class:`yinsi.settings.Settings`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DeliverySettings(BaseModel):
    """The ``delivery`` section (``YINSI_DELIVERY__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
