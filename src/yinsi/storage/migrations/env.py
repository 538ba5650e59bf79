"""Alembic's environment: runs on the connection :mod:`yinsi.storage.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from yinsi.storage import (  # noqa: F401 - registers the tables on Base
    console_tables,
    deliveries,
    exports,
    lifecycle_tables,
    limits,
    rights_tables,
    service_end,
)
from yinsi.storage.tables import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "run migrations through yinsi.storage.upgrade(url) or `yinsi db upgrade`, "
        "not the alembic command line"
    )
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
