"""What a request is told: its due date, the check of a correction, the final answer.

Pure functions of the request, the declaration and the data map; the rights service
(:mod:`yinsi.services.rights`) calls them and stores what they return.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from yinsi.declaration import Declaration
from yinsi.declaration.datamap import DataMap
from yinsi.rights.calendar import WorkingCalendar
from yinsi.rights.deadlines import request_deadline
from yinsi.rights.holds import HoldKind
from yinsi.rights.plan import Action, Step
from yinsi.rights.requests import Due, RightsRequest
from yinsi.taxonomy import RightKind
from yinsi.taxonomy.timezone import CHINA

__all__ = ["due_of", "erased_count", "kept_lines", "remedy", "summary"]


def due_of(
    request: RightsRequest, declaration: Declaration, calendar: WorkingCalendar
) -> Due | None:
    """The due date the declaration sets for the request's kind (None: no deadline)."""
    right = next((r for r in declaration.rights.items if r.kind is request.kind), None)
    if right is None or right.deadline is None:
        return None
    received = request.received_at.astimezone(CHINA).date()
    verified = None if request.verified_at is None else request.verified_at.astimezone(CHINA).date()
    deadline = request_deadline(
        right.deadline, received=received, verified=verified, calendar=calendar
    )
    if deadline is None:
        return None
    limit = deadline.limit
    return Due(
        date=limit.date,
        working_days=limit.working_days,
        counted_from=limit.start,
        provisional=limit.provisional,
        target=None if deadline.target is None else deadline.target.date,
        warning=limit.warning,
    )


def summary(
    request: RightsRequest, steps: list[Step], kept: list[dict[str, Any]], data_map: DataMap
) -> str:
    """The answer of a completed request: what was done, and what is kept and why (X28)."""
    labels = {d.id: d.label for d in data_map.datasets}
    kind = request.kind
    parts: list[str] = []
    if kind in (RightKind.ACCESS, RightKind.COPY, RightKind.TRANSFER):
        count = sum(int(s.outcome.get("records", 0)) for s in steps)
        parts.append(f"已为您生成个人信息副本（共{count}条记录），可在隐私中心下载。")
    elif kind is RightKind.CORRECTION:
        parts.append("已按您的申请更正个人信息。")
    elif kind is RightKind.CANCEL_ACCOUNT:
        parts.append(
            "您的账号已注销，此操作不可恢复；我们已停止提供服务并删除或匿名化处理您的个人信息。"
        )
    elif kind in (RightKind.WITHDRAW_CONSENT, RightKind.OPT_OUT_PERSONALISATION):
        parts.append("已撤回您的同意并停止相关处理；撤回前基于同意已进行的处理活动效力不受影响。")
    elif _erased(steps) == (0, True):  # nothing was there to erase: say so, not "erased"
        parts.append("经核查，没有可删除或匿名化处理的您的个人信息（0条记录）。")
    else:
        parts.append(f"已删除或匿名化处理您的个人信息{erased_count(steps)}。")
    postponed = {str(e) for s in steps for e in s.params.get("postponed", [])}
    shared = {d.id for d in data_map.datasets if any(f.element in postponed for f in d.fields)}
    parts += kept_lines(kept, labels, shared)
    return "".join(parts)


def erased_count(steps: list[Step]) -> str:
    """How many records the answer says were erased: the erase steps' counts, as
    ``（N条记录）``. A step run more than once (the run before was interrupted, perhaps
    after its store committed) counts only what its last run erased, so the sum is then
    a lower bound: ``（至少N条记录）``, and no figure at all when that is 0 — the answer
    never states a number the journal cannot prove."""
    erased, exact = _erased(steps)
    if exact:
        return f"（{erased}条记录）"
    return f"（至少{erased}条记录）" if erased else ""


def _erased(steps: list[Step]) -> tuple[int, bool]:
    """The records the erase steps' last runs erased, and whether that is exact (no step
    ran more than once)."""
    erase = [s for s in steps if s.action is Action.ERASE]
    erased = sum(int(s.outcome.get("affected", 0)) for s in erase)
    return erased, not any(s.attempts > 1 for s in erase)


def kept_lines(
    kept: list[dict[str, Any]], labels: Mapping[str, str], shared: Collection[str] = ()
) -> list[str]:
    """What the requester reads about kept data, per dataset: deferred while a contract
    runs (processing goes on), or kept by law and stored only (X28) — for a dataset in
    ``shared`` (its elements' restriction postponed: a running contract's rows hold them
    too), stored only once that contract ends."""
    lines: list[str] = []
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in kept:
        kind = str(item.get("kind") or HoldKind.LEGAL_RETENTION)
        groups.setdefault((str(item["dataset"]), kind), []).append(item)
    for (dataset, kind), items in groups.items():
        label = labels.get(dataset, dataset)
        reasons = "；".join(dict.fromkeys(str(i["reason"]) for i in items))
        if kind == HoldKind.CONTRACT:
            lines.append(
                f"暂缓删除：{label}（{reasons}）。合同履行期间，为履行合同所必需的处理继续进行；"
                "合同履行完毕（结清）后，相关信息将自动删除，或按法律要求仅存储，届时另行告知您。"
            )
            continue
        dates = [str(i["until"]) for i in items if i.get("until")]
        until = (
            "在相关业务结束并届满保存期限前保存"
            if len(dates) < len(items)
            else f"依法保存至{max(dates)}"
        )
        besides = (
            "其中与尚未履行完毕的合同共用的信息，在该合同履行完毕前仍为履行合同所必需而处理；此外"
            if dataset in shared
            else ""
        )
        lines.append(
            f"依法保留：{label}（{reasons}），{until}；{besides}"
            "保存期间除存储和采取必要的安全保护措施外不作其他处理，期满后删除或匿名化处理。"
        )
    return lines


def remedy(declaration: Declaration) -> str:
    """Where a refused or dissatisfied subject can turn (PIPL Art. 50), as the declaration
    words it, else the law's own remedy."""
    return (
        declaration.rights.complaint_escalation
        or "如您对我们的答复不满意，可以向履行个人信息保护职责的部门投诉、举报，或者向人民法院提起诉讼（《个人信息保护法》第五十条）。"
    )
