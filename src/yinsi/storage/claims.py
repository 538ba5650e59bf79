"""Run claims on SQL: at most one run executes a rights request at a time, in any process.

A run takes the request with one conditional UPDATE of its row::

    UPDATE rights_requests SET claimed_by = :me, claimed_until = :until
    WHERE id = :id AND (claimed_by IS NULL OR claimed_until < :now)

Two runs racing for it update the same row: on PostgreSQL and MariaDB the second waits
for the first's row lock, then re-checks the condition against the committed row and
matches nothing; on SQLite units of work are serialized (``BEGIN IMMEDIATE``). So exactly
one of them sees ``rowcount == 1``. The holder renews the lease with the same guard on
``claimed_by``; a holder that was killed stops renewing and the next run takes the request
over once ``claimed_until`` has passed. Each call commits in its caller's unit of work.
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple, cast

from sqlalchemy import ColumnElement, Table, bindparam, null, or_, select, update
from sqlalchemy.orm import Session

from yinsi.storage.dbapi_rows import dbapi_statement, on_sqlite, run_each
from yinsi.storage.dbapi_writes import DbapiStatement, dbapi_cursor
from yinsi.storage.errors import RequestNotFound
from yinsi.storage.rights_tables import RightsRequestRow

__all__ = ["Claim", "RunClaimStore", "SqlRunClaimStore"]


class Claim(NamedTuple):
    """Who holds a request and until when."""

    owner: str
    until: datetime


class RunClaimStore(abc.ABC):
    """Claims on rights requests (see the module docstring)."""

    @abc.abstractmethod
    def take(self, request_id: str, owner: str, *, now: datetime, until: datetime) -> bool:
        """Claim the request for ``owner`` until ``until`` if nobody holds it or the
        holder's lease ran out before ``now``; True if taken. Raises RequestNotFound."""

    def take_many(
        self, request_ids: Sequence[str], owner: str, *, now: datetime, until: datetime
    ) -> set[str]:
        """:meth:`take` for many requests (a batch run's chunk): the ids ``owner`` now
        holds; by default one by one."""
        return {i for i in dict.fromkeys(request_ids) if self.take(i, owner, now=now, until=until)}

    @abc.abstractmethod
    def renew(self, request_id: str, owner: str, *, until: datetime) -> bool:
        """Extend ``owner``'s claim; False if ``owner`` no longer holds the request."""

    @abc.abstractmethod
    def release(self, request_id: str, owner: str) -> None:
        """Give the request up (nothing happens if ``owner`` does not hold it)."""

    def release_many(self, request_ids: Sequence[str], owner: str) -> None:
        """:meth:`release` for many requests; by default one by one."""
        for request_id in dict.fromkeys(request_ids):
            self.release(request_id, owner)

    @abc.abstractmethod
    def holder(self, request_id: str) -> Claim | None:
        """The current claim, lapsed or not; None when nobody ever held it or it was released."""


_REQUESTS = cast(Table, RightsRequestRow.__table__)


def _free(now: object) -> ColumnElement[bool]:
    """A request nobody holds a live claim on at ``now`` (a value or a bound parameter)."""
    c = _REQUESTS.c
    return or_(c.claimed_by.is_(None), c.claimed_until.is_(None), c.claimed_until < now)


_TAKE = (
    update(_REQUESTS)
    .where(_REQUESTS.c.id == bindparam("yinsi_id"), _free(bindparam("yinsi_now")))
    .values(claimed_by=bindparam("yinsi_owner"), claimed_until=bindparam("yinsi_until"))
)
"""The conditional ``UPDATE`` of :meth:`SqlRunClaimStore.take`, built once (a run takes
its request in its first commit: only the values are bound each time)."""
_TAKE_DBAPI = dbapi_statement(_TAKE)


PART = 500
"""Ids bound in one statement of :meth:`SqlRunClaimStore.take_many` on SQLite."""
_TAKE_MANY, _HELD, _RELEASE = "take", "held", "release"


def _parts(ids: list[str]) -> list[list[str]]:
    return [ids[start : start + PART] for start in range(0, len(ids), PART)]


def _id_values(ids: list[str]) -> dict[str, object]:
    return {f"yinsi_id_{n}": request_id for n, request_id in enumerate(ids)}


@functools.lru_cache(maxsize=32)
def _in_list(kind: str, count: int) -> DbapiStatement:
    """A claim statement on ``count`` ids (``yinsi_id_0`` …), built and compiled once per
    count (a batch's chunks have one or two sizes): take them where free, read which
    ``yinsi_owner`` holds, or release ``yinsi_owner``'s."""
    c = _REQUESTS.c
    among = c.id.in_([bindparam(f"yinsi_id_{n}", type_=c.id.type) for n in range(count)])
    mine = c.claimed_by == bindparam("yinsi_owner")
    if kind == _HELD:
        return DbapiStatement(select(c.id).where(among, mine))
    if kind == _RELEASE:
        return DbapiStatement(
            update(_REQUESTS).where(among, mine).values(claimed_by=null(), claimed_until=null())
        )
    return DbapiStatement(
        update(_REQUESTS)
        .where(among, _free(bindparam("yinsi_now")))
        .values(claimed_by=bindparam("yinsi_owner"), claimed_until=bindparam("yinsi_until"))
    )


class SqlRunClaimStore(RunClaimStore):
    def __init__(self, session: Session) -> None:
        self._session = session

    def take(self, request_id: str, owner: str, *, now: datetime, until: datetime) -> bool:
        values = {
            "yinsi_id": request_id,
            "yinsi_owner": owner,
            "yinsi_now": now,
            "yinsi_until": until,
        }
        if on_sqlite(self._session):  # a run's first write: on the cursor
            taken = run_each(self._session, _TAKE_DBAPI, [values])
        else:
            taken = self._session.connection().execute(_TAKE, values).rowcount
        if taken == 1:
            return True
        if self._session.scalar(select(_REQUESTS.c.id).where(_REQUESTS.c.id == request_id)) is None:
            raise RequestNotFound(request_id)
        return False

    def take_many(
        self, request_ids: Sequence[str], owner: str, *, now: datetime, until: datetime
    ) -> set[str]:
        """:meth:`take` for many requests (a batch run's chunk) in two statements: the
        conditional ``UPDATE`` of them all, then which of them ``owner`` now holds."""
        row = RightsRequestRow
        ids = list(dict.fromkeys(request_ids))
        if not ids:
            return set()
        if on_sqlite(self._session):  # a chunk's claims on the cursor
            return self._take_on_cursor(ids, owner, now=now, until=until)
        self._session.connection().execute(
            update(row)
            .where(row.id.in_(ids), _free(now))
            .values(claimed_by=owner, claimed_until=until)
        )
        held = select(row.id).where(row.id.in_(ids), row.claimed_by == owner)
        return set(self._session.scalars(held))  # ``owner`` is this run's alone

    def release_many(self, request_ids: Sequence[str], owner: str) -> None:
        """:meth:`release` for many requests, in one statement."""
        row = RightsRequestRow
        ids = list(dict.fromkeys(request_ids))
        if ids and on_sqlite(self._session):  # a chunk's claims on the cursor
            cursor, dialect = dbapi_cursor(self._session)
            try:
                for part in _parts(ids):
                    values = _id_values(part) | {"yinsi_owner": owner}
                    _in_list(_RELEASE, len(part)).run(cursor, dialect, values)
            finally:
                cursor.close()
        elif ids:
            self._session.connection().execute(
                update(row)
                .where(row.id.in_(ids), row.claimed_by == owner)
                .values(claimed_by=None, claimed_until=None)
            )

    def _take_on_cursor(
        self, ids: list[str], owner: str, *, now: datetime, until: datetime
    ) -> set[str]:
        """:meth:`take_many`'s two statements per part of ids on SQLite's DBAPI cursor
        (compiled once per number of ids: no SQLAlchemy statement built per chunk)."""
        cursor, dialect = dbapi_cursor(self._session)
        held: set[str] = set()
        try:
            for part in _parts(ids):
                named = _id_values(part)
                taken = named | {"yinsi_owner": owner, "yinsi_now": now, "yinsi_until": until}
                _in_list(_TAKE_MANY, len(part)).run(cursor, dialect, taken)
                mine = named | {"yinsi_owner": owner}
                held.update(r[0] for r in _in_list(_HELD, len(part)).run(cursor, dialect, mine))
        finally:
            cursor.close()
        return held  # ``owner`` is this run's alone

    def renew(self, request_id: str, owner: str, *, until: datetime) -> bool:
        row = RightsRequestRow
        renewed = self._session.connection().execute(
            update(row)
            .where(row.id == request_id, row.claimed_by == owner)
            .values(claimed_until=until)
        )
        return bool(renewed.rowcount == 1)

    def release(self, request_id: str, owner: str) -> None:
        row = RightsRequestRow
        self._session.connection().execute(
            update(row)
            .where(row.id == request_id, row.claimed_by == owner)
            .values(claimed_by=None, claimed_until=None)
        )

    def holder(self, request_id: str) -> Claim | None:
        row = RightsRequestRow
        found = self._session.execute(
            select(row.claimed_by, row.claimed_until).where(row.id == request_id)
        ).one_or_none()
        if found is None:
            raise RequestNotFound(request_id)
        owner, until = found
        if owner is None or until is None:
            return None
        return Claim(owner, until)
