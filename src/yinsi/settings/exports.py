"""Settings: exports (a section of :class:`yinsi.settings.Settings`).

The archives of access, copy and transfer requests hold the subject's PI in full: they
are written 0600 in 0700 folders, optionally encrypted, and deleted after
``retention_days`` (``yinsi rights purge-exports``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ExportSettings(BaseModel):
    """The ``exports`` section (``YINSI_EXPORTS__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    folder: Path | None = None
    """Where archives are written (``YINSI_EXPORTS__FOLDER``; None: ``$YINSI_HOME/exports``).
    yinsi makes it (and every folder it creates in it) mode 0700."""
    retention_days: float = Field(default=7, gt=0, le=365)
    """Days an archive can be downloaded; ``yinsi rights purge-exports`` then deletes it
    (``YINSI_EXPORTS__RETENTION_DAYS``, default 7)."""
    encrypt: bool = False
    """Encrypt each archive as a ZIP with WinZip AES-256 (AE-2) under a random passphrase
    shown to the subject in the privacy center (``YINSI_EXPORTS__ENCRYPT``, default off)."""
