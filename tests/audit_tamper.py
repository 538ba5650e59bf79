"""Helpers of the audit tests: fill a log, and tamper with it as a database admin would."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from yinsi.security import AuditEntry, Break, verify
from yinsi.storage import SqlUnitOfWork
from yinsi.storage.tables import AuditEntryRow


def fill(engine: Engine, count: int) -> list[AuditEntry]:
    with SqlUnitOfWork(engine) as uow:
        stored = [
            uow.audit.append(
                "key_ops",
                "consent.granted",
                "xiaoying_kadai",
                f"subj_{i:04d}",
                {"consent_id": "marketing", "policy_version": "1.3"},
            )
            for i in range(count)
        ]
        uow.commit()
    return stored


def stored_breaks(engine: Engine) -> list[Break]:
    with SqlUnitOfWork(engine) as uow:
        return verify(uow.audit.entries(), uow.audit.head())


def drop_guards(engine: Engine) -> None:
    """What an attacker with the database owner's rights does first: drop the triggers."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("DROP TRIGGER audit_entries_no_change ON audit_entries"))
        else:
            conn.execute(sa.text("DROP TRIGGER audit_entries_no_update"))
            conn.execute(sa.text("DROP TRIGGER audit_entries_no_delete"))


def tamper(engine: Engine, *statements: Any) -> None:
    """Run raw statements against the tables, bypassing the repository."""
    drop_guards(engine)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(statement)


def delete_rows(*where: Any) -> Any:
    return sa.delete(AuditEntryRow).where(*where)


def set_field(row: int, /, **values: Any) -> Any:
    return sa.update(AuditEntryRow).where(AuditEntryRow.seq == row).values(**values)


def swap_seq(a: int, b: int) -> tuple[Any, ...]:
    return (set_field(a, seq=-1), set_field(b, seq=a), set_field(-1, seq=b))
