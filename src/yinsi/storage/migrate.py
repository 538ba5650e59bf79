"""Schema migrations (Alembic, shipped in the package and configured here, no alembic.ini).

``upgrade(url)`` brings a database to the newest revision; ``require_up_to_date`` is what
adapters call before trusting the schema.
"""

from __future__ import annotations

import weakref
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from yinsi.storage.database import create_engine
from yinsi.storage.errors import StorageNotMigrated

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

_PG_MIGRATION_LOCK = 0x79696E7369  # "yinsi": concurrent upgrades queue, never collide
_checked: weakref.WeakSet[Engine] = weakref.WeakSet()


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the package ships at least one migration"
    return head


def _engine(url: str | Engine) -> Engine:
    return url if isinstance(url, Engine) else create_engine(url)


def _dispose(url: str | Engine, engine: Engine) -> None:
    if engine is not url:
        engine.dispose()


def upgrade(url: str | Engine, revision: str = "head") -> None:
    """Migrate the database at ``url`` (or behind an engine) to ``revision``, in one transaction."""
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            command.upgrade(_config(conn), revision)
    finally:
        _dispose(url, engine)


def downgrade(url: str | Engine, revision: str) -> None:
    """Migrate the database back to ``revision``, in one transaction (data of the newer
    tables and columns is lost; for rolling a release back, not for daily use)."""
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            command.downgrade(_config(conn), revision)
    finally:
        _dispose(url, engine)


def current_revision(url: str | Engine) -> str | None:
    """The database's schema revision; None for an empty (never migrated) database."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        _dispose(url, engine)


def is_up_to_date(url: str | Engine) -> bool:
    return current_revision(url) == head_revision()


def require_up_to_date(engine: Engine) -> None:
    """Raise :class:`StorageNotMigrated` (saying to run ``yinsi db upgrade``) unless current.

    Checked once per engine: a schema is not downgraded under a running process.
    """
    if engine in _checked:
        return
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise StorageNotMigrated(current, head)
    _checked.add(engine)
