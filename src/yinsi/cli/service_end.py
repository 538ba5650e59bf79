"""``yinsi service-end``: end the service (X39, PIPL Art. 47 (1)(2)).

    yinsi service-end announce APP --ends-on 2026-03-31 --map datamap.yaml
    yinsi service-end status APP --map datamap.yaml
    yinsi service-end run APP --map datamap.yaml        # on or after the end date

``announce`` records the end date (audited) and tells every user of the app in advance,
through the declared channels, when the service stops and what happens to their PI.
``run`` refuses before that date; then each user's PI is deleted through a deletion
request (trigger ``service_ended``), records under a hold kept and restricted, consents
ended. An interrupted run resumes when run again. Errors print one line and exit 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from yinsi.cli.common import (
    DELIVERY_OUTCOME_ZH,
    Actor,
    DbUrl,
    MapFile,
    err,
    fail,
    open_app_services,
    out,
)

if TYPE_CHECKING:
    from yinsi.services.service_end import ServiceEndService, ServiceEndStatus

service_end_app = typer.Typer(
    help="End the service: tell users in advance, then delete or anonymise their PI (X39).",
    no_args_is_help=True,
)

AppId = Annotated[str, typer.Argument(metavar="APP", help="The app id (as in the data map).")]
_SUBJECT_ZH = {"pending": "待处理", "running": "处理中", "done": "已完成"}


@contextmanager
def _service(data_map: Path | None, url: str | None, actor: str) -> Iterator[ServiceEndService]:
    """The service-end service of the data map's app; a known error prints one line."""
    from yinsi.rights.requests import RequestError

    with open_app_services(data_map, url, actor, RequestError, LookupError) as services:
        yield services.service_end


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--ends-on {text!r} is not a date; write it as YYYY-MM-DD")


def _show(status: ServiceEndStatus) -> None:
    plan = status.plan
    out.print(
        f"{plan.app_id}  {plan.status.label}  停止日期 {plan.ends_on.isoformat()}"
        f"（提前 {plan.notice_days} 天通知，{plan.announced_on.isoformat()} 由 "
        f"{plan.announced_by} 宣布）",
        markup=False,
    )
    out.print(f"  个人信息处理：{plan.action.label}", markup=False)
    if not plan.notice_declared:
        out.print("  注意：已发布的声明未承诺提前通知（storage.service_end_notice）", markup=False)
    counts = "，".join(f"{_SUBJECT_ZH[s.value]} {n}" for s, n in status.counts.items())
    out.print(f"  用户：{status.total} 人（{counts}）", markup=False)
    kept = status.outcomes.get("partially_completed", 0)
    if kept:
        out.print(
            f"  其中 {kept} 人的部分信息因法定保存期限或法律保全依法保留，已限制处理",
            markup=False,
        )
    sent = "，".join(
        f"{DELIVERY_OUTCOME_ZH.get(o, o)} {n}" for o, n in sorted(status.deliveries.items())
    )
    out.print(f"  通知：{sent or '—'}", markup=False)
    if plan.finished_at is not None:
        out.print(f"  完成于 {plan.finished_at.isoformat(timespec='seconds')}", markup=False)


@service_end_app.command()
def announce(
    app_id: AppId,
    ends_on: Annotated[
        str, typer.Option("--ends-on", help="The day the service stops (YYYY-MM-DD, Beijing).")
    ],
    min_notice_days: Annotated[
        int, typer.Option(min=0, help="The shortest notice period accepted, in days.")
    ] = 30,
    undeclared_notice: Annotated[
        bool,
        typer.Option(
            "--undeclared-notice",
            help="Announce although the published declaration does not promise the notice.",
        ),
    ] = False,
    data_map: MapFile = None,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Record the end date (audited) and send every user the advance notice."""
    day = _day(ends_on)
    with _service(data_map, url, actor) as service:
        service.announce(
            app_id,
            day,
            min_notice_days=min_notice_days,
            undeclared_notice=undeclared_notice,
        )
        _show(service.status(app_id))


@service_end_app.command()
def status(
    app_id: AppId,
    data_map: MapFile = None,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """The announced end, the users told, and how far the deletion went."""
    with _service(data_map, url, actor) as service:
        _show(service.status(app_id))


@service_end_app.command()
def run(
    app_id: AppId,
    data_map: MapFile = None,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """On or after the end date: delete every user's PI and end their consents.

    Records under a retention rule or legal hold are kept and restricted; run again to
    resume after an interruption.
    """
    with _service(data_map, url, actor) as service:
        before = service.status(app_id)
        before.plan.require_ended(service.rights.today())  # refused before any scan
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeElapsedColumn(), console=err, transient=False) as progress:
            task = progress.add_task("删除用户个人信息", total=None)

            def advance(_: object) -> None:
                progress.advance(task)

            pending = [p for p in service.progress(app_id) if p.status.value != "done"]
            progress.update(task, total=len(pending) or None)
            done = service.run(app_id, on_subject=advance)
        if before.plan.status.value == "running":
            out.print("已从上次中断处继续。", markup=False)
        _show(done)
