"""``yinsi lint``: every lint rule on declaration files, as text, JSON or SARIF 2.1.0.

Exit codes: 0 no errors (warnings are gaps to review), 1 an error was found (with
``--strict``, a warning too) or the options are wrong. The rules and their citations are
in ``docs/rules.md`` (:mod:`yinsi.declaration.lint`).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from yinsi.cli.common import err, out, yaml_limits

lint_app = typer.Typer()


class LintFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


@lint_app.command("lint")
def lint(
    files: Annotated[list[Path], typer.Argument(help="Declaration files (YAML).")],
    fmt: Annotated[
        LintFormat, typer.Option("--format", help="text (FILE:LINE:COL: …), json or sarif.")
    ] = LintFormat.text,
    rules: Annotated[
        list[str] | None,
        typer.Option("--rule", help="Report only this rule (repeatable); see docs/rules.md."),
    ] = None,
    strict: Annotated[bool, typer.Option(help="Treat warnings as errors.")] = False,
    docs_url: Annotated[
        str, typer.Option(help="Where docs/rules.md is published (SARIF helpUri).")
    ] = "docs/rules.md",
) -> None:
    """Lint declarations: every rule, with its id and the article it cites."""
    from yinsi import __version__
    from yinsi.declaration.lint.files import UnknownRule, lint_file
    from yinsi.declaration.lint.report import to_json, to_sarif

    try:
        limits = yaml_limits()
        problems = [p for path in files for p in lint_file(path, rules, limits=limits)]
    except UnknownRule as exc:
        err.print(f"yinsi lint: {exc}", markup=False)
        raise typer.Exit(1) from None
    if fmt is LintFormat.json:
        print(json.dumps(to_json(problems), ensure_ascii=False, indent=2))
    elif fmt is LintFormat.sarif:
        log = to_sarif(problems, version=__version__, docs_url=docs_url)
        print(json.dumps(log, ensure_ascii=False, indent=2))
    else:
        for p in problems:
            out.print(str(p), markup=False)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    n = len(files)
    err.print(
        f"{n} file{'s' if n != 1 else ''}: {errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''}",
        markup=False,
    )
    if errors or (strict and warnings):
        raise typer.Exit(1)
