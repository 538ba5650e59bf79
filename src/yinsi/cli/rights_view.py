"""How ``yinsi rights`` shows a request, its steps and a list of requests (rich).

Labels are Chinese (what staff read at the customer-service desk); correction values
and verification answers are never shown, only the elements a correction names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from yinsi.rights.plan import Action, Step, StepStatus
from yinsi.rights.planner import MATCH
from yinsi.rights.requests import Due, RightsRequest
from yinsi.taxonomy.timezone import CHINA

ACTION_LABELS = {
    Action.EXPORT: "导出",
    Action.ERASE: "删除/匿名化",
    Action.RESTRICT: "限制处理",
    Action.CORRECT: "更正",
    Action.WITHDRAW: "撤回同意",
    Action.NOTIFY: "通知受托方",
    Action.REVIEW: "人工答复",
}
STEP_MARKS = {
    StepStatus.PENDING: ("·", "dim"),
    StepStatus.RUNNING: ("…", "yellow"),
    StepStatus.DONE: ("✓", "green"),
    StepStatus.FAILED: ("✗", "red"),
}


def when(at: datetime) -> str:
    """A timestamp in China time, to the minute."""
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def due_text(due: Due | None) -> str:
    if due is None:
        return "身份验证后起算"
    text = f"{due.date.isoformat()}（{due.working_days}个工作日，自{due.counted_from.isoformat()}次日起算）"
    if due.target is not None:
        text += f"，目标 {due.target.isoformat()}"
    return text + ("（暂定）" if due.provisional else "")


def show_request(console: Console, request: RightsRequest, steps: Sequence[Step]) -> None:
    """The request, its due date (with the provisional warning), its history and steps."""
    rows: list[tuple[str, str]] = [
        ("申请编号", request.id),
        ("类型", f"{request.kind.label}（{request.kind.value}）"),
        ("用户", request.subject_id),
        ("状态", f"{request.status.label}（{request.status.value}）"),
        ("受理时间", when(request.received_at)),
        ("渠道", request.channel),
    ]
    if request.requester.relation is not None:
        rows.append(("申请人", f"近亲属（{request.requester.relation}）"))
    if request.trigger is not None:
        rows.append(("删除情形", request.trigger.label))
    if request.consent_id:
        rows.append(("撤回的同意", request.consent_id))
    if request.corrections:
        rows.append(("更正项", "、".join(sorted(request.corrections))))
    if request.text:
        rows.append(("申请内容", request.text))
    if request.verified_at is not None:
        rows.append(("身份验证", when(request.verified_at)))
    rows.append(("截止日期", due_text(request.due)))
    for label, value in rows:
        console.print(Text.assemble((f"{label}：", "bold"), value))
    if request.due is not None and request.due.warning:
        console.print(Text(f"注意：{request.due.warning}", style="yellow"))
    if request.refusal is not None:
        console.print(Text.assemble(("拒绝理由：", "bold"), request.refusal.text))
        console.print(Text.assemble(("救济途径：", "bold"), request.refusal.remedy))
    if request.answer:
        console.print(Text.assemble(("答复：", "bold"), request.answer))
    history = Table("时间", "状态", "操作人", "备注", title="处理记录", title_justify="left")
    for t in request.history:
        history.add_row(when(t.at), t.status.label, t.actor, t.note)
    console.print(history)
    if steps:
        console.print(steps_table(steps))


def steps_table(steps: Sequence[Step]) -> Table:
    table = Table(title="执行步骤", title_justify="left")
    for name in ("", "步骤", "操作", "数据集", "记录"):
        table.add_column(name, no_wrap=True)
    table.add_column("结果", overflow="fold")
    for step in steps:
        mark, style = STEP_MARKS[step.status]
        table.add_row(
            Text(mark, style=style),
            str(step.n),
            ACTION_LABELS.get(step.action, step.action.value),
            step.dataset or "",
            "按主体" if MATCH in step.params else str(len(step.keys)),  # by predicate: no keys
            Text(outcome_text(step), style=style if step.status is StepStatus.FAILED else ""),
        )
    return table


def outcome_text(step: Step) -> str:
    if step.status is StepStatus.PENDING:
        return "待人工答复" if step.action is Action.REVIEW else "待执行"
    if step.status is StepStatus.RUNNING:
        return "执行中"
    return "; ".join(f"{k}={_plain(v)}" for k, v in sorted(step.outcome.items()))


def _plain(value: object) -> str:
    if isinstance(value, list | tuple):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def requests_table(
    requests: Sequence[RightsRequest], overdue: frozenset[str], due_soon: frozenset[str]
) -> Table:
    """Requests by due date; overdue ones in red, due-soon ones in yellow."""
    table = Table(title=f"权利请求（{len(requests)}）", title_justify="left")
    table.add_column("申请编号", no_wrap=True)
    table.add_column("类型", overflow="fold")
    table.add_column("用户", no_wrap=True)
    table.add_column("状态", overflow="fold")
    table.add_column("受理", no_wrap=True)
    table.add_column("截止", no_wrap=True)
    for r in requests:
        style = "red" if r.id in overdue else "yellow" if r.id in due_soon else ""
        due = "—" if r.due is None else r.due.date.isoformat() + ("*" if r.due.provisional else "")
        if r.id in overdue:
            due += " 已逾期"
        table.add_row(
            r.id,
            r.kind.label,
            r.subject_id,
            r.status.label,
            when(r.received_at)[:10],
            due,
            style=style,
        )
    return table


def by_due(requests: Sequence[RightsRequest]) -> list[RightsRequest]:
    """Earliest due date first; requests whose clock has not started last."""
    return sorted(
        requests,
        key=lambda r: (r.due is None, r.due.date if r.due else date.max, r.received_at),
    )
