"""Settings: database (a section of :class:`yinsi.settings.Settings`).

Timeouts of the API's connection pool (``yinsi serve``, actor ``api``): a request never
waits on a lock or a runaway statement for longer than these; the route answers 503 with
``Retry-After`` (:mod:`yinsi.api.errors`) and the next request tries again. The CLI and
workers run without them (a migration or a batch erasure may rightly take longer).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DatabaseSettings(BaseModel):
    """The ``database`` section (``YINSI_DATABASE__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    statement_timeout_s: float = Field(
        default=5.0,
        ge=0,
        le=3600,
        description=(
            "Longest statement of an API request (PostgreSQL ``statement_timeout``, MariaDB "
            "``max_statement_time``); 0: no limit."
        ),
    )
    lock_timeout_s: float = Field(
        default=2.0,
        ge=0,
        le=3600,
        description=(
            "Longest wait for a lock in an API request (PostgreSQL ``lock_timeout``, MariaDB "
            "``lock_wait_timeout`` and ``innodb_lock_wait_timeout``, whole seconds, at "
            "least 1); 0: no limit."
        ),
    )
