"""Test helpers of the fault drills: the topology of ``scripts/topology.py`` as a context
manager, a loopback TCP proxy to cut, and checks against the sample app's tables.

A plain module, not a pytest plugin: import it (``from topology import …``). The topology
is the script's own :func:`topology` (loaded from ``scripts/topology.py``), so the drills
run against exactly what ``make topology`` starts.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa

from served import free_port

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "topology.py"


def _load_script() -> ModuleType:
    name = "yinsi_topology_script"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec is not None and spec.loader is not None, SCRIPT
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


script = _load_script()
Topology = script.Topology
Process = script.Process
topology = script.topology
approved_deletion = script.approved_deletion
status_of = script.status_of
wait_status = script.wait_status
BROKER = script.Machine.broker_url
BROKER_PORT = 5672


def wait_for(done: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {seconds} s")
        time.sleep(0.1)


# ------------------------------------------------------------------ a TCP proxy to cut


class TcpProxy:
    """Forwards a loopback port to ``target``; :meth:`cut` closes the port and every
    connection through it (clients see the peer vanish, as in a broker restart, and new
    connections are refused), :meth:`restore` listens again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.restore()

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            open_ = list(self._sockets)
            self._sockets.clear()
        if listener is not None:
            _close(listener)
        for sock in open_:
            _close(sock)

    def close(self) -> None:
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:
                    _close(client)
                    _close(upstream)
                    return
                self._sockets.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                _close(sock)
            with self._lock:
                self._sockets.discard(source)
                self._sockets.discard(sink)


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@contextmanager
def broker_proxy() -> Iterator[TcpProxy]:
    proxy = TcpProxy(("127.0.0.1", BROKER_PORT))
    try:
        yield proxy
    finally:
        proxy.close()


# ------------------------------------------------------------------ the app's tables


def snapshot(topo: Any) -> dict[Any, object]:
    """Every PI value now in the sample's stores (SQL cells and Redis fields)."""
    import yinsi_demo as sample

    return dict(sample.snapshot(topo.engines, topo.redis, topo.redis_prefix))


def erased_once(topo: Any, before: Mapping[Any, object], *uids: str) -> None:
    """Cell by cell: every erasable cell of ``uids`` changed, every other cell as it was."""
    after = snapshot(topo)
    erasable: dict[Any, object] = {}
    for uid in uids:
        cells = topo.seeded.erasable_cells(uid)
        assert cells, uid
        erasable.update(cells)
    kept = [c for c, v in erasable.items() if after.get(c) == v]
    assert not kept, f"not erased: {kept[:5]}"
    changed = [c for c, v in before.items() if c not in erasable and after.get(c) != v]
    assert not changed, f"changed but not the subject's to erase: {changed[:5]}"


@contextmanager
def users_row_locked(topo: Any, uid: str) -> Iterator[None]:
    """Hold the subject's ``users`` row in ``core``: the step erasing its fields waits on
    the lock after the steps before it are done (a run held "mid-erasure")."""
    engine = sa.create_engine(topo.store_urls["core"])
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(
                sa.text("SELECT id FROM users WHERE id = :id FOR NO KEY UPDATE"), {"id": uid}
            )
            yield
    finally:
        engine.dispose()


def steps(topo: Any, request_id: str) -> list[dict[str, Any]]:
    """The request's journal, read from yinsi's database (not through an API process)."""
    engine = sa.create_engine(topo.url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT n, dataset, status, attempts FROM rights_steps "
                    "WHERE request_id = :id ORDER BY n"
                ),
                {"id": request_id},
            )
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()


def history(topo: Any, request_id: str) -> list[str]:
    """The request's statuses in order (its transitions), read from yinsi's database."""
    engine = sa.create_engine(topo.url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT status FROM rights_transitions WHERE request_id = :id ORDER BY n"),
                {"id": request_id},
            )
            return [str(row.status) for row in rows]
    finally:
        engine.dispose()


def each_step_once(topo: Any, request_id: str) -> None:
    """The journal: every step done, each started exactly once; one run in the history."""
    journal = steps(topo, request_id)
    assert journal and all(s["status"] == "done" for s in journal), journal
    assert [s["attempts"] for s in journal] == [1] * len(journal), journal
    statuses = history(topo, request_id)
    assert statuses.count("executing") == 1 and statuses[-1] == "completed", statuses


def step_running(topo: Any, request_id: str, dataset: str) -> Callable[[], bool]:
    def check() -> bool:
        journal = steps(topo, request_id)
        return any(s["dataset"] == dataset and s["status"] == "running" for s in journal)

    return check
