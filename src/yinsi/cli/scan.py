"""``yinsi scan``: find PI in files and folders (text, CSV, JSON, logs, XLSX, XLS, DOCX).

Prints, per file, the count per kind and every place (``LINE:COL``, ``Sheet!B3`` in a
workbook, ``$.users[0].name`` in escaped JSON) with a masked snippet; never a full value. Exit codes, for CI: 0 nothing
found, 1 PI found, 2 nothing found but a path could not be read or the options are wrong.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from yinsi.cli.common import err, out
from yinsi.taxonomy.detectors.finding import KIND_NAMES

if TYPE_CHECKING:
    from yinsi.services.pii_scan import FileReport

scan_app = typer.Typer()

SHOWN_SKIPPED = 5
"""Skipped files named in the text summary (``--format json`` lists them all)."""


class ScanFormat(StrEnum):
    text = "text"
    json = "json"


def _kinds(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [kind.strip() for value in values for kind in value.split(",") if kind.strip()]


def _print_text(report: FileReport) -> None:
    if report.error is not None:
        err.print(f"{report.path}: 错误：{report.error}", markup=False)
        return
    if not report.hits:
        out.print(f"{report.path}: 未发现个人信息", markup=False)
        return
    summary = "，".join(f"{KIND_NAMES[k]} {n}" for k, n in report.counts.items())
    out.print(f"{report.path}: {len(report.hits)} 处个人信息（{summary}）", markup=False)
    for hit in report.hits:
        out.print(f"  {hit.where}  {KIND_NAMES[hit.kind]}  {hit.snippet}", markup=False)


def _as_json(report: FileReport) -> dict[str, object]:
    return {
        "path": str(report.path),
        "error": report.error,
        "counts": report.counts,
        "findings": [
            {
                "where": hit.where,
                "kind": hit.kind,
                "element": hit.element,
                "confidence": hit.confidence,
                "snippet": hit.snippet,
            }
            for hit in report.hits
        ],
    }


@scan_app.command("scan")
def scan(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to scan.")],
    fmt: Annotated[
        ScanFormat, typer.Option("--format", help="text (per file, LINE:COL) or json.")
    ] = ScanFormat.text,
    kinds: Annotated[
        list[str] | None,
        typer.Option(
            "--kinds", help="Only these kinds (comma-separated or repeated), e.g. mobile,id_number."
        ),
    ] = None,
) -> None:
    """Find PI in files and folders (text, CSV, JSON, logs, XLSX, XLS, DOCX); exit 1 if any is found."""
    from yinsi.services.pii_scan import scan_paths

    try:
        every = list(scan_paths(paths, _kinds(kinds)))
    except ValueError as exc:
        err.print(f"yinsi scan: --kinds: {exc}", markup=False)
        raise typer.Exit(2) from None
    reports = [r for r in every if not r.skipped]
    skipped = [str(r.path) for r in every if r.skipped]
    found = sum(len(r.hits) for r in reports)
    failed = sum(r.error is not None for r in reports)
    if fmt is ScanFormat.json:
        document = {"files": [_as_json(r) for r in reports], "skipped": skipped, "found": found}
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        for report in reports:
            _print_text(report)
    err.print(
        f"扫描 {len(reports)} 个文件：发现 {found} 处个人信息"
        + (f"，{failed} 个文件无法读取" if failed else ""),
        markup=False,
    )
    if skipped:  # a PDF, an image or an archive may hold PI too: say which were not read
        shown = "、".join(skipped[:SHOWN_SKIPPED]) + ("等" if len(skipped) > SHOWN_SKIPPED else "")
        err.print(
            f"跳过 {len(skipped)} 个二进制文件（如 PDF、图片、压缩包），其中的个人信息未检查："
            + shown,
            markup=False,
        )
    if found:
        raise typer.Exit(1)
    if failed:
        raise typer.Exit(2)
