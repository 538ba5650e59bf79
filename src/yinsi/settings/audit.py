"""Settings: audit (a section of :class:`yinsi.settings.Settings`).

Anchors are signed checkpoints of the audit chain's head (``yinsi audit anchor``), kept
outside yinsi's database so that deleting or rewriting the newest entries is detected
(``yinsi audit verify --anchor FILE``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class AuditSettings(BaseModel):
    """The ``audit`` section (``YINSI_AUDIT__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    anchor_key_file: Path | None = None
    """The Ed25519 private key that signs anchors, PEM, mode 0600, made by
    ``yinsi audit anchor-key`` (``YINSI_AUDIT__ANCHOR_KEY_FILE``; None:
    ``$YINSI_HOME/audit-anchor.key``). Keep it off the database host's backups."""
    anchor_public_key_file: Path | None = None
    """The public key that checks anchors (``YINSI_AUDIT__ANCHOR_PUBLIC_KEY_FILE``; None:
    the key file's name with ``.pub``)."""
    anchor_file: Path | None = None
    """The JSON Lines file anchors are appended to (``YINSI_AUDIT__ANCHOR_FILE``; None:
    ``$YINSI_HOME/audit-anchors.jsonl``). Put it on other storage than the database."""
    anchor_webhook_url: str | None = None
    """Also POST each anchor as JSON here (``YINSI_AUDIT__ANCHOR_WEBHOOK_URL``)."""
    anchor_webhook_timeout: float = Field(default=10, gt=0, le=120)
    """Seconds to wait for the webhook (``YINSI_AUDIT__ANCHOR_WEBHOOK_TIMEOUT``)."""
