"""``yinsi rights``: rights requests at the customer-service desk (PIPL Chapter IV, W14).

The command line is the customer-service desk: a request filed here is recorded with
channel ``customer_service`` unless ``--channel`` says it came by phone, letter, e-mail or
at a counter, and ``--received-at`` when it was received before it was entered. Each command opens the
:class:`~yinsi.services.rights.RightsService` of the app a data map describes (``--map``,
or ``$YINSI_DATA_MAP``) on yinsi's database (``--url``), calls one method and prints the
result with Chinese labels. Errors print one line and exit 1
(:func:`~yinsi.cli.common.open_services`), never a traceback; correction values and
verification answers are never printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from yinsi.cli.common import Actor, DbUrl, MapFile, err, fail, open_services, out
from yinsi.cli.rights_deferred import deferred
from yinsi.cli.rights_jobs import enqueue_run
from yinsi.cli.rights_view import by_due, due_text, show_request, steps_table
from yinsi.taxonomy.timezone import CHINA

if TYPE_CHECKING:
    from yinsi.services.rights import RightsService

rights_app = typer.Typer(
    help="Rights requests: submit, verify, approve or refuse, run, answer, follow up.",
    no_args_is_help=True,
)

CHANNEL = "customer_service"
"""Requests filed on the command line come through customer service (W14)."""

RequestId = Annotated[str, typer.Argument(metavar="ID", help="The request id (req_…).")]

rights_app.command("deferred")(deferred)


@contextmanager
def _service(data_map: Path | None, url: str | None, actor: str) -> Iterator[RightsService]:
    """The rights service of the data map's app; errors as in :func:`open_services`."""
    with open_services(url, actor=actor, data_map=data_map, needs_map=True) as services:
        yield services.rights


def _corrections(values: list[str]) -> dict[str, str]:
    """``element=value`` pairs; a value is never echoed, even in an error."""
    parsed: dict[str, str] = {}
    for i, item in enumerate(values, start=1):
        element, sep, value = item.partition("=")
        if not sep or not element.strip():
            fail(f"--correct #{i} is not element=value (e.g. --correct name=张三)")
        parsed[element.strip()] = value
    return parsed


@rights_app.command("submit")
def submit(
    subject: Annotated[str, typer.Argument(help="The subject's user id.")],
    kind: Annotated[str, typer.Argument(help="access, copy, transfer, correction, deletion, …")],
    trigger: Annotated[
        str | None, typer.Option(help="Deletion: the PIPL Art. 47 trigger, e.g. purpose_done.")
    ] = None,
    consent: Annotated[
        str | None, typer.Option(help="Withdrawal: the consent item withdrawn.")
    ] = None,
    correct: Annotated[
        list[str] | None,
        typer.Option(help="Correction: element=value (repeatable); never printed."),
    ] = None,
    text: Annotated[str, typer.Option(help="The requester's words (complaint, contest).")] = "",
    relation: Annotated[
        str | None, typer.Option(help="Filed by a close relative: spouse, child, parent, …")
    ] = None,
    relative_name: Annotated[str | None, typer.Option(help="The relative's name.")] = None,
    received_at: Annotated[
        str | None,
        typer.Option(
            help="When a request received by phone, letter or at a counter reached you, "
            "e.g. '2026-12-01 09:30' (Beijing time unless an offset is given); the "
            "deadline counts from it. Default: now."
        ),
    ] = None,
    channel: Annotated[
        str,
        typer.Option(
            help="Where it was received: customer_service, phone, letter, email, counter."
        ),
    ] = CHANNEL,
    data_map: MapFile = None,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """File a request for SUBJECT; it waits for identity verification (X35).

    Prints the request id on stdout (for scripts) and a summary on stderr.
    """
    from yinsi.rights.requests import Requester

    if relative_name is not None and relation is None:
        fail("--relative-name needs --relation (spouse, child, parent, sibling, …)")
    corrections = _corrections(correct or [])
    if channel not in RECEIVED_ON:
        fail(f"--channel {channel!r}: one of {', '.join(RECEIVED_ON)}")
    received = None if received_at is None else _received_at(received_at)
    with _service(data_map, url, actor) as service:
        request = service.submit(
            subject,
            kind,
            requester=Requester(relation, relative_name),
            channel=channel,
            received_at=received,
            trigger=trigger,
            consent_id=consent,
            corrections=corrections,
            text=text,
            actor=actor,
        )
    err.print(
        f"已受理 {request.kind.label}申请（用户 {subject}）：{request.status.label}；"
        f"截止日期 {due_text(request.due)}",
        markup=False,
    )
    err.print(f"下一步：yinsi rights send-code {request.id}", markup=False)
    out.print(request.id, markup=False)


RECEIVED_ON = ("customer_service", "phone", "letter", "email", "counter")
"""The channels a handler enters a request from (``--channel``)."""


def _received_at(text: str) -> datetime:
    """``--received-at`` as an aware time: ISO 8601, a date alone meaning its start, Beijing
    time unless an offset is given."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"--received-at {text!r} is not a date or time: e.g. 2026-12-01 or 2026-12-01 09:30")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=CHINA)


@rights_app.command("send-code")
def send_code(
    request_id: RequestId, data_map: MapFile = None, url: DbUrl = None, actor: Actor = "cli"
) -> None:
    """Send a one-time code to the phone on file (valid 10 minutes)."""
    with _service(data_map, url, actor) as service:
        service.send_code(request_id)
    out.print(f"验证码已发送至用户预留手机号（{request_id}），10分钟内有效", markup=False)


@rights_app.command("verify")
def verify(
    request_id: RequestId,
    answer: Annotated[str, typer.Argument(help="The SMS code, or the ID number's last 6.")],
    method: Annotated[str, typer.Option(help="sms or id_suffix.")] = "sms",
    data_map: MapFile = None,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Verify the requester's identity; 5 wrong answers lock the code."""
    from yinsi.rights.verification import Method

    if method not in Method._value2member_map_:
        fail(f"unknown --method {method!r}; one of: sms, id_suffix")
    with _service(data_map, url, actor) as service:
        request = service.verify(request_id, answer, method=method)
    out.print(
        f"{request.id}：{request.status.label}；截止日期 {due_text(request.due)}", markup=False
    )


@rights_app.command("approve")
def approve(
    request_id: RequestId, data_map: MapFile = None, url: DbUrl = None, actor: Actor = "cli"
) -> None:
    """Approve a verified request (refused at once if a precondition fails, W16)."""
    with _service(data_map, url, actor) as service:
        request = service.approve(request_id, actor=actor)
    out.print(f"{request.id}：{request.status.label}", markup=False)
    if request.refusal is not None:
        out.print(f"原因：{request.refusal.text}", markup=False)


@rights_app.command("refuse")
def refuse(
    request_id: RequestId,
    ground: Annotated[str, typer.Argument(help="A refusal ground id of the declaration.")],
    note: Annotated[str, typer.Option(help="An internal note for the record.")] = "",
    data_map: MapFile = None,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Refuse on a declared ground (X35); the user is told how to complain or sue."""
    with _service(data_map, url, actor) as service:
        request = service.refuse(request_id, ground, actor=actor, note=note)
    out.print(f"{request.id}：{request.status.label}", markup=False)
    out.print(request.answer, markup=False)


@rights_app.command("run")
def run(
    request_id: Annotated[
        str | None,
        typer.Argument(metavar="[ID]", help="The request id (req_…); or --approved."),
    ] = None,
    approved: Annotated[
        bool,
        typer.Option(
            "--approved",
            help="Run the approved requests, and those a failed or interrupted run left.",
        ),
    ] = False,
    app: Annotated[
        str | None, typer.Option("--app", help="With --approved: the app (the data map's).")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help="With --approved: at most N requests, most due first."),
    ] = None,
    enqueue: Annotated[bool, typer.Option(help="Send it to a worker; return at once.")] = False,
    data_map: MapFile = None,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Execute an approved request, step by step; run it again to resume after a failure.
    With --approved: every approved request of the app in one batch."""
    from yinsi.rights.plan import StepStatus, awaits_answer

    if approved:
        if request_id is not None:
            fail("give a request ID or --approved, not both")
        if enqueue:
            fail("--enqueue sends one request (give its ID); --approved runs them here")
        _run_approved(app, limit, data_map, url, actor)
        return
    if request_id is None or app is not None or limit is not None:
        fail("give the request ID to run (or --approved, with --app and --limit)")
    if enqueue:
        return enqueue_run(request_id, data_map, url, actor)
    with _service(data_map, url, actor) as service:
        with err.status(f"正在执行 {request_id} …"):
            request = service.run(request_id, actor=actor)
        steps = service.steps(request_id)
    out.print(steps_table(steps))
    failed = next((s for s in steps if s.status is StepStatus.FAILED), None)
    if failed is not None:
        fail(
            f"step {failed.n} failed: {failed.outcome.get('error', '')}; fix it and run "
            f"`yinsi rights run {request_id}` again (done steps are not repeated)"
        )
    out.print(f"{request.id}：{request.status.label}", markup=False)
    if request.status.closed:
        if request.answer:
            out.print(request.answer, markup=False)
    elif awaits_answer(steps, bool(request.answer)):
        out.print(f"待人工答复：yinsi rights answer {request.id} TEXT", markup=False)


def _run_approved(
    app: str | None, limit: int | None, data_map: Path | None, url: str | None, actor: str
) -> None:
    from yinsi.services.rights_batch import run_many, runnable

    with _service(data_map, url, actor) as service:
        if app is not None and app != service.data_map.app:
            fail(
                f"--app {app}: the data map describes app {service.data_map.app!r}; "
                "give the data map of that app (--map)"
            )
        ids = runnable(service, limit=limit)
        if not ids:
            out.print("没有待执行的请求", markup=False)
            return
        with err.status(f"正在执行 {len(ids)} 个请求 …"):
            report = run_many(service, ids, actor=actor)
    for request_id, status in report.status.items():
        waits = "，待人工答复" if request_id in report.waiting else ""
        out.print(f"{request_id}：{status.label}{waits}", markup=False)
    for request_id, why in report.skipped.items():
        out.print(f"{request_id}：未执行（{why}）", markup=False)
    done = sum(1 for s in report.status.values() if s.closed)
    failed = f"{len(report.failed)} 个执行失败，{len(report.waiting)} 个待人工答复"
    tally = f"共 {len(ids)} 个请求：{done} 个已办结，{failed}，{len(report.skipped)} 个未执行"
    out.print(tally, markup=False)
    if report.failed:
        fail(
            f"{len(report.failed)} request(s) failed a step: `yinsi rights status ID` shows "
            "which; fix it and run `yinsi rights run ID` again (done steps are not repeated)"
        )


@rights_app.command("answer")
def answer(
    request_id: RequestId,
    text: Annotated[str, typer.Argument(help="The answer the user reads.")],
    data_map: MapFile = None,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Answer a complaint, a contest of an automated decision or an explanation request."""
    with _service(data_map, url, actor) as service:
        request = service.answer(request_id, text, actor=actor)
    out.print(f"{request.id}：{request.status.label}", markup=False)


@rights_app.command("status")
def status(
    request_id: RequestId, data_map: MapFile = None, url: DbUrl = None, actor: Actor = "cli"
) -> None:
    """Show the request: status, due date, history and each step with its outcome."""
    with _service(data_map, url, actor) as service:
        request = service.get(request_id)
        steps = service.steps(request_id)
    show_request(out, request, steps)


@rights_app.command("list")
def list_requests(
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="Only these statuses (repeatable), e.g. verified."),
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open overdue requests.")] = False,
    due_soon: Annotated[
        bool, typer.Option("--due-soon", help="Only open requests due within 3 working days.")
    ] = False,
    data_map: MapFile = None,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """The app's requests by due date; overdue ones in red."""
    from yinsi.cli.rights_view import requests_table
    from yinsi.rights.deadlines import triage
    from yinsi.rights.requests import Status

    wanted: list[Status] | None = None
    if status:
        unknown = [s for s in status if s not in Status._value2member_map_]
        if unknown:
            fail(f"unknown --status {unknown[0]!r}; one of: " + ", ".join(s.value for s in Status))
        wanted = [Status(s) for s in status]
    with _service(data_map, url, actor) as service:
        requests = service.requests(statuses=wanted)
        today, calendar = service.today(), service.calendar
    dated = [r for r in requests if r.due is not None and not r.status.closed]
    split = triage(dated, today, key=lambda r: r.due.date if r.due else today, calendar=calendar)
    late = frozenset(r.id for r in split.overdue)
    soon = frozenset(r.id for r in split.due_soon)
    if overdue or due_soon:
        keep = (late if overdue else frozenset()) | (soon if due_soon else frozenset())
        requests = [r for r in requests if r.id in keep]
    out.print(requests_table(by_due(requests), late, soon))
    if late:
        err.print(Text(f"{len(late)} 件已逾期", style="red"))


@rights_app.command("remind")
def remind(data_map: MapFile = None, url: DbUrl = None, actor: Actor = "cli") -> None:
    """E-mail the privacy team the open requests overdue or due soon (W14).

    Recipients: YINSI_DELIVERY__STAFF_EMAILS; window: YINSI_DELIVERY__REMINDER_DAYS
    working days (default 3); e-mail: YINSI_DELIVERY__EMAIL__* (see docs/operations.md).
    Run it daily (cron); nothing due sends nothing.
    """
    from yinsi.services.delivery_notices import remind_due

    with open_services(url, actor=actor, data_map=data_map, needs_map=True) as services:
        listed, records = remind_due(services.rights, services.delivery, services.settings.delivery)
    if not listed:
        out.print("没有逾期或即将到期的申请，未发送提醒", markup=False)
        return
    for r in records:
        result = "已送达" if r.outcome == "delivered" else f"失败：{r.error}"
        out.print(f"提醒 {listed} 件申请 → {r.address}：{result}", markup=False)
    if any(r.outcome != "delivered" for r in records):
        raise typer.Exit(1)


@rights_app.command("purge-exports")
def purge_exports(url: DbUrl = None, actor: Actor = "cli") -> None:
    """Delete the export archives past their download period (YINSI_EXPORTS__RETENTION_DAYS,
    default 7), one audit entry each, and abandoned staging folders. Run it daily (cron)."""
    with open_services(url, actor=actor) as services:
        done = services.exports.purge()
    for request_id in done.archives:
        out.print(f"已删除过期副本 {request_id}", markup=False)
    for name in done.staging:
        out.print(f"已删除未完成的临时文件 {name}", markup=False)
    out.print(
        f"共删除 {len(done.archives)} 份过期副本、{len(done.staging)} 份临时文件", markup=False
    )
