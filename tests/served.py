"""A real server for tests that need one (a browser, another process, an HTTP client that
must not share the app's event loop): an ASGI app on uvicorn in a daemon thread, on a free
loopback port.

A plain module, not a pytest plugin: import it (``from served import served``).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served(
    app: Any, *, port: int | None = None, log_level: str = "error", timeout_s: float = 20
) -> Iterator[str]:
    """``app`` served on ``port`` (None: a free one) until the block ends: its base URL.

    Fails when the server has not started within ``timeout_s`` (or its thread died);
    waits up to ``timeout_s`` for it to stop."""
    port = free_port() if port is None else port
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout_s)
