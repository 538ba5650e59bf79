"""``yinsi``: validate, render, diff and publish declarations; every other command group.

Entry points only parse arguments, call one function of the domain or one service, and
map errors to exit codes: 0 success, 1 user error (bad declaration, missing file), 3
material change with ``diff --exit-code``. User errors never print a traceback.

Start-up is part of the interface (benchmarks/startup.py): this module imports Typer and
Rich only. Each command imports what it needs when it runs, and the other command groups
(``yinsi rights``, ``yinsi serve``, …) are :class:`~yinsi.cli.lazy.LazyCommand`: their
modules load when they run, so ``yinsi --help`` and ``yinsi validate`` never load
SQLAlchemy, FastAPI or the services.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from yinsi import __version__
from yinsi.cli.common import DbUrl, err, open_services, out, yaml_limits
from yinsi.cli.lazy import LazyCommand, LazyGroup

if TYPE_CHECKING:
    from yinsi.declaration import Declaration, Problem


class Yinsi(LazyGroup):
    """The ``yinsi`` group: the declaration commands below, then every other command
    group, imported when it runs (its help line is repeated here for ``yinsi --help``)."""

    lazy = (
        LazyCommand(
            "lint",
            "yinsi.cli.lint:lint_app",
            "Lint declarations: every rule, with its id and the article it cites.",
            group=False,
        ),
        LazyCommand(
            "serve",
            "yinsi.cli.serve:serve_app",
            "Serve the REST API under /v1 (OpenAPI at /openapi.json, health at /healthz).",
            group=False,
        ),
        LazyCommand(
            "worker",
            "yinsi.cli.worker:worker_app",
            "Run jobs from the broker: rights requests, sweeps, reminders, export expiry, anchors.",
            group=False,
        ),
        LazyCommand(
            "beat",
            "yinsi.cli.worker:beat_app",
            "Send the periodic jobs on their schedule (YINSI_JOBS__SCHEDULE__…); run one beat.",
            group=False,
        ),
        LazyCommand("db", "yinsi.cli.db:db_app", "yinsi's own database: migrations."),
        LazyCommand("audit", "yinsi.cli.audit:audit_app", "yinsi's hash-chained audit log."),
        LazyCommand(
            "keys",
            "yinsi.cli.keys:keys_app",
            "Keys. create|list|revoke: API keys of `yinsi serve` (stored hashed). "
            "init|rotate|rewrap|reindex|drop: field-encryption keys (a 0600 key file; X09, X25, W17).",
        ),
        LazyCommand(
            "rights",
            "yinsi.cli.rights:rights_app",
            "Rights requests: submit, verify, approve or refuse, run, answer, follow up.",
        ),
        LazyCommand(
            "sample",
            "yinsi.cli.sample:app",
            "The sample lending back-end (synthetic data) for demos and trials.",
        ),
        LazyCommand(
            "demo",
            "yinsi.cli.demo:demo_app",
            "The demo tenant: 小赢卡贷 with synthetic users, consents, requests, holds.",
        ),
        LazyCommand(
            "retention",
            "yinsi.cli.retention:app",
            "Retention: delete or anonymise data past its retention period (X38).",
        ),
        LazyCommand(
            "incident",
            "yinsi.cli.incident:incident_app",
            "Security incidents: open, notify users and the regulator, close.",
        ),
        LazyCommand(
            "service-end",
            "yinsi.cli.service_end:service_end_app",
            "End the service: tell users in advance, then delete or anonymise their PI (X39).",
        ),
        LazyCommand(
            "sdk", "yinsi.cli.sdk:sdk_app", "SDK gates (W12): which SDKs the app may initialise."
        ),
        LazyCommand(
            "sources",
            "yinsi.cli.sources:sources_app",
            "Vetted third-party sources (X18): add, list, revoke.",
        ),
        LazyCommand(
            "permissions",
            "yinsi.cli.permissions:permissions_app",
            "Permission telemetry (W10, W12): check reported permission uses.",
        ),
        LazyCommand(
            "privacy",
            "yinsi.cli.privacy:privacy_app",
            "The privacy center (/privacy) of yinsi serve.",
        ),
        LazyCommand(
            "staff",
            "yinsi.cli.staff:staff_app",
            "Console accounts: add (admin, operator or auditor), list, disable.",
        ),
        LazyCommand(
            "scan",
            "yinsi.cli.scan:scan_app",
            "Find PI in files and folders (text, CSV, JSON, logs, XLSX, XLS, DOCX); exit 1 if any is found.",
            group=False,
        ),
        LazyCommand(
            "map",
            "yinsi.cli.map:map_app",
            "Data maps: their JSON Schema, and a check against the declaration and live stores.",
        ),
        LazyCommand(
            "deliveries",
            "yinsi.cli.deliveries:deliveries_app",
            "Failed deliveries kept for a later try: list them, try them again.",
        ),
    )


app = typer.Typer(
    name="yinsi",
    cls=Yinsi,
    help="隐私 yinsi — PIPL privacy policy as code: validate, render and diff declarations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        out.print(f"yinsi {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """隐私 yinsi — PIPL privacy policy as code."""


def _print_problems(problems: list[Problem]) -> None:
    for p in problems:
        err.print(str(p), style="red" if p.severity == "error" else "yellow", markup=False)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _load_or_exit(path: Path) -> Declaration:
    from yinsi.declaration import read_file

    loaded = read_file(path, limits=yaml_limits())
    if loaded.declaration is None:
        _print_problems(loaded.problems)
        errors = len(loaded.errors)
        err.print(f"{path}: {_count(errors, 'error')}", markup=False)
        raise typer.Exit(1)
    return loaded.declaration


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Declaration files (YAML).")],
    strict: Annotated[bool, typer.Option(help="Treat warnings as errors.")] = False,
) -> None:
    """Check declarations with every lint rule; print each problem as FILE:LINE:COL: message."""
    from yinsi.declaration import read_file
    from yinsi.declaration.lint.files import labelled
    from yinsi.declaration.lint.run import lint_checks

    failed = False
    limits = yaml_limits()
    for path in files:
        loaded = read_file(path, checks=(lint_checks,), limits=limits)
        shown = labelled(loaded.problems)  # refinements merged, as `yinsi lint` counts them
        _print_problems(shown)
        warnings = [p for p in shown if p.severity == "warning"]
        errors = len(shown) - len(warnings)
        if loaded.declaration is None or (strict and warnings):
            failed = True
            err.print(
                f"✗ {path}: {_count(errors, 'error')}, {_count(len(warnings), 'warning')}",
                markup=False,
            )
        else:
            d = loaded.declaration
            out.print(
                f"✓ {path}: {d.policy.title} v{d.policy.version} — "
                f"{len(d.scenarios)} scenarios, {len(d.sdks)} SDKs, {len(d.recipients)} recipients"
                + (f", {_count(len(warnings), 'warning')}" if warnings else ""),
                markup=False,
            )
    if failed:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the declaration's JSON Schema (for editors and CI)."""
    from yinsi.declaration import Declaration

    print(json.dumps(Declaration.model_json_schema(), ensure_ascii=False, indent=2))


class Doc(StrEnum):
    policy = "policy"
    summary = "summary"
    collected_list = "collected-list"
    sharing_list = "sharing-list"


class Format(StrEnum):
    md = "md"
    html = "html"


@app.command()
def render(
    file: Annotated[Path, typer.Argument(help="Declaration file (YAML).")],
    doc: Annotated[Doc, typer.Option("--doc", help="Which document to render.")] = Doc.policy,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.md,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
    ] = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain", help="Print each sentence, list item and table cell with its sources."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --explain: JSON.")] = False,
) -> None:
    """Render the privacy policy, its summary, or one of the two lists."""
    from yinsi.policy import explain as explain_doc
    from yinsi.policy import render as render_doc

    declaration = _load_or_exit(file)
    if explain:
        from yinsi.declaration.loader import parse
        from yinsi.policy.units import report

        marks = parse(file.read_text(encoding="utf-8"), str(file))[1]
        text = report(explain_doc(declaration, doc.value), marks, as_json)
    elif as_json:
        err.print("--json needs --explain", markup=False)
        raise typer.Exit(1)
    else:
        text = render_doc(declaration, doc.value, fmt.value)
    if output is None:
        print(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}", markup=False)


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier declaration.")],
    new: Annotated[Path, typer.Argument(help="The later declaration.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 3 when any change is material.")
    ] = False,
) -> None:
    """List what changed between two declarations and which changes are material (X03)."""
    from yinsi.declaration.diff import diff as diff_declarations
    from yinsi.declaration.diff import format_text, to_json

    changes = diff_declarations(_load_or_exit(old), _load_or_exit(new))
    if as_json:
        print(json.dumps(to_json(changes), ensure_ascii=False, indent=2))
    else:
        print(format_text(changes))
    if exit_code and any(c.material for c in changes):
        raise typer.Exit(3)


@app.command()
def publish(
    file: Annotated[Path, typer.Argument(help="Declaration file (YAML) to publish.")],
    url: DbUrl = None,
) -> None:
    """Publish a declaration as an immutable policy version (X01) in yinsi's database."""
    from yinsi.services.errors import StorageError

    declaration = _load_or_exit(file)  # every problem as FILE:LINE:COL before touching the db
    with open_services(
        url, actor="cli", known=(StorageError,), describe=lambda exc: f"{file}: {exc}"
    ) as services:
        version = services.consent.publish(file)
    material = [c for c in version.changes if c.material]
    since = f" (since {version.previous_version}: {len(version.changes)} changes, {len(material)} material)"
    out.print(
        f"published {declaration.app.id} {version.version} sha256:{version.content_sha256[:12]}"
        + (since if version.previous_version else ""),
        markup=False,
    )


def main() -> None:
    app()
