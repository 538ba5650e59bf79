"""Start-up stays light: what the client and the CLI's fast paths import, and the lazy
package names (timings live in benchmarks/startup.py, not here)."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

SERVER_SIDE = (
    "alembic",
    "fastapi",
    "jinja2",
    "redis",
    "sqlalchemy",
    "starlette",
    "uvicorn",
    "yinsi.api",
    "yinsi.connectors",
    "yinsi.server",
    "yinsi.services",
    "yinsi.storage",
    "yinsi.web",
)
"""Packages neither the client nor ``yinsi --help``/``yinsi validate`` may load."""

LAZY_PACKAGES = (
    "yinsi",
    "yinsi.connectors",
    "yinsi.consent",
    "yinsi.declaration",
    "yinsi.policy",
    "yinsi.rights",
    "yinsi.security",
    "yinsi.storage",
    "yinsi.taxonomy",
)


def _loaded_after(code: str) -> list[str]:
    """The modules ``code`` leaves in ``sys.modules``, run in a fresh interpreter."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def _of(modules: list[str], packages: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)]


def test_client_imports_no_server_package() -> None:
    loaded = _loaded_after("import yinsi.client")
    assert _of(loaded, (*SERVER_SIDE, "yinsi.cli", "yinsi.declaration.schema")) == []
    assert "httpx" in loaded


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["validate", "tests/data/minimal.yaml"]],
    ids=["help", "validate"],
)
def test_cli_fast_paths_load_no_command_group(argv: list[str]) -> None:
    """``yinsi --help`` lists every group without importing one; ``validate`` loads the
    declaration, never the services or their adapters."""
    code = (
        f"import sys; sys.argv = ['yinsi', *{argv!r}]\n"
        "from yinsi.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code"
    )
    loaded = _loaded_after(code)
    groups = [m for m in _of(loaded, ("yinsi.cli",)) if m not in _CLI_CORE]
    assert _of(loaded, SERVER_SIDE) == []
    assert groups == []


_CLI_CORE = {"yinsi.cli", "yinsi.cli.app", "yinsi.cli.common", "yinsi.cli.lazy"}


def test_help_lists_every_group_with_the_line_its_module_gives() -> None:
    """The help line written in yinsi.cli.app is the one the loaded group would show."""
    from yinsi.cli.app import Yinsi

    assert [c.name for c in Yinsi.lazy] == [
        "lint",
        "serve",
        "worker",
        "beat",
        "db",
        "audit",
        "keys",
        "rights",
        "sample",
        "demo",
        "retention",
        "incident",
        "service-end",
        "sdk",
        "sources",
        "permissions",
        "privacy",
        "staff",
        "scan",
        "map",
        "deliveries",
    ]
    for stand_in in Yinsi.lazy:
        command = stand_in.load()
        shown = (command.short_help or command.help or "").split("\n\n")[0].strip()
        assert stand_in.help == shown, stand_in.name
        assert command.name == stand_in.name


# ------------------------------------------------------------------ lazy package names


def _declared(package: str) -> dict[str, str]:
    """Each name the package's ``__init__`` imports, eagerly or under TYPE_CHECKING, and
    the module that defines it (``module:name``, or ``module`` for a submodule itself)."""
    path = ROOT / "src" / Path(*package.split(".")) / "__init__.py"
    declared: dict[str, str] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("yinsi"):
            for alias in node.names:
                name = alias.asname or alias.name
                if node.module == package:
                    declared[name] = f"{package}.{alias.name}"
                elif node.module != "yinsi._lazy":
                    declared[name] = f"{node.module}:{alias.name}"
    return declared


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_lazy_package_exports_what_it_declares(package: str) -> None:
    """``__all__`` is sorted and is every imported name; each resolves to the object its
    import names, even when every submodule was imported first (a lazy name that is also a
    submodule's name would then resolve to the module: see yinsi._lazy)."""
    declared = _declared(package)
    check = f"""
import importlib, pkgutil, sys
package = importlib.import_module({package!r})
for info in pkgutil.iter_modules(package.__path__, {package!r} + "."):
    importlib.import_module(info.name)
wrong = []
for name, where in {declared!r}.items():
    module, _, attribute = where.partition(":")
    expected = importlib.import_module(module)
    if attribute:
        expected = getattr(expected, attribute)
    if getattr(package, name) is not expected:
        wrong.append(name)
assert not wrong, wrong
"""
    all_names: list[str] = importlib.import_module(package).__all__
    assert all_names == sorted(all_names), f"{package}.__all__ is not sorted"
    assert set(all_names) - {"__version__"} == set(declared), package
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
