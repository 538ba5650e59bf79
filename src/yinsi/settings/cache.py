"""Settings: cache (a section of :class:`yinsi.settings.Settings`).

The per-process cache of subjects' consent states that decisions read on PostgreSQL
(:mod:`yinsi.services.consent_cache`, ``docs/scaling.md``). It is never used on SQLite or
MariaDB: there another process (the CLI, another server) may change a state and nothing
would tell this one.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CacheSettings(BaseModel):
    """The ``cache`` section (``YINSI_CACHE__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    consent_states: int = Field(
        default=200_000,
        ge=0,
        le=10_000_000,
        description=(
            "Most subjects' consent states one process keeps for decisions on PostgreSQL "
            "(least recently used dropped first; about 0.4 KB each); 0: no cache, every "
            "decision reads the database."
        ),
    )
    fence_wait_s: float = Field(
        default=1.0,
        gt=0,
        le=30,
        description=(
            "Longest a decision waits for the change listener to confirm it has seen every "
            "change committed before the decision arrived; past it the decision reads the "
            "database instead."
        ),
    )
