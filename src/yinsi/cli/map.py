"""``yinsi map``: data maps — their JSON Schema and their check (issue 17).

``yinsi map schema`` prints the data map's JSON Schema (for editors and CI; every key is
explained in ``docs/datamap.md``). ``yinsi map check MAP`` prints every problem of the
map at ``FILE:LINE:COL``, warnings included; ``--declaration`` checks it against the
declaration (elements, retention rules, recipients); ``--connect`` inspects every store
read-only (tables, columns, types, Redis keys, webhook hosts); ``--subject ID`` adds a
dry run of an access and a deletion request of that subject. Exit 1 on an error.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from yinsi.cli.common import err, fail, out, yaml_limits
from yinsi.cli.map_draft import draft

if TYPE_CHECKING:
    from yinsi.declaration import Declaration
    from yinsi.services.datamap_check import MapReport

map_app = typer.Typer(
    help="Data maps: their JSON Schema, and a check against the declaration and live stores.",
    no_args_is_help=True,
)


@map_app.callback()
def _group() -> None:
    """Data maps (where an app's PI lives: docs/datamap.md)."""


class CheckFormat(StrEnum):
    text = "text"
    json = "json"


@map_app.command("schema")
def schema() -> None:
    """Print the data map's JSON Schema (every key: docs/datamap.md)."""
    from yinsi.declaration.datamap import DataMap

    print(json.dumps(DataMap.model_json_schema(), ensure_ascii=False, indent=2))


@map_app.command("check")
def check(
    data_map: Annotated[Path, typer.Argument(metavar="MAP", help="The data map (YAML).")],
    declaration: Annotated[
        Path | None,
        typer.Option(help="The app's declaration: check elements, rules and recipients."),
    ] = None,
    connect: Annotated[
        bool,
        typer.Option(help="Inspect every store read-only: tables, columns, types, keys."),
    ] = False,
    subject: Annotated[
        str | None,
        typer.Option(
            help="Dry run for this subject id: rows exported, erased, kept and why "
            "(needs --declaration; implies --connect; changes nothing)."
        ),
    ] = None,
    fmt: Annotated[
        CheckFormat, typer.Option("--format", help="text (FILE:LINE:COL: …) or json.")
    ] = CheckFormat.text,
) -> None:
    """Check a data map: every problem at FILE:LINE:COL, live stores, verification, dry run."""
    from yinsi.rights.ports import ConnectorError
    from yinsi.services.datamap_check import check_map

    if subject is not None and declaration is None:
        fail("--subject needs --declaration FILE (its retention rules decide what is kept)")
    limits = yaml_limits()
    decl = _declaration(declaration) if declaration is not None else None
    try:
        report = check_map(
            data_map, decl, connect=connect or subject is not None, subject=subject, limits=limits
        )
    except ConnectorError as exc:
        fail(f"{data_map}: {exc}")
    if fmt is CheckFormat.json:
        print(json.dumps(_as_json(report), ensure_ascii=False, indent=2))
    else:
        _print(report)
    errors = len(report.errors)
    warnings = len(report.problems) - errors
    err.print(f"{data_map}: {errors} error(s), {warnings} warning(s)", markup=False)
    if errors:
        raise typer.Exit(1)


def _declaration(path: Path) -> Declaration:
    from yinsi.declaration import read_file

    loaded = read_file(path, limits=yaml_limits())
    if loaded.declaration is None:
        for p in loaded.errors:
            err.print(str(p), markup=False)
        fail(f"{path}: the declaration has {len(loaded.errors)} error(s); fix it first")
    return loaded.declaration


def _print(report: MapReport) -> None:
    for p in report.problems:
        out.print(str(p), markup=False, style="red" if p.severity == "error" else "yellow")
    if any(s.reachable is not None for s in report.stores):
        out.print("\n存储（只读检查）：", markup=False)
        for s in report.stores:
            state = {True: "可连接", False: "无法连接", None: "未连接"}[s.reachable]
            out.print(f"  {s.store} ({s.kind}): {state} {s.note}".rstrip(), markup=False)
    if report.verification:
        out.print("\n身份验证（短信验证码 sms / 身份证号后六位 id_suffix）：", markup=False)
        for method, found in report.verification.items():
            if not found.routes:
                out.print(
                    f"  {method}: 无可用数据集 — no dataset linked to user_id holds "
                    f"{found.element!r}"
                    + (f"; not linked: {', '.join(found.unlinked)}" if found.unlinked else "")
                    + (f"; below the root: {', '.join(found.below)}" if found.below else ""),
                    markup=False,
                    style="yellow",
                )
            for r in found.routes:
                how = "parent links" if r.through_parents else "subject"
                out.print(
                    f"  {method}: {r.dataset}.{r.field} via {' → '.join(r.via)} ({how})",
                    markup=False,
                )
    if report.dry_run is not None:
        run = report.dry_run
        out.print(f"\n试运行（主体 {run.subject}，未做任何修改）：", markup=False)
        for d in run.datasets:
            if not d.found:
                continue
            by_predicate = "无主键，按主体条件匹配"
            listed = by_predicate if d.keyless else ", ".join(d.found)
            erased = by_predicate if d.keyless else ", ".join(d.erased)
            erased = f" {len(d.erased)} 条 [{erased}]" if d.erased or d.kept else ""
            out.print(
                f"  {d.dataset}: 导出 {len(d.found)} 条 [{listed}]；删除请求时{d.how}{erased}",
                markup=False,
            )
            for key, reasons in d.kept.items():
                out.print(f"    保留 {key}：{'；'.join(reasons)}", markup=False)
        out.print("  删除请求的执行计划：", markup=False)
        for step in run.steps:
            out.print(f"    {step}", markup=False)


def _as_json(report: MapReport) -> dict[str, Any]:
    return {
        "file": report.file,
        "errors": len(report.errors),
        "problems": [
            {
                "file": p.file,
                "line": p.line,
                "column": p.column,
                "path": list(p.path),
                "severity": p.severity,
                "message": p.message,
            }
            for p in report.problems
        ],
        "stores": [asdict(s) for s in report.stores],
        "verification": {
            method: {
                "element": found.element,
                "routes": [asdict(r) for r in found.routes],
                "unlinked": list(found.unlinked),
                "below_root_not_read": list(found.below),
            }
            for method, found in report.verification.items()
        },
        "dry_run": None if report.dry_run is None else asdict(report.dry_run),
    }


map_app.command("draft")(draft)  # yinsi map draft: discovery (cli/map_draft.py)
