"""``yinsi``: validate, render, diff and describe declarations.

Entry points only parse arguments, call one function of the domain, and map errors to
exit codes: 0 success, 1 user error (bad declaration, missing file), 3 material change
with ``diff --exit-code``. User errors never print a traceback.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from yinsi import __version__
from yinsi.cli.audit import audit_app
from yinsi.cli.common import DbUrl, db_url, err, out, show_url
from yinsi.cli.demo import demo_app
from yinsi.cli.incident import incident_app
from yinsi.cli.keys import keys_app
from yinsi.cli.permissions import permissions_app
from yinsi.cli.privacy import privacy_app
from yinsi.cli.retention import app as retention_app
from yinsi.cli.rights import rights_app
from yinsi.cli.sample import app as sample_app
from yinsi.cli.sdk import sdk_app
from yinsi.cli.serve import serve_app
from yinsi.cli.staff import staff_app
from yinsi.declaration import Declaration, Problem, read_file

app = typer.Typer(
    name="yinsi",
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


def _load_or_exit(path: Path) -> Declaration:
    loaded = read_file(path)
    if loaded.declaration is None:
        _print_problems(loaded.problems)
        errors = len(loaded.errors)
        err.print(f"{path}: {errors} error{'s' if errors != 1 else ''}", markup=False)
        raise typer.Exit(1)
    return loaded.declaration


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Declaration files (YAML).")],
    strict: Annotated[bool, typer.Option(help="Treat warnings as errors.")] = False,
) -> None:
    """Check declarations; print every problem as FILE:LINE:COL: message."""
    from yinsi.policy import completeness

    failed = False
    for path in files:
        loaded = read_file(path, checks=(completeness,))
        _print_problems(loaded.problems)
        if loaded.declaration is None or (strict and loaded.warnings):
            failed = True
            err.print(
                f"✗ {path}: {len(loaded.errors)} errors, {len(loaded.warnings)} warnings",
                markup=False,
            )
        else:
            d = loaded.declaration
            out.print(
                f"✓ {path}: {d.policy.title} v{d.policy.version} — "
                f"{len(d.scenarios)} scenarios, {len(d.sdks)} SDKs, {len(d.recipients)} recipients"
                + (f", {len(loaded.warnings)} warnings" if loaded.warnings else ""),
                markup=False,
            )
    if failed:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the declaration's JSON Schema (for editors and CI)."""
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
) -> None:
    """Render the privacy policy, its summary, or one of the two lists."""
    from yinsi.policy import render as render_doc

    text = render_doc(_load_or_exit(file), doc.value, fmt.value)
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


db = typer.Typer(help="yinsi's own database: migrations.", no_args_is_help=True)


@app.command()
def publish(
    file: Annotated[Path, typer.Argument(help="Declaration file (YAML) to publish.")],
    url: DbUrl = None,
) -> None:
    """Publish a declaration as an immutable policy version (X01) in yinsi's database."""
    from yinsi.services.consent import Engine
    from yinsi.storage import StorageError

    declaration = _load_or_exit(file)  # every problem as FILE:LINE:COL before touching the db
    try:
        with Engine(url, actor="cli") as engine:
            version = engine.publish(file)
    except StorageError as exc:
        err.print(f"{file}: {exc}", markup=False)
        raise typer.Exit(1) from None
    material = [c for c in version.changes if c.material]
    since = f" (since {version.previous_version}: {len(version.changes)} changes, {len(material)} material)"
    out.print(
        f"published {declaration.app.id} {version.version} sha256:{version.content_sha256[:12]}"
        + (since if version.previous_version else ""),
        markup=False,
    )


app.add_typer(db, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(rights_app, name="rights")
app.add_typer(sample_app, name="sample")
app.add_typer(demo_app, name="demo")
app.add_typer(retention_app, name="retention")
app.add_typer(incident_app, name="incident")
app.add_typer(sdk_app, name="sdk")
app.add_typer(permissions_app, name="permissions")
app.add_typer(privacy_app, name="privacy")
app.add_typer(staff_app, name="staff")
app.registered_commands += serve_app.registered_commands


@db.command("upgrade")
def db_upgrade(
    url: DbUrl = None,
) -> None:
    """Migrate yinsi's database to the latest schema (safe to run again)."""
    from sqlalchemy.exc import SQLAlchemyError

    from yinsi.storage import current_revision, head_revision, upgrade

    target = db_url(url)
    try:
        before = current_revision(target)
        upgrade(target)
    except SQLAlchemyError as exc:
        err.print(
            f"cannot migrate {show_url(target)}: {exc.__class__.__name__}: {exc}", markup=False
        )
        raise typer.Exit(1) from None
    head = head_revision()
    state = "already up to date" if before == head else f"{before or 'empty'} -> {head}"
    out.print(f"{show_url(target)}: {state}", markup=False)


@db.command("current")
def db_current(
    url: DbUrl = None,
) -> None:
    """Show the schema revision of yinsi's database and whether it is up to date."""
    from yinsi.storage import current_revision, head_revision

    target = db_url(url)
    rev, head = current_revision(target), head_revision()
    out.print(
        f"{show_url(target)}: {rev or 'not migrated'}"
        + ("" if rev == head else f" (latest is {head}; run `yinsi db upgrade`)"),
        markup=False,
    )
    if rev != head:
        raise typer.Exit(1)


def main() -> None:
    app()
