"""Abuse limits on SQL (issue 14): the ``limit_counters`` and ``used_entry_links`` tables.

A counter row is created by an insert that ignores conflicts, then changed by one
conditional ``UPDATE`` whose row count says whether it counted: PostgreSQL's row lock
makes concurrent updates wait and re-check the condition, SQLite serializes writers, so
caps hold under concurrency and across processes. Keys never hold a phone number or a
user name in clear (the services pass keyed hashes).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CursorResult, Insert, Integer, String, delete, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from yinsi.storage.columns import UtcDateTime
from yinsi.storage.limit_ports import LimitStore, Refused
from yinsi.storage.statements import Clock, insert_ignoring_conflict
from yinsi.storage.tables import Base, Sha256

KEY = String(160)


class LimitCounterRow(Base):
    """One counter: uses (verification codes sent) or failures (console logins)."""

    __tablename__ = "limit_counters"

    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    last_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    keep_until: Mapped[datetime] = mapped_column(UtcDateTime)
    """When the row may be deleted."""


class UsedEntryLinkRow(Base):
    """An entry link already opened; kept until the link would have expired anyway."""

    __tablename__ = "used_entry_links"

    link_id: Mapped[str] = mapped_column(Sha256, primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SqlLimitStore(LimitStore):
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    def take(
        self,
        key: str,
        now: datetime,
        *,
        cap: int,
        cooldown: timedelta,
        keep_until: datetime,
    ) -> Refused | None:
        self._ensure(key, now, keep_until)
        row = LimitCounterRow
        counted = self._session.execute(
            update(row)
            .where(
                row.key == key,
                row.count < cap,
                or_(row.last_at.is_(None), row.last_at <= now - cooldown),
            )
            .values(count=row.count + 1, last_at=now)
        )
        assert isinstance(counted, CursorResult)
        if counted.rowcount == 1:
            return None
        found = self._row(key)
        if found.count >= cap:
            return Refused(True, max(found.keep_until - now, timedelta(0)))
        last = found.last_at or now
        return Refused(False, max(last + cooldown - now, timedelta(seconds=1)))

    def failures(self, key: str, now: datetime, window: timedelta) -> tuple[int, datetime]:
        found = self._session.get(LimitCounterRow, key, populate_existing=True)
        if found is None or found.window_start + window <= now:
            return 0, now + window
        return found.count, found.window_start + window

    def fail(self, key: str, now: datetime, window: timedelta) -> int:
        self._ensure(key, now, now + window)
        row = LimitCounterRow
        self._session.execute(
            update(row)
            .where(row.key == key, row.window_start <= now - window)
            .values(count=0, window_start=now, keep_until=now + window)
        )
        self._session.execute(
            update(row).where(row.key == key).values(count=row.count + 1, last_at=now)
        )
        return self._row(key).count

    def clear(self, key: str) -> None:
        self._session.execute(delete(LimitCounterRow).where(LimitCounterRow.key == key))

    def use_once(self, link_id: str, now: datetime, expires_at: datetime) -> bool:
        self._session.execute(delete(UsedEntryLinkRow).where(UsedEntryLinkRow.expires_at < now))
        values = {"link_id": link_id, "used_at": now, "expires_at": expires_at}
        table = UsedEntryLinkRow
        stmt: Insert
        match self._session.get_bind().dialect.name:
            case "postgresql":
                stmt = pg_insert(table).values(values).on_conflict_do_nothing()
            case _:
                stmt = sqlite_insert(table).values(values).on_conflict_do_nothing()
        inserted = self._session.execute(stmt.returning(table.link_id)).scalar_one_or_none()
        return inserted is not None

    def _ensure(self, key: str, now: datetime, keep_until: datetime) -> None:
        self._session.execute(
            delete(LimitCounterRow).where(
                LimitCounterRow.keep_until < now, LimitCounterRow.key == key
            )
        )
        values = {
            "key": key,
            "count": 0,
            "window_start": now,
            "last_at": None,
            "keep_until": keep_until,
        }
        insert_ignoring_conflict(self._session, LimitCounterRow, values, ["key"])

    def _row(self, key: str) -> LimitCounterRow:
        found = self._session.get(LimitCounterRow, key, populate_existing=True)
        assert found is not None, key
        return found
