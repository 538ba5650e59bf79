"""Readiness of a yinsi process (``GET /readyz``) and the figures computed at scrape time.

:func:`readiness` checks what a request needs besides the process itself: yinsi's
database (``SELECT 1`` on the shared pool) and, when ``operations.broker_url`` is set, the
task broker (Redis ``PING``, or the AMQP protocol handshake). Each check is bounded by
``operations.readiness_timeout_s`` and reports what failed without secrets (URLs lose their
password). :func:`overdue_requests` counts the open rights requests past due for the
``yinsi_rights_requests_overdue`` gauge.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import redis
import sqlalchemy as sa

from yinsi.rights.deadlines import triage

if TYPE_CHECKING:
    from yinsi.services.root import Services

__all__ = ["Check", "overdue_requests", "readiness"]

_AMQP_HEADER = b"AMQP\x00\x00\x09\x01"


@dataclass(frozen=True)
class Check:
    """One dependency: its name, whether it answered, and why not."""

    name: str
    ok: bool
    detail: str = "ok"


def readiness(services: Services) -> list[Check]:
    """The database check, then the broker's when one is configured."""
    timeout = services.settings.operations.readiness_timeout_s
    checks = [_database(services)]
    settings = services.settings
    broker = settings.operations.broker_url or settings.jobs.broker_url or None  # jobs' broker
    if broker is not None:
        checks.append(_broker(broker, timeout))
    return checks


def overdue_requests(services: Services) -> int | None:
    """Open rights requests past their due date (None: no data map, no rights service)."""
    if services.data_map is None:
        return None
    rights = services.rights
    today = rights.today()
    dated = [r for r in rights.requests() if r.due is not None and not r.status.closed]
    split = triage(
        dated, today, key=lambda r: r.due.date if r.due else today, calendar=rights.calendar
    )
    return len(split.overdue)


def _database(services: Services) -> Check:
    try:
        with services.database.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:
        return Check("database", False, f"数据库不可用：{type(exc).__name__}")
    return Check("database", True)


def _broker(url: str, timeout: float) -> Check:
    where = _safe(url)
    try:
        if url.startswith(("redis://", "rediss://")):
            client = redis.Redis.from_url(
                url, socket_timeout=timeout, socket_connect_timeout=timeout
            )
            try:
                client.ping()
            finally:
                client.close()
        else:
            _amqp_handshake(url, timeout)
    except Exception as exc:
        return Check("broker", False, f"消息代理 {where} 不可用：{type(exc).__name__}")
    return Check("broker", True)


def _amqp_handshake(url: str, timeout: float) -> None:
    """Send the AMQP 0-9-1 protocol header; a broker answers with a method frame."""
    parts = urlsplit(url)
    port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
    with socket.create_connection((parts.hostname or "localhost", port), timeout) as sock:
        if parts.scheme == "amqps":
            return  # TLS in front: the port answers, the handshake needs a TLS client
        sock.settimeout(timeout)
        sock.sendall(_AMQP_HEADER)
        first = sock.recv(1)
    if first != b"\x01":  # frame type 1: Connection.Start
        raise ConnectionError("not an AMQP 0-9-1 broker")


def _safe(url: str) -> str:
    """``url`` without user and password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
