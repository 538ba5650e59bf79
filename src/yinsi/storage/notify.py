"""Consent-state changes announced on PostgreSQL (``LISTEN``/``NOTIFY``), and fences.

Every transaction that changes a subject's consent state sends
``pg_notify('yinsi_consent', '<app_id>|<subject_id>')`` (:func:`announce`, from the ledger's
append), so PostgreSQL delivers it to every listening session only if and when the
transaction commits, in commit order. :class:`ChangeFeed` is one process's listener: a
thread on its own connection (``LISTEN yinsi_consent``) that calls ``changed(app_id,
subject_id)`` for each notification, and ``reset()`` whenever it cannot vouch for having
seen every change (it connected, reconnected, or lost its connection).

**Fences.** :meth:`ChangeFeed.fence` returns a future that completes once the listener has
received every notification of every transaction that committed before the call: the
listener sends ``SELECT 1`` after the call and waits for its answer. PostgreSQL signals
listening sessions before the committing client sees its commit, and a listening session
sends the notifications it has been signalled for before it answers its next query
(``ReadyForQuery``: "if any notifies were received during the just-finished transaction,
they'll be seen by the client before ReadyForQuery is", ``postgres.c``), and libpq keeps
the notifications read with an answer for ``PQnotifies``. One round trip serves every
fence asked for before it starts. A fence fails (the future raises
:class:`FeedDown`) when the listener is not connected or loses its connection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

__all__ = ["APPLICATION_NAME", "CHANNEL", "ChangeFeed", "FeedDown", "announce", "announces"]

CHANNEL = "yinsi_consent"
"""The notification channel of consent-state changes."""
ALL = "*"
"""The payload that says every subject may have changed (the listener resets)."""
APPLICATION_NAME = "yinsi-consent-listener"
"""The listening connection's ``application_name`` (``pg_stat_activity``)."""

MAX_RETRY_S = 5.0
"""The longest pause between two attempts to reconnect (doubling from ``retry_s``)."""

log = logging.getLogger("yinsi.storage.notify")


def announces(session: Session) -> bool:
    """Whether changes on ``session``'s database are announced (PostgreSQL only)."""
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"


def announce(session: Session, app_id: str, subject_id: str) -> None:
    """Queue the notification that the subject's state changed, delivered on commit."""
    session.execute(select(func.pg_notify(CHANNEL, f"{app_id}|{subject_id}")))


class FeedDown(RuntimeError):
    """The change listener is not connected: cached states cannot be vouched for."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the consent change listener is not connected: {reason}")


class ChangeFeed:
    """One process's listener of consent-state changes (see the module docstring).

    ``database``: yinsi's PostgreSQL pool; the listener takes one connection from it and
    detaches it (the pool's slot is free again). The thread starts on :meth:`start` and
    reconnects after ``retry_s`` (doubling up to :data:`MAX_RETRY_S` while it fails) when
    its connection is lost, and logs one warning per outage; :meth:`close` stops it.
    """

    def __init__(
        self,
        database: Engine,
        changed: Callable[[str, str], None],
        reset: Callable[[], None],
        *,
        retry_s: float = 0.5,
    ) -> None:
        self._database = database
        self._changed = changed
        self._reset = reset
        self._retry_s = retry_s
        self._lock = threading.Lock()
        self._ready = False
        self._next: Future[None] | None = None
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._thread: threading.Thread | None = None
        self.backend_pid: int | None = None
        """The PostgreSQL backend of the listening connection (None while down)."""
        self.listened = 0
        """How many times the listener connected and listened."""

    @property
    def ready(self) -> bool:
        """Whether the listener is connected and listening."""
        return self._ready

    def start(self) -> None:
        """Start the listener thread (once)."""
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(
                target=self._run, name="yinsi-consent-listener", daemon=True
            )
            self._thread.start()

    def fence(self) -> Future[None]:
        """A future done once every change committed before this call has been seen."""
        fence = self._next  # without the lock: the thread takes a fence out of ``_next``
        if fence is not None and self._ready:  # before it starts it, so this one starts later
            return fence
        with self._lock:
            if not self._ready:
                done: Future[None] = Future()
                done.set_exception(FeedDown("not listening yet, or reconnecting"))
                return done
            fence = self._next
            if fence is None:
                fence = self._next = Future()
                self._wake()
            return fence

    def close(self) -> None:
        """Stop the thread and close its connection."""
        self._stop.set()
        self._wake()
        thread = self._thread
        if thread is not None:
            thread.join(10)
        os.close(self._wake_r)
        os.close(self._wake_w)

    # ------------------------------------------------------------ the thread

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full (a wake-up is pending anyway) or closed
            os.write(self._wake_w, b"x")

    def _run(self) -> None:
        wait_s, logged = self._retry_s, False
        while not self._stop.is_set():
            listened = self.listened
            try:
                self._listen()
            except Exception as exc:  # the connection failed: vouch for nothing until back
                self._down(type(exc).__name__)
                if self.listened != listened:  # it had connected: a new outage
                    wait_s, logged = self._retry_s, False
                if not logged:  # once per outage, not per attempt
                    logged = True
                    log.warning(
                        "consent change listener lost its connection (%s); decisions read "
                        "the database until it reconnects",
                        type(exc).__name__,
                    )
                self._stop.wait(wait_s)
                wait_s = min(wait_s * 2, MAX_RETRY_S)
        self._down("closed")

    def _listen(self) -> None:
        raw = self._database.raw_connection()
        connection: Any = raw.driver_connection  # psycopg's own connection
        raw.detach()  # its own connection from now on: the pool's slot is free again
        try:
            connection.autocommit = True
            connection.execute(f"SET application_name = '{APPLICATION_NAME}'")
            connection.execute(f"LISTEN {CHANNEL}")
            self.backend_pid = connection.info.backend_pid
            self._reset()  # changes made before LISTEN were never announced to us
            with self._lock:
                self._ready = True
            self.listened += 1
            self._serve(connection)
        finally:
            self._down("closed")
            connection.close()  # detached: the pool neither resets nor keeps it

    def _serve(self, connection: Any) -> None:
        # libpq's own calls (psycopg's ``pgconn``): a fence is one PQexec, without the GIL,
        # and the notifications read with its answer wait in libpq's queue (PQnotifies)
        from psycopg import pq  # here: importing it costs every command's start-up

        pgconn = connection.pgconn
        with selectors.DefaultSelector() as selector:
            selector.register(pgconn.socket, selectors.EVENT_READ, "db")
            selector.register(self._wake_r, selectors.EVENT_READ, "wake")
            while not self._stop.is_set():
                with self._lock:
                    fence, self._next = self._next, None
                if fence is not None:
                    try:
                        answer = pgconn.exec_(b"SELECT 1")  # notifications come before it
                        if answer.status != pq.ExecStatus.TUPLES_OK:
                            raise FeedDown(pgconn.get_error_message().decode(errors="replace"))
                        self._drain(pgconn)
                    except BaseException as exc:
                        fence.set_exception(FeedDown(type(exc).__name__))
                        raise
                    fence.set_result(None)
                    continue
                for key, _ in selector.select(timeout=1.0):
                    if key.data == "wake":
                        with contextlib.suppress(BlockingIOError):
                            os.read(self._wake_r, 4096)
                    else:
                        pgconn.consume_input()  # raises when the connection is gone
                        self._drain(pgconn)
                if pgconn.status != pq.ConnStatus.OK:
                    raise FeedDown("the connection is closed")

    def _drain(self, pgconn: Any) -> None:
        while (notify := pgconn.notifies()) is not None:
            payload = bytes(notify.extra).decode()
            if payload == ALL:
                self._reset()
                continue
            app_id, _, subject_id = payload.partition("|")
            self._changed(app_id, subject_id)

    def _down(self, reason: str) -> None:
        with self._lock:
            was_ready = self._ready
            self._ready = False
            fence, self._next = self._next, None
            self.backend_pid = None
        if fence is not None and not fence.done():
            fence.set_exception(FeedDown(reason))
        if was_ready:
            self._reset()
