"""The dependency rule and the public API, checked on every run (CI runs only `make test`)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def test_domain_never_imports_adapters() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "module", ["yinsi.taxonomy", "yinsi.declaration", "yinsi.policy", "yinsi.consent"]
)
def test_public_api_is_sorted_and_complete(module: str) -> None:
    mod = importlib.import_module(module)
    names = mod.__all__
    assert names == sorted(names), f"{module}.__all__ is not sorted"
    for name in names:
        assert hasattr(mod, name), f"{module}.__all__ names {name} which is missing"
