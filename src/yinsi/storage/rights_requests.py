"""Rights requests on SQL, with optimistic concurrency on their history.

A request is read without a lock (staff look at a request for minutes before acting).
:meth:`SqlRightsRequestStore.save` then checks that the stored history is the start of
the one it is given, and its UPDATE is guarded by the status and the number of
transitions it read::

    UPDATE rights_requests SET … WHERE id = :id AND status = :read AND transitions = :n

Someone who moved the request in between (committed, or still holding the row: then
PostgreSQL waits for them and re-checks the guard) makes that match no row, and the save
raises :class:`~yinsi.storage.errors.RequestConflict` instead of overwriting their move.
On SQLite, units of work are serialized anyway (``BEGIN IMMEDIATE``, see :mod:`.database`).
A save that records no transition (a due date, an answer) is guarded the same way, so
two such saves of one request are last-writer-wins: the domain object carries no version.

Every filing and transition is audited in the same transaction, by ids only: never the
corrections' values, a requester's name or a note, which may hold personal information.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, Update, bindparam, case, insert, null, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yinsi.rights.requests import RightsRequest, Status, Transition
from yinsi.security import JsonValue
from yinsi.storage.audit import append_all
from yinsi.storage.dbapi_rows import dbapi_statement, on_sqlite, run_each
from yinsi.storage.errors import RequestConflict, RequestExists, RequestNotFound
from yinsi.storage.ports import AuditLog
from yinsi.storage.rights_mapping import (
    changed_columns,
    new_name,
    progress_values,
    records,
    request_from_row,
    request_row,
    transition_from_row,
    transition_rows,
    transition_values,
)
from yinsi.storage.rights_ports import RightsRequestStore
from yinsi.storage.rights_tables import RightsRequestRow, RightsTransitionRow
from yinsi.storage.statements import Clock, ensure_app

BATCH = 500
_TRANSITIONS = cast(Table, RightsTransitionRow.__table__)
_REQUESTS = cast(Table, RightsRequestRow.__table__)
"""Requests whose histories are read in one query by :meth:`SqlRightsRequestStore.list`."""
_READ_REQUEST = select(_REQUESTS).where(_REQUESTS.c.id == bindparam("id"))
_READ_HISTORY = (
    select(_TRANSITIONS)
    .where(_TRANSITIONS.c.request_id == bindparam("id"))
    .order_by(_TRANSITIONS.c.n)
)
"""A request's row and its transitions, for :meth:`SqlRightsRequestStore.get`."""
_INSERT_TRANSITIONS = insert(_TRANSITIONS)
_INSERT_TRANSITION_DBAPI = dbapi_statement(
    insert(_TRANSITIONS).values({c.key: bindparam(c.key, type_=c.type) for c in _TRANSITIONS.c})
)
"""One transition's row, every column bound (run per row on SQLite's cursor)."""


class SqlRightsRequestStore(RightsRequestStore):
    def __init__(self, session: Session, clock: Clock, audit: AuditLog) -> None:
        self._session = session
        self._clock = clock
        self._audit = audit

    def add(self, request: RightsRequest, *, actor: str = "subject") -> None:
        if request.status is not Status.RECEIVED:
            raise ValueError(
                f"request {request.id} is {request.status.value}: a new request is stored "
                "as received; move it on afterwards with requests.save()"
            )
        _require_consistent(request)
        if self._row(request.id) is not None:
            raise RequestExists(request.id)
        ensure_app(self._session, request.app_id, self._clock)
        try:
            with self._session.begin_nested():
                self._session.add(request_row(request, self._clock()))
                self._session.add_all(transition_rows(request.id, request.history, 1))
                self._session.flush()
        except IntegrityError as exc:  # a concurrent add of the same id won
            if self._row(request.id) is not None:
                raise RequestExists(request.id) from exc
            raise
        details: dict[str, JsonValue] = {
            "request_id": request.id,
            "kind": request.kind.value,
            "channel": request.channel,
            "received_at": request.received_at.isoformat(),  # the entry's own time: entered
        }
        if request.requester.relation is not None:
            details["relation"] = request.requester.relation
        self._audit.append(
            actor, "rights.request.received", request.app_id, request.subject_id, details
        )

    def get(self, request_id: str) -> RightsRequest:
        """Two Core statements (no ORM objects: a run reads its request first, and an
        ORM read costs several times what SQLite spends on it)."""
        connection = self._session.connection()
        row = connection.execute(_READ_REQUEST, {"id": request_id}).one_or_none()
        if row is None:
            raise RequestNotFound(request_id)
        # the history is read after the row: a move committed in between adds transitions
        # the row's status does not reflect yet; the row's count says which belong to it
        history = connection.execute(_READ_HISTORY, {"id": request_id}).all()
        return request_from_row(row, history[: row.transitions])

    def save(self, request: RightsRequest, *, actor: str) -> None:
        row = self._row(request.id)
        if row is None:
            raise RequestNotFound(request.id)
        _require_consistent(request)
        read_status, n = row.status, row.transitions
        stored = self._stored_history(request.id)
        if len(stored) != n or request.history[:n] != tuple(transition_from_row(t) for t in stored):
            raise RequestConflict(request.id, read_status, len(stored))
        new = request.history[n:]
        values = progress_values(request)
        if not new and values["status"] != read_status:
            raise ValueError(
                f"request {request.id} is stored as {read_status} and given as "
                f"{request.status.value} without a new transition; change the status with "
                "request.moved(), which records the transition"
            )
        changed = sorted(k for k, v in values.items() if k != "status" and getattr(row, k) != v)
        if not new and not changed:
            return
        guarded = (
            update(RightsRequestRow)
            .where(
                RightsRequestRow.id == request.id,
                RightsRequestRow.status == read_status,
                RightsRequestRow.transitions == n,
            )
            .values(**values, transitions=len(request.history), updated_at=self._clock())
        )
        if self._session.connection().execute(guarded).rowcount != 1:
            now = self._row(request.id)
            assert now is not None  # requests are never deleted
            raise RequestConflict(request.id, now.status, now.transitions)
        self._session.add_all(transition_rows(request.id, new, n + 1))
        self._session.flush()
        self._audit_save(request, actor, new, n, changed)

    def move_many(
        self,
        moves: Sequence[tuple[RightsRequest, RightsRequest]],
        *,
        actor: str,
        release: str | None = None,
    ) -> None:
        """:meth:`move` for many ``(read, moved)`` pairs (a batch run's chunk; a run's two
        moves): one guarded ``UPDATE`` run for them all (the driver's executemany; built
        once), one ``INSERT`` of their new transitions, and each request's audit entries
        as :meth:`save` writes them. ``release``: the same ``UPDATE`` empties the claim
        where ``release`` holds it."""
        rows: list[dict[str, object]] = []
        unchanged: list[str] = []
        updated_at = self._clock()  # one statement: one time for every row it updates
        news: list[tuple[RightsRequest, tuple[Transition, ...], int, list[str]]] = []
        for read, request in moves:
            _require_consistent(request)
            n = len(read.history)
            if request.history[:n] != read.history:
                raise ValueError(
                    f"request {request.id}: the request given does not continue the one read "
                    "(its history differs); move the request read with request.moved()"
                )
            new = request.history[n:]
            values = progress_values(request)
            changed = changed_columns(read, request, values)
            if not new and not changed:
                unchanged.append(request.id)
                continue
            news.append((request, new, n, changed))
            row: dict[str, object] = {
                "yinsi_id": request.id,
                "yinsi_status": read.status.value,
                "yinsi_n": n,
            }
            row.update(zip(map(new_name, values), values.values(), strict=True))
            row["new_transitions"] = len(request.history)
            row["new_updated_at"] = updated_at
            rows.append(row)
        if release is not None and unchanged:  # nothing to move: the claim alone
            self._session.connection().execute(
                update(_REQUESTS)
                .where(_REQUESTS.c.id.in_(unchanged), _REQUESTS.c.claimed_by == release)
                .values(claimed_by=None, claimed_until=None)
            )
        if not rows:
            return
        statement = _move_statement(tuple(rows[0]), release is not None)
        if release is not None:
            for row in rows:
                row["yinsi_owner"] = release
        if on_sqlite(self._session):  # a run's move: one row on the cursor
            done = run_each(self._session, dbapi_statement(statement), rows)
        else:
            done = self._session.connection().execute(statement, rows).rowcount
        if done != len(rows):  # a driver may give no count (-1): tell which, if any, moved
            for request, *_ in news:
                now = self._row(request.id)
                if now is None:
                    raise RequestNotFound(request.id)
                if now.transitions != len(request.history):
                    raise RequestConflict(request.id, now.status, now.transitions)
        transitions = [  # plain values, no ORM object per transition
            values
            for request, new, n, _ in news
            for values in transition_values(request.id, new, n + 1)
        ]
        if transitions and on_sqlite(self._session):
            run_each(self._session, _INSERT_TRANSITION_DBAPI, transitions)
        elif transitions:
            self._session.connection().execute(_INSERT_TRANSITIONS, transitions)
        audited = [  # one insert for every request's entries, chained as one by one
            (action, request.app_id, request.subject_id, details)
            for request, new, n, changed in news
            for action, details in _audit_entries(request, new, n, changed)
        ]
        append_all(self._audit, actor, audited)

    def get_many(self, request_ids: Sequence[str]) -> dict[str, RightsRequest]:
        """The requests of these ids that exist, read in two Core statements per
        :data:`BATCH` ids (a batch run's chunk: no ORM object per row)."""
        found: dict[str, RightsRequest] = {}
        ids = builtins.list(dict.fromkeys(request_ids))
        connection = self._session.connection()
        for start in range(0, len(ids), BATCH):
            part = ids[start : start + BATCH]
            rows = records(connection.execute(select(_REQUESTS).where(_REQUESTS.c.id.in_(part))))
            histories: dict[str, builtins.list[Any]] = {}
            read = (
                select(_TRANSITIONS)
                .where(_TRANSITIONS.c.request_id.in_([r.id for r in rows]))
                .order_by(_TRANSITIONS.c.request_id, _TRANSITIONS.c.n)
            )
            for t in records(connection.execute(read)):
                histories.setdefault(t.request_id, []).append(t)
            for r in rows:
                found[r.id] = request_from_row(r, histories.get(r.id, [])[: r.transitions])
        return found

    def list(
        self,
        app_id: str,
        *,
        statuses: Iterable[Status] | None = None,
        subject_id: str | None = None,
    ) -> builtins.list[RightsRequest]:
        query = select(RightsRequestRow).where(RightsRequestRow.app_id == app_id)
        if statuses is not None:
            query = query.where(RightsRequestRow.status.in_([Status(s).value for s in statuses]))
        if subject_id is not None:
            query = query.where(RightsRequestRow.subject_id == subject_id)
        query = query.order_by(
            RightsRequestRow.due_date.is_(None),  # false (has a due date) sorts first
            RightsRequestRow.due_date,
            RightsRequestRow.received_at,
            RightsRequestRow.id,
        ).execution_options(populate_existing=True)
        rows = builtins.list(self._session.scalars(query))
        histories = self._histories([r.id for r in rows])
        return [request_from_row(r, histories.get(r.id, [])[: r.transitions]) for r in rows]

    def clear_corrections(self, request_id: str, *, actor: str = "yinsi") -> None:
        row = self._row(request_id)
        if row is None:
            raise RequestNotFound(request_id)
        if not row.corrections:
            return
        elements = sorted(row.corrections)
        self._session.connection().execute(
            update(RightsRequestRow)
            .where(RightsRequestRow.id == request_id)
            .values(corrections={}, updated_at=self._clock())
        )
        self._audit.append(
            actor,
            "rights.request.corrections_erased",
            row.app_id,
            row.subject_id,
            {"request_id": request_id, "elements": elements},
        )

    def _audit_save(
        self,
        request: RightsRequest,
        actor: str,
        new: Sequence[Transition],
        n: int,
        changed: Sequence[str],
    ) -> None:
        """One entry per new transition; the fields changed ride on the last one."""
        for action, details in _audit_entries(request, new, n, changed):
            self._audit.append(actor, action, request.app_id, request.subject_id, details)

    def _row(self, request_id: str) -> RightsRequestRow | None:
        return self._session.scalars(
            select(RightsRequestRow)
            .where(RightsRequestRow.id == request_id)
            .execution_options(populate_existing=True)  # another writer may have moved it on
        ).one_or_none()

    def _stored_history(self, request_id: str) -> builtins.list[RightsTransitionRow]:
        return self._histories([request_id]).get(request_id, [])

    def _histories(
        self, request_ids: Sequence[str]
    ) -> dict[str, builtins.list[RightsTransitionRow]]:
        found: dict[str, builtins.list[RightsTransitionRow]] = {}
        for start in range(0, len(request_ids), BATCH):
            rows = self._session.scalars(
                select(RightsTransitionRow)
                .where(RightsTransitionRow.request_id.in_(request_ids[start : start + BATCH]))
                .order_by(RightsTransitionRow.request_id, RightsTransitionRow.n)
                .execution_options(populate_existing=True)
            )
            for row in rows:
                found.setdefault(row.request_id, []).append(row)
        return found


def _audit_entries(
    request: RightsRequest, new: Sequence[Transition], n: int, changed: Sequence[str]
) -> builtins.list[tuple[str, dict[str, JsonValue]]]:
    """The audit entries of a save, ``(action, details)``: one per new transition (the
    ``n``-th stored before them), the fields changed on the last one."""
    base: dict[str, JsonValue] = {"request_id": request.id, "kind": request.kind.value}
    entries: builtins.list[tuple[str, dict[str, JsonValue]]] = []
    for i, transition in enumerate(new, start=n + 1):
        details = {**base, "n": i}
        if transition.status is Status.REFUSED and request.refusal is not None:
            details["ground"] = request.refusal.ground
        entries.append((f"rights.request.{transition.status.value}", details))
    if not entries:
        entries.append(("rights.request.updated", dict(base)))
    if changed:
        entries[-1][1]["fields"] = builtins.list(changed)
    return entries


def _require_consistent(request: RightsRequest) -> None:
    """A status changes only with a transition: ``request.moved()`` records both."""
    if request.history and request.history[-1].status is not request.status:
        raise ValueError(
            f"request {request.id} is {request.status.value} but its last transition is to "
            f"{request.history[-1].status.value}; change the status with request.moved(), "
            "which records the transition"
        )


_MOVES: dict[tuple[tuple[str, ...], bool], Update] = {}
"""The guarded ``UPDATE`` of :meth:`SqlRightsRequestStore.move_many`, by its parameter
names and whether it releases a claim: built once, not per move."""


def _move_statement(names: tuple[str, ...], release: bool) -> Update:
    """``UPDATE rights_requests SET <new_*> WHERE id, status and transition count are as
    read``; ``release``: also ``claimed_by``/``claimed_until`` emptied where the claim is
    ``yinsi_owner``'s (kept otherwise)."""
    found = _MOVES.get((names, release))
    if found is not None:
        return found
    c = _REQUESTS.c
    values: dict[str, object] = {
        k[4:]: bindparam(k, type_=c[k[4:]].type) for k in names if k.startswith("new_")
    }
    if release:
        mine = c.claimed_by == bindparam("yinsi_owner", type_=c.claimed_by.type)
        values["claimed_by"] = case((mine, null()), else_=c.claimed_by)
        values["claimed_until"] = case((mine, null()), else_=c.claimed_until)
    statement = (
        update(_REQUESTS)
        .where(
            c.id == bindparam("yinsi_id"),
            c.status == bindparam("yinsi_status"),
            c.transitions == bindparam("yinsi_n"),
        )
        .values(values)
    )
    _MOVES[(names, release)] = statement
    return statement
