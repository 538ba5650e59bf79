"""``yinsi rights deferred``: the deletions deferred while a contract ran, done once it ended.

A deletion request keeps the rows a running contract needs (a loan outstanding) and
defers their deletion. Run this daily (cron, or the ``yinsi.rights.deferred`` job): each
deferred row whose contract has ended is erased, or restricted if a retention period now
runs, and the requester is told (:mod:`yinsi.services.rights_deferred`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from yinsi.cli.common import Actor, DbUrl, MapFile, fail, open_services, out


def deferred(
    data_map: MapFile = None,
    url: DbUrl = None,
    actor: Actor = "cli",
    today: Annotated[
        str | None,
        typer.Option(help="The day to judge holds on (YYYY-MM-DD); default today in China."),
    ] = None,
) -> None:
    """Do the deletions deferred while a contract ran, for contracts that have ended."""
    day: date | None = None
    if today is not None:
        try:
            day = date.fromisoformat(today)
        except ValueError:
            fail(f"--today {today!r}: not a date, expected YYYY-MM-DD")
    with open_services(url, actor=actor, data_map=data_map, needs_map=True) as services:
        runs = services.rights.run_deferred(day, actor=actor)
    if not runs:
        out.print("没有暂缓删除的信息", markup=False)
        return
    for run in runs:
        erased = sum(run.erased.values())
        waiting = sum(run.waiting.values())
        state = "已完成并已告知用户" if run.finished else f"仍有 {waiting} 条合同履行中，继续暂缓"
        restricted = f"，限制处理 {'、'.join(run.restricted)}" if run.restricted else ""
        out.print(f"{run.request_id}：删除 {erased} 条{restricted}；{state}", markup=False)
