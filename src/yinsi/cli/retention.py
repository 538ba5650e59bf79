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
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from yinsi.cli.common import DbUrl, MapFile, err, fail, open_services, out

if TYPE_CHECKING:
    from yinsi.lifecycle.retention import SweepPlan
    from yinsi.services.retention import RetentionService

app = typer.Typer(
    help="Retention: delete or anonymise data past its retention period (X38).",
    no_args_is_help=True,
)

Today = Annotated[
    str | None,
    typer.Option(help="Sweep as of this date (YYYY-MM-DD); default: today in China."),
]
Actor = Annotated[str, typer.Option(help="Who the audit log names for the sweep.")]

_STRATEGY = {
    "null": "清除字段",
    "delete": "清除字段",
    "anonymise": "匿名化",
    "keyed_hash": "去标识化",
    "mask": "去标识化",
    "generalise": "去标识化",
}
"""What a field strategy does to a row, as the dry run says it."""


def _action(plan: SweepPlan) -> str:
    """``删除`` for rows deleted; for fields, what their strategies do (``清除字段``,
    ``匿名化``, ``去标识化``, joined), never more than they do."""
    if plan.action.value == "delete":
        return "删除"
    return "、".join(dict.fromkeys(_STRATEGY.get(f.erase.value, "处理") for f in plan.fields))


def _day(text: str | None) -> date:
    from yinsi.services.retention import today_in_china

    if text is None:
        return today_in_china()
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--today {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-23")


@contextmanager
def _service(data_map: Path | None, url: str | None, actor: str) -> Iterator[RetentionService]:
    """The retention service of the data map's app; errors as in :func:`open_services`,
    and a retention rule the stores cannot follow."""
    from yinsi.cli.rights_errors import KNOWN
    from yinsi.lifecycle.retention import RetentionPlanError

    known = (*KNOWN, RetentionPlanError)
    with open_services(
        url, actor=actor, data_map=data_map, needs_map=True, known=known
    ) as services:
        yield services.retention


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
            f"{p.cutoff.isoformat()} → {_action(p)} {c.count.due} 条，"
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
