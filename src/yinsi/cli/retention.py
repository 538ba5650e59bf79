"""``yinsi retention``: delete or anonymise what has outlived its retention rule (X38, W13).

``plan`` is the dry run: per rule and dataset, how many rows a run would delete or
anonymise today and how many are past the limit but held. ``run`` sweeps in batches with
a progress bar; it can be interrupted at any point and run again to resume. Both open the
:class:`~yinsi.services.retention.RetentionService` of the app a data map describes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from yinsi.cli.common import DbUrl, err, out

if TYPE_CHECKING:
    from yinsi.services.retention import RetentionService

app = typer.Typer(
    help="Retention: delete or anonymise data past its retention period (X38).",
    no_args_is_help=True,
)

MapFile = Annotated[
    Path | None,
    typer.Option(
        "--map",
        envvar="YINSI_DATA_MAP",
        help="The app's data map (YAML); default: $YINSI_DATA_MAP.",
        show_default=False,
    ),
]
Today = Annotated[
    str | None,
    typer.Option(help="Sweep as of this date (YYYY-MM-DD); default: today in China."),
]
Actor = Annotated[str, typer.Option(help="Who the audit log names for the sweep.")]

_ACTION = {"delete": "删除", "erase_fields": "匿名化/去标识化"}


def _day(text: str | None) -> date:
    from yinsi.services.retention import today_in_china

    if text is None:
        return today_in_china()
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"--today {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-23")


def _fail(message: str) -> NoReturn:
    err.print(message, style="red", markup=False)
    raise typer.Exit(1)


@contextmanager
def _service(data_map: Path | None, url: str | None, actor: str) -> Iterator[RetentionService]:
    from yinsi.cli.rights_errors import KNOWN, describe
    from yinsi.lifecycle.retention import RetentionPlanError
    from yinsi.services.root import Services

    known: tuple[type[Exception], ...] = (*KNOWN, RetentionPlanError)
    if data_map is None:
        _fail("no data map: pass --map FILE or set YINSI_DATA_MAP")
    try:
        services = Services.open(url, data_map=data_map, actor=actor)
        service = services.retention
    except known as exc:
        _fail(describe(exc, data_map=data_map, url=url))
    try:
        yield service
    except known as exc:
        _fail(describe(exc, data_map=data_map, url=url))
    finally:
        services.close()


@app.command("plan")
def plan_command(
    data_map: MapFile = None, today: Today = None, url: DbUrl = None, actor: Actor = "cli"
) -> None:
    """Dry run: what a sweep would delete or anonymise today, and what is held. Changes nothing."""
    day = _day(today)
    with _service(data_map, url, actor) as service:
        counts = service.counts(day)
    out.print(f"保存期限清理计划（{day.isoformat()}，仅预览，不做任何修改）", markup=False)
    for c in counts:
        p = c.plan
        out.print(
            f"{p.rule}（{p.rule_label}，{p.period}） {p.dataset}: {p.since} 早于 "
            f"{p.cutoff.isoformat()} → {_ACTION[p.action.value]} {c.count.due} 条，"
            f"依法或因冻结保留 {c.count.held} 条",
            markup=False,
        )
    if not counts:
        out.print("数据清单中没有设置 retention 的数据集。", markup=False)


@app.command("run")
def run_command(
    data_map: MapFile = None,
    today: Today = None,
    batch: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Rows per batch (one transaction each: the next N keys, or on PostgreSQL the pages holding about N rows); default: sized to take about 0.2 s.",
            show_default=False,
        ),
    ] = None,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Delete or anonymise expired, unheld rows in batches; run again to resume."""
    day = _day(today)
    with _service(data_map, url, actor) as service:
        counts = service.counts(day)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=err, transient=False) as progress:
            tasks = {
                c.plan.dataset: progress.add_task(c.plan.dataset, total=c.count.due) for c in counts
            }
            report = service.run(
                day,
                batch=batch,
                plans=[c.plan for c in counts],
                on_batch=lambda b: progress.advance(tasks[b.dataset], b.rows),
            )
    if report.resumed:
        out.print("已从上次中断处继续。", markup=False)
    for dataset, rows in report.rows.items():
        out.print(f"{dataset}: {rows} 条已处理", markup=False)
    out.print(
        f"共 {sum(report.rows.values())} 条，{report.batches} 批；已记入审计日志。", markup=False
    )
