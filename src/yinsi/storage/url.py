"""Where the database is: ``YINSI_DATABASE_URL``, else an embedded SQLite file."""

from __future__ import annotations

import os
from collections.abc import Mapping

DEFAULT_URL = "sqlite:///./.yinsi/yinsi.db"
"""The embedded default: a SQLite file under ``./.yinsi/`` (created on first use)."""

ENV_VAR = "YINSI_DATABASE_URL"


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """The configured database URL, with PostgreSQL pointed at the psycopg 3 driver."""
    env = os.environ if environ is None else environ
    return normalize(env.get(ENV_VAR) or DEFAULT_URL)


def normalize(url: str) -> str:
    """``postgres://`` and ``postgresql://`` mean psycopg 3, the driver yinsi ships with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
