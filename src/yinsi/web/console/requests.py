"""``/console/requests/{id}``: one rights request — verification, deadline, history, the
execution log step by step — and the decisions on it: approve, refuse on a declared
ground (X35), run, answer.

Each action calls one method of :class:`~yinsi.services.rights.RightsService` with the
staff member's id as the actor (the audit log names it); what the service refuses is
shown as a Chinese message, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from yinsi.rights.deadlines import DeadlineStatus, classify
from yinsi.rights.plan import Action, Step, StepStatus
from yinsi.rights.ports import ConnectorError
from yinsi.rights.requests import InvalidRequest, InvalidTransition, RightsRequest, Status
from yinsi.rights.verification import Method
from yinsi.services.errors import RequestConflict
from yinsi.services.rights import RightsService
from yinsi.taxonomy.formats import format_of
from yinsi.web.console.auth import Decider, Reader
from yinsi.web.console.pages import done, page, rights_of
from yinsi.web.console.routing import ConsoleRoute
from yinsi.web.site import site_of

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

T = TypeVar("T")
ONE = "/console/requests/{request_id}"

ACTION_LABELS = {
    Action.EXPORT: "导出副本",
    Action.ERASE: "删除或匿名化",
    Action.RESTRICT: "限制处理（依法保留）",
    Action.CORRECT: "更正",
    Action.WITHDRAW: "撤回同意",
    Action.NOTIFY: "通知受托方删除",
    Action.REVIEW: "人工答复",
}
STEP_LABELS = {
    StepStatus.PENDING: "待执行",
    StepStatus.RUNNING: "执行中",
    StepStatus.DONE: "已完成",
    StepStatus.FAILED: "失败",
}
OUTCOME_LABELS = {
    "records": "导出记录数",
    "affected": "处理记录数",
    "confirmation": "受托方回执",
    "changed": "更正字段数",
    "note": "说明",
    "recorded": "已记录撤回",
    "restricted": "限制处理的信息",
    "answered": "已答复",
    "archive": "导出文件",
    "error": "错误",
    "deferred": "合同结束后已处理的暂缓记录",
    "deferred_restricted": "合同结束后依法保留、限制处理的信息",
    "deferred_done": "暂缓删除全部处理完毕",
    "postponed_done": "合同结束后已处理的推迟限制",
    "postponed_restricted": "合同结束后限制处理的信息",
}
METHOD_LABELS = {Method.SMS.value: "短信验证码", Method.ID_SUFFIX.value: "身份证号码后六位"}
RELATIONS = {
    "spouse": "配偶",
    "child": "子女",
    "parent": "父母",
    "sibling": "兄弟姐妹",
    "grandparent": "祖父母、外祖父母",
    "grandchild": "孙子女、外孙子女",
}


def _attempt(call: Callable[[], T]) -> T:
    """Run one service call; what it refuses becomes a Chinese error page."""
    try:
        return call()
    except InvalidTransition as exc:
        raise HTTPException(
            409,
            f"该请求当前状态为「{exc.current.label}」，不能变为「{exc.wanted.label}」。"
            "请刷新页面查看最新状态。",
        ) from None
    except RequestConflict:
        raise HTTPException(409, "该请求刚被其他同事处理过，请刷新页面后再操作。") from None
    except InvalidRequest as exc:
        raise HTTPException(422, f"请求无法按此办理：{exc}") from None
    except ConnectorError as exc:
        raise HTTPException(
            502, f"无法连接业务数据存储（{exc}）。请稍后重试执行：已完成的步骤不会重复。"
        ) from None


def outcome_text(outcome: dict[str, Any]) -> str:
    """A step's outcome for people: counts and references, labelled in Chinese."""
    parts = []
    for key, value in outcome.items():
        if key == "archive":
            value = str(value).rsplit("/", 1)[-1]  # the file's name, not the server's path
        if value == "already applied":
            value = "此前已执行"
        if isinstance(value, bool):
            value = "是" if value else "否"
        if isinstance(value, dict):  # per dataset: its records
            shown = "、".join(
                f"{k} {len(v) if isinstance(v, list) else v} 条" for k, v in value.items()
            )
        elif isinstance(value, list):
            shown = "、".join(map(str, value)) or "无"
        else:
            shown = str(value)
        parts.append(f"{OUTCOME_LABELS.get(key, key)}：{shown}")
    return "；".join(parts)


def _verification(request: RightsRequest) -> str:
    for t in request.history:
        if t.status is Status.VERIFIED:
            return METHOD_LABELS.get(t.note, t.note or "已验证")
    return ""


def _context(rights: RightsService, request: RightsRequest, steps: list[Step]) -> dict[str, Any]:
    today = rights.today()
    deadline = None
    if request.due is not None and not request.status.closed:
        deadline = classify(request.due.date, today, calendar=rights.calendar)
    labels = {d.id: d.label for d in rights.data_map.datasets}
    declaration = rights.declaration
    waiting_review = any(
        s.action is Action.REVIEW and s.status is not StepStatus.DONE for s in steps
    )
    return {
        "r": request,
        "steps": steps,
        "deadline": deadline,
        "overdue": deadline is DeadlineStatus.OVERDUE,
        "days_late": (today - request.due.date).days if request.due else 0,
        "verification": _verification(request),
        "holds": rights.holds_on(request),
        "datasets": labels,
        "grounds": declaration.rights.refusal_grounds,
        "trigger": request.trigger.label if request.trigger else "",
        "relation": RELATIONS.get(request.requester.relation or "", ""),
        "corrections": {e: format_of(e).value for e in request.corrections},
        "action_labels": ACTION_LABELS,
        "step_labels": STEP_LABELS,
        "outcome_text": outcome_text,
        "polling": any(s.status is StepStatus.RUNNING for s in steps),
        "can_approve": request.status is Status.VERIFIED,
        "can_refuse": request.status in (Status.RECEIVED, Status.VERIFIED, Status.APPROVED),
        "can_run": request.status in (Status.APPROVED, Status.PARTIALLY_COMPLETED)
        or (request.status is Status.EXECUTING and not waiting_review),
        "can_answer": request.status is Status.EXECUTING and waiting_review,
    }


@router.get(ONE, response_class=HTMLResponse)
def detail(request: Request, request_id: str, staff: Reader) -> HTMLResponse:
    rights = rights_of(site_of(request))
    found = rights.get(request_id)
    context = _context(rights, found, rights.steps(request_id))
    return page(request, staff, "request.html", context, active="queue")


@router.get(ONE + "/steps", response_class=HTMLResponse)
def steps(request: Request, request_id: str, staff: Reader) -> HTMLResponse:
    """The execution log alone (htmx refreshes it while a step runs)."""
    rights = rights_of(site_of(request))
    found = rights.get(request_id)
    context = _context(rights, found, rights.steps(request_id))
    return page(request, staff, "_steps.html", context)


@router.post(ONE + "/approve")
def approve(request: Request, request_id: str, staff: Decider) -> RedirectResponse:
    rights = rights_of(site_of(request))
    decided = _attempt(lambda: rights.approve(request_id, actor=staff.user.id))
    key = "approved" if decided.status is Status.APPROVED else "refused"
    return done(f"/console/requests/{request_id}", key)


@router.post(ONE + "/refuse")
def refuse(
    request: Request,
    request_id: str,
    staff: Decider,
    ground: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    rights = rights_of(site_of(request))
    if not ground:
        raise HTTPException(422, "请选择拒绝理由：只能依据政策中声明的理由拒绝（X35）。")
    _attempt(lambda: rights.refuse(request_id, ground, actor=staff.user.id, note=note))
    return done(f"/console/requests/{request_id}", "refused")


@router.post(ONE + "/run")
def run(request: Request, request_id: str, staff: Decider) -> RedirectResponse:
    rights = rights_of(site_of(request))
    _attempt(lambda: rights.run(request_id, actor=staff.user.id))
    return done(f"/console/requests/{request_id}", "ran")


@router.post(ONE + "/answer")
def answer(
    request: Request,
    request_id: str,
    staff: Decider,
    text: Annotated[str, Form(max_length=5000)] = "",
) -> RedirectResponse:
    rights = rights_of(site_of(request))
    if not text.strip():
        raise HTTPException(422, "请填写给用户的答复内容。")
    _attempt(lambda: rights.answer(request_id, text.strip(), actor=staff.user.id))
    return done(f"/console/requests/{request_id}", "answered")
