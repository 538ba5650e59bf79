"""Shared fixtures: paths to the example declarations and a mutable base declaration."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = ROOT / "examples" / "declarations"


@pytest.fixture
def base() -> dict[str, Any]:
    """The base declaration as plain data, fresh for each test."""
    data: dict[str, Any] = yaml.safe_load((DATA / "base.yaml").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def dump() -> Callable[[dict[str, Any]], str]:
    def _dump(data: dict[str, Any]) -> str:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)

    return _dump


# ------------------------------------------------------------------ the machine's services

SERVICES = {
    "PostgreSQL": ("127.0.0.1", 5432),
    "MariaDB": ("127.0.0.1", 3306),
    "Redis": ("127.0.0.1", 6379),
    "RabbitMQ": ("127.0.0.1", 5672),
}
"""What the suite talks to over real connections (tests/services.py, storage_fixtures.py)."""

_skipped: list[str] = []


def _unreachable() -> list[str]:
    down = []
    for name, (host, port) in SERVICES.items():
        try:
            socket.create_connection((host, port), timeout=3).close()
        except OSError as exc:
            down.append(f"{name} at {host}:{port}: {exc}")
    return down


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI every service must be up before the first test: a down one ends the run with
    the list of what is unreachable instead of a thousand connection errors."""
    if os.environ.get("CI") and (down := _unreachable()):
        pytest.exit("services the tests need are unreachable:\n  " + "\n  ".join(down), 1)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test fails the run: nothing the suite proves may go unchecked."""
    if os.environ.get("CI") and _skipped and exitstatus == 0:
        print("\nskipped in CI (not allowed):\n  " + "\n  ".join(_skipped))
        session.exitstatus = 1
