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


def _database(url: str | Engine) -> Engine:
    return url if isinstance(url, Engine) else create_engine(url)


def _dispose(url: str | Engine, database: Engine) -> None:
    if database is not url:
        database.dispose()


def upgrade(url: str | Engine, revision: str = "head") -> None:
    """Migrate the database at ``url`` (or behind an database) to ``revision``, in one transaction."""
    database = _database(url)
    try:
        with database.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            command.upgrade(_config(conn), revision)
    finally:
        _dispose(url, database)


def downgrade(url: str | Engine, revision: str) -> None:
    """Migrate the database back to ``revision``, in one transaction (data of the newer
    tables and columns is lost; for rolling a release back, not for daily use)."""
    database = _database(url)
    try:
        with database.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            command.downgrade(_config(conn), revision)
    finally:
        _dispose(url, database)


def current_revision(url: str | Engine) -> str | None:
    """The database's schema revision; None for an empty (never migrated) database."""
    database = _database(url)
    try:
        with database.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        _dispose(url, database)


def is_up_to_date(url: str | Engine) -> bool:
    return current_revision(url) == head_revision()


def require_up_to_date(database: Engine) -> None:
    """Raise :class:`StorageNotMigrated` (saying to run ``yinsi db upgrade``) unless current.

    Checked once per database: a schema is not downgraded under a running process.
    """
    if database in _checked:
        return
    current, head = current_revision(database), head_revision()
    if current != head:
        raise StorageNotMigrated(current, head)
    _checked.add(database)
