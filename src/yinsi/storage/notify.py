# long: one listener in two modes (its own thread, or a reader of a server's event loop)
# sharing the connection's set-up, the fences' hand-over and the resets; split in two
# modules, each mode would reach into the other's state.
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

**On an event loop.** A server binds the feed to its event loop (:meth:`ChangeFeed.bind`,
at start-up): the listening connection is then driven by the loop itself, not by a
thread (connecting and ``LISTEN`` run in the loop's executor, then the connection's
socket is one more reader of the loop, non-blocking). A fence asked for on the loop sends
its ``SELECT 1`` at the end of the loop's current pass (so every request started in that
pass shares it: 0.35 → 0.2 fences a request with 8 in flight) when none is in flight
then, else it is the next one, sent as soon as the answer of the one in flight is back
(its ``ReadyForQuery``, after every notification signalled before it); one asked for
from another thread is handed to the loop. The bound is the same: a fence completes only
after the answer of a ``SELECT 1`` sent after it was asked for. What it saves, per fence: the wake-up of a thread through a pipe, the thread's
taking of the GIL from a busy loop, and the loop's own wake-up through its self-pipe
(``call_soon_threadsafe``): about 0.03 ms of CPU a decision request on a 2-CPU machine
(docs/scaling.md).
"""

from __future__ import annotations

import asyncio
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


class _Retry:
    """When the listener tries its connection again, in either mode: waits doubling up to
    :data:`MAX_RETRY_S`, back to the first after a connection that worked, and one warning
    per outage (not one per attempt)."""

    def __init__(self, first_s: float) -> None:
        self._first_s = first_s
        self._wait_s = first_s
        self._logged = False

    def after_loss(self, reason: str, *, connected: bool) -> float:
        """The seconds to wait before the next attempt; ``connected``: the attempt that
        just ended had connected (so this is a new outage)."""
        if connected:
            self._wait_s, self._logged = self._first_s, False
        if not self._logged:
            self._logged = True
            log.warning(
                "consent change listener lost its connection (%s); decisions read "
                "the database until it reconnects",
                reason,
            )
        wait_s, self._wait_s = self._wait_s, min(self._wait_s * 2, MAX_RETRY_S)
        return wait_s


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
        self._loop: asyncio.AbstractEventLoop | None = None
        """The event loop driving the connection (:meth:`bind`); None: the thread does."""
        self._loop_started = False
        self._loop_task: asyncio.Task[None] | None = None
        self._lost: asyncio.Future[str] | None = None
        self._pgconn: Any = None
        """The loop-driven connection's libpq connection while it listens."""
        self._fd: int | None = None
        """The socket the loop watches, kept from when it was registered: once the server
        closed the connection ``pgconn.socket`` raises, and a registration left behind
        would be taken by the next connection given that number (a client's: never read)."""
        self._connection: Any = None
        self._handed: Any = None
        """A connection made in the executor for the loop, until the loop attaches it."""
        self._inflight: Future[None] | None = None
        """On the loop: the fence whose ``SELECT 1`` was sent and is not answered yet."""
        self.backend_pid: int | None = None
        """The PostgreSQL backend of the listening connection (None while down)."""
        self.listened = 0
        """How many times the listener connected and listened."""

    @property
    def ready(self) -> bool:
        """Whether the listener is connected and listening."""
        return self._ready

    def start(self) -> None:
        """Start listening (once): on the bound event loop, else in a thread."""
        with self._lock:
            if self._stop.is_set() or self._thread is not None or self._loop_started:
                return
            loop = self._loop
            if loop is not None:
                self._loop_started = True
            else:
                self._thread = threading.Thread(
                    target=self._run, name="yinsi-consent-listener", daemon=True
                )
                self._thread.start()
                return
        loop.call_soon_threadsafe(self._spawn, loop)

    def bind(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Drive the listening connection on ``loop`` from now on (module docstring):
        called on the loop when a server starts, before its first decision. False (and
        nothing changes) when the thread already listens or the feed is closed."""
        with self._lock:
            if self._stop.is_set() or self._thread is not None or self._loop is not None:
                return False
            self._loop = loop
            return True

    async def unbind(self) -> None:
        """Stop listening on the bound loop (called on it when the server shuts down):
        the connection is closed and the cache reset; a later :meth:`start` listens in a
        thread."""
        task = self._loop_task
        with self._lock:
            self._loop = None
            self._loop_started = False
            self._loop_task = None
            handed, self._handed = self._handed, None
        if handed is not None:  # connected in the executor, not attached yet
            handed.close()
        if task is not None and not task.done():
            task.cancel()  # listening or pausing before a new attempt
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._lose("closed")

    @property
    def driven_here(self) -> bool:
        """Whether the caller runs on the event loop that drives the connection (then a
        fence must be awaited, never waited for: the loop would be blocked)."""
        loop = self._loop
        return loop is not None and asyncio._get_running_loop() is loop

    def fence(self) -> Future[None]:
        """A future done once every change committed before this call has been seen."""
        fence = self._next  # without the lock: the listener takes a fence out of ``_next``
        if fence is not None and self._ready:  # before it sends it, so this one is sent later
            return fence
        with self._lock:
            if not self._ready:
                done: Future[None] = Future()
                done.set_exception(FeedDown("not listening yet, or reconnecting"))
                return done
            fence = self._next
            if fence is not None:
                return fence
            fence = self._next = Future()
            loop = self._loop
        if loop is None:
            self._wake()
        elif asyncio._get_running_loop() is loop:
            # on the loop: sent once the requests started in this pass of the loop have
            # asked too (one fence for them all), unless one is in flight then
            loop.call_soon(self._send_next)
        else:
            loop.call_soon_threadsafe(self._send_next)
        return fence

    def close(self) -> None:
        """Stop listening and close the connection."""
        self._stop.set()
        self._wake()
        thread = self._thread
        if thread is not None:
            thread.join(10)
        with self._lock:
            loop = self._loop
            handed, self._handed = self._handed, None
        if handed is not None:
            handed.close()
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                if asyncio._get_running_loop() is loop:
                    self._lose("closed")
                else:
                    loop.call_soon_threadsafe(self._lose, "closed")
        elif self._connection is not None:  # its loop is gone: nothing else will close it
            self._connection.close()
            self._pgconn = self._connection = None
        os.close(self._wake_r)
        os.close(self._wake_w)

    # ------------------------------------------------------------ on the bound loop

    def _spawn(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is loop and self._loop_task is None and not self._stop.is_set():
            self._loop_task = loop.create_task(self._run_on_loop(loop))

    async def _run_on_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        retry = _Retry(self._retry_s)
        while self._loop is loop and not self._stop.is_set():
            listened = self.listened
            self._lost = lost = loop.create_future()
            try:
                connection = await loop.run_in_executor(None, self._connect_for, loop)
            except Exception as exc:
                reason = type(exc).__name__
            else:
                if connection is None or not self._attach(loop, connection):
                    return  # unbound or closed meanwhile (and the connection closed)
                reason = await lost
            self._lose(reason)
            if self._loop is not loop or self._stop.is_set():
                return
            await asyncio.sleep(retry.after_loss(reason, connected=self.listened != listened))

    def _connect_for(self, loop: asyncio.AbstractEventLoop) -> Any:
        """In the executor: a listening connection handed to ``loop``, or None (closed)
        when the feed was unbound or closed meanwhile."""
        connection = self._connect()
        with self._lock:
            if self._loop is loop and not self._stop.is_set():
                self._handed = connection
                return connection
        connection.close()
        return None

    def _attach(self, loop: asyncio.AbstractEventLoop, connection: Any) -> bool:
        with self._lock:
            if self._handed is not connection:  # unbind or close took (and closed) it
                return False
            self._handed = None
        pgconn = connection.pgconn
        pgconn.nonblocking = 1
        self._pgconn, self._connection = pgconn, connection
        self.backend_pid = pgconn.backend_pid
        self._reset()  # changes made before LISTEN were never announced to us
        with self._lock:
            self._ready = True
        self.listened += 1
        self._fd = pgconn.socket
        loop.add_reader(self._fd, self._readable)
        self._readable()  # anything libpq already holds, and a fence asked for meanwhile
        return True

    def _send_next(self) -> None:
        """On the loop: send the next fence's ``SELECT 1`` unless one is in flight."""
        pgconn = self._pgconn
        with self._lock:
            if self._inflight is not None or self._next is None or pgconn is None:
                return
            self._inflight, self._next = self._next, None
        try:
            pgconn.send_query(b"SELECT 1")  # notifications come before its ReadyForQuery
            while pgconn.flush():  # a few bytes: the socket buffer takes them at once
                pass
        except Exception as exc:
            self._lose(type(exc).__name__)

    def _readable(self) -> None:
        from psycopg import pq

        pgconn = self._pgconn
        if pgconn is None:
            return
        try:
            pgconn.consume_input()  # raises when the connection is gone
            self._drain(pgconn)
            if self._inflight is not None:
                while not pgconn.is_busy():  # get_result would block while busy
                    answer = pgconn.get_result()
                    if answer is None:  # its ReadyForQuery: the fence is through
                        self._drain(pgconn)
                        with self._lock:
                            fence, self._inflight = self._inflight, None
                        if fence is not None:
                            fence.set_result(None)
                        self._send_next()
                        break
                    if answer.status != pq.ExecStatus.TUPLES_OK:
                        raise FeedDown(pgconn.get_error_message().decode(errors="replace"))
            if pgconn.status != pq.ConnStatus.OK:
                raise FeedDown("the connection is closed")
        except Exception as exc:
            self._lose(type(exc).__name__)

    def _lose(self, reason: str) -> None:
        """On the loop: the connection is gone (or closed): fail the fences, reset."""
        pgconn, self._pgconn = self._pgconn, None
        with self._lock:
            inflight, self._inflight = self._inflight, None
        if inflight is not None and not inflight.done():
            inflight.set_exception(FeedDown(reason))
        if pgconn is not None:
            loop = self._loop or asyncio._get_running_loop()  # the loop, or the one leaving
            fd, self._fd = self._fd, None
            if loop is not None and fd is not None:  # before the close frees the number
                with contextlib.suppress(Exception):  # the loop may be closed already
                    loop.remove_reader(fd)
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None
        self._down(reason)
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(reason)

    # ------------------------------------------------------------ the thread

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full (a wake-up is pending anyway) or closed
            os.write(self._wake_w, b"x")

    def _run(self) -> None:
        retry = _Retry(self._retry_s)
        while not self._stop.is_set():
            listened = self.listened
            try:
                self._listen()
            except Exception as exc:  # the connection failed: vouch for nothing until back
                reason = type(exc).__name__
                self._down(reason)
                self._stop.wait(retry.after_loss(reason, connected=self.listened != listened))
        self._down("closed")

    def _connect(self) -> Any:
        """A connection of its own, listening (blocking: in the thread or an executor)."""
        raw = self._database.raw_connection()
        connection: Any = raw.driver_connection  # psycopg's own connection
        raw.detach()  # its own connection from now on: the pool's slot is free again
        try:
            connection.autocommit = True
            connection.execute(f"SET application_name = '{APPLICATION_NAME}'")
            connection.execute(f"LISTEN {CHANNEL}")
        except BaseException:
            connection.close()
            raise
        return connection

    def _listen(self) -> None:
        connection = self._connect()
        try:
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
