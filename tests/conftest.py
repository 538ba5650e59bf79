"""Shared fixtures: paths to the example declarations and a mutable base declaration."""

from __future__ import annotations

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
