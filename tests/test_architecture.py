"""The dependency rule and the public API, checked on every run (CI runs only `make test`)."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def test_domain_never_imports_adapters() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports)],
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


# ------------------------------------------------------------------ size and layering

SRC = ROOT / "src"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def _says_why(lines: list[str], first: int) -> bool:
    """A comment on the line just above line ``first`` (1-based) that says why it is long."""
    above = lines[first - 2].strip() if first >= 2 else ""
    return above.startswith("#") and "long" in above.lower()


def _sources() -> list[Path]:
    """yinsi's modules, the demo package's (``demo/src/yinsi_demo``) and the reference
    lending app's (``examples/lending_app/src/lending_app``)."""
    return sorted(
        [
            *SRC.rglob("*.py"),
            *(ROOT / "demo" / "src").rglob("*.py"),
            *(ROOT / "examples" / "lending_app" / "src").rglob("*.py"),
        ]
    )


def test_no_module_over_400_lines_or_function_over_80_without_a_comment_saying_why() -> None:
    """A module over 400 lines says why in a comment among its first lines; a function over
    80 lines in a comment just above its ``def`` (or its first decorator)."""
    too_long: list[str] = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        where = path.relative_to(ROOT)
        if len(lines) > MAX_MODULE_LINES and not any(
            line.startswith("#") and "long" in line.lower() for line in lines[:30]
        ):
            too_long.append(f"{where}: {len(lines)} lines")
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if size > MAX_FUNCTION_LINES and not _says_why(lines, first):
                too_long.append(f"{where}:{node.lineno}: {node.name}() is {size} lines")
    assert not too_long, "split these, or say why in a comment:\n" + "\n".join(too_long)


UNIT_OF_WORK = re.compile(r"\buow\b|\bunits\(|UnitOfWork|unit_of_work|yinsi\.storage")


@pytest.mark.parametrize("package", ["api", "cli", "web"])
def test_entry_points_hold_no_unit_of_work(package: str) -> None:
    """The web pages, the REST API and the CLI call services; only services open units
    of work."""
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((SRC / "yinsi" / package).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if UNIT_OF_WORK.search(line)
    ]
    assert not found, "\n".join(found)
