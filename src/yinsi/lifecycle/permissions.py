"""Permission telemetry (W10, W12): check reported permission uses against the declaration.

The app reports each use of a device permission or sensitive API as a :class:`UseEvent`
(subject, permission, scenario, stage of the service flow, flow id, time, and the SDK
that used it, if any). :func:`check` lists every :class:`Violation`, each with the events
that prove it:

- ``unknown_scenario``: the scenario is not declared;
- ``undeclared_permission``: the scenario does not declare the permission
  (``Scenario.permissions``, GB/T 41391-2022: permissions only for declared functions);
- ``undeclared_stage``: the permission's call limit names its stages and this is none of
  them (W10: location only at login, face check, loan application, withdrawal);
- ``before_consent``: the use needs consent the subject had not given at the time (see
  :func:`use_decision`; W10 "on first use", PIPL Art. 14);
- ``over_stage_limit`` / ``over_flow_limit``: more uses in one stage, or in one flow, than
  ``PermissionUse.limit`` allows (W10: location once per stage, four times per flow);
  counted per subject, flow, scenario and permission; one violation per stage or flow;
- ``sdk_not_allowed``: an SDK used it that is not declared, or that the subject's
  consent does not allow to be called (:func:`yinsi.consent.may_call_sdk`, W12).

**Which consents a use needs.** The declaration does not map a permission to the consent
item that gates it, so :func:`use_decision` takes the scenario's consent items minus the
gates of the scenario's *other* permissions, a gate being recognised by its id: the
permission id itself or ``<permission>_permission`` (both example declarations name them
so). In 我来数科 ``network_risk_control`` a ``network`` use needs ``policy`` and
``network_permission``, not ``motion_permission``; an item such as
``camera_photos_permission`` gates every permission of its scenario. A scenario on a
legal basis other than consent needs none; a browse-only scenario (X02) needs none.

The module is pure: the caller supplies the subject's consent state at each use time
(``state_of``), e.g. :func:`states_from_ledger` over the consent ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from yinsi.consent import (
    ConsentEvent,
    ConsentState,
    Decision,
    Reason,
    Rules,
    UnknownName,
    compile_rules,
    may_call_sdk,
    replay,
)
from yinsi.declaration.schema import Declaration, Scenario
from yinsi.declaration.view import taxonomy_of
from yinsi.taxonomy import LegalBasis, Permission

__all__ = [
    "InvalidUseEvent",
    "StateOf",
    "UseEvent",
    "UseEventIn",
    "Violation",
    "ViolationKind",
    "check",
    "parse_event",
    "states_from_ledger",
    "use_decision",
]


@dataclass(frozen=True, slots=True)
class UseEvent:
    """One use of a device permission or sensitive API, as the app reports it."""

    subject_id: str
    permission: str
    scenario: str
    stage: str
    """The stage of the service flow (e.g. 登录, 人脸识别, 申请借款（进件）, 提款)."""
    flow_id: str
    """One full service flow of the subject (W10 counts uses per flow)."""
    at: datetime
    """Timezone-aware."""
    sdk: str | None = None
    """The SDK that used the permission; None: the app itself."""


class ViolationKind(StrEnum):
    UNKNOWN_SCENARIO = "unknown_scenario"
    UNDECLARED_PERMISSION = "undeclared_permission"
    UNDECLARED_STAGE = "undeclared_stage"
    BEFORE_CONSENT = "before_consent"
    OVER_STAGE_LIMIT = "over_stage_limit"
    OVER_FLOW_LIMIT = "over_flow_limit"
    SDK_NOT_ALLOWED = "sdk_not_allowed"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ViolationKind.UNKNOWN_SCENARIO: "未声明的业务场景",
    ViolationKind.UNDECLARED_PERMISSION: "未声明的权限",
    ViolationKind.UNDECLARED_STAGE: "未声明的调用环节",
    ViolationKind.BEFORE_CONSENT: "未经同意即调用",
    ViolationKind.OVER_STAGE_LIMIT: "超出单环节调用次数",
    ViolationKind.OVER_FLOW_LIMIT: "超出单流程调用次数",
    ViolationKind.SDK_NOT_ALLOWED: "SDK未获准调用",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One breach of the declaration, with the events that prove it."""

    kind: ViolationKind
    subject_id: str
    scenario: str
    permission: str
    message: str
    """What is wrong, in Chinese, naming the declared rule."""
    events: tuple[UseEvent, ...]
    reason: str | None = None
    """For ``before_consent`` and ``sdk_not_allowed``: the decision's reason."""
    consent_ids: tuple[str, ...] = ()
    """The consents missing (``before_consent``, ``sdk_not_allowed``)."""


StateOf = Callable[[str, datetime], ConsentState]
"""(subject id, time) → the subject's consent state at that time."""


def check(
    declaration: Declaration,
    state_of: StateOf | ConsentState,
    events: Iterable[UseEvent],
    *,
    rules: Rules | None = None,
) -> list[Violation]:
    """Every violation of ``events`` against ``declaration``, in the order of their first event.

    ``state_of`` gives each subject's consent state at a use's time; a single
    :class:`ConsentState` is used for every event. ``rules`` defaults to
    ``compile_rules(declaration)``.
    """
    compiled = rules or compile_rules(declaration)
    states = _constant(state_of) if isinstance(state_of, ConsentState) else state_of
    scenarios = {s.id: s for s in declaration.scenarios}
    ctx = _Context(scenarios, taxonomy_of(declaration).permissions)
    for event in sorted(events, key=lambda e: e.at):
        scenario = scenarios.get(event.scenario)
        if scenario is None:
            ctx.add(ViolationKind.UNKNOWN_SCENARIO, event)
            continue
        use = next((p for p in scenario.permissions if p.permission == event.permission), None)
        if use is None:
            ctx.add(ViolationKind.UNDECLARED_PERMISSION, event)
            continue
        state = states(event.subject_id, event.at)
        decision = use_decision(compiled, scenario, event.permission, state)
        if not decision.allowed:
            ctx.add(ViolationKind.BEFORE_CONSENT, event, decision)
        if event.sdk is not None:
            sdk = _sdk_decision(compiled, state, event.sdk)
            if not sdk.allowed:
                ctx.add(ViolationKind.SDK_NOT_ALLOWED, event, sdk)
        limit = use.limit
        if limit is None:
            continue
        if limit.stages and event.stage not in limit.stages:
            ctx.add(ViolationKind.UNDECLARED_STAGE, event, stages=tuple(limit.stages))
        if limit.per_flow is not None:
            ctx.count(ViolationKind.OVER_FLOW_LIMIT, event, limit.per_flow)
        if limit.per_stage is not None:
            ctx.count(ViolationKind.OVER_STAGE_LIMIT, event, limit.per_stage)
    return ctx.violations()


def _constant(state: ConsentState) -> StateOf:
    def state_of(_subject: str, _at: datetime) -> ConsentState:
        return state

    return state_of


def use_decision(
    rules: Rules, scenario: Scenario, permission: str, state: ConsentState
) -> Decision:
    """May ``permission`` be used in ``scenario`` in ``state``? (See the module docstring.)"""
    version = state.accepted_version
    basis = scenario.legal_basis
    if basis is not LegalBasis.CONSENT:
        return Decision(True, f"{Reason.LEGAL_BASIS.value}:{basis.value}", version)
    first = (scenario.id, scenario.element_ids[0], scenario.purposes[0])
    rule = rules.triples.get(first)
    if rule is not None and rule.browse_only:
        return Decision(True, Reason.BROWSE_ONLY.value, version)
    if version is None or (state.declined_version is not None and rules.stops_on_decline):
        return Decision(False, Reason.POLICY_NOT_ACCEPTED.value, version)
    others = {p.permission for p in scenario.permissions} - {permission}
    gates = {g for p in others for g in (p, f"{p}_permission")}
    needed = [c for c in scenario.consents if c not in gates]
    missing = tuple(c for c in needed if c not in state.granted)
    if not missing:
        return Decision(True, Reason.CONSENT.value, version, tuple(needed))
    withdrawn = tuple(c for c in missing if c in state.withdrawn)
    if withdrawn:
        return Decision(False, Reason.CONSENT_WITHDRAWN.value, version, withdrawn)
    return Decision(False, Reason.NO_CONSENT.value, version, missing)


def _sdk_decision(rules: Rules, state: ConsentState, sdk_id: str) -> Decision:
    try:
        return may_call_sdk(rules, state, sdk_id)
    except UnknownName:
        return Decision(False, Reason.NOT_DECLARED.value, state.accepted_version)


@dataclass(frozen=True, slots=True)
class _Group:
    kind: ViolationKind
    event: UseEvent
    """The first event; it names the subject, scenario, permission (and stage, flow, SDK)."""
    decision: Decision | None = None
    stages: tuple[str, ...] = ()
    cap: int | None = None


@dataclass
class _Context:
    """Events grouped by what they prove: one violation per group."""

    scenarios: Mapping[str, Scenario]
    permissions: Mapping[str, Permission]
    groups: dict[tuple[object, ...], tuple[_Group, list[UseEvent]]] = field(default_factory=dict)

    def add(
        self,
        kind: ViolationKind,
        event: UseEvent,
        decision: Decision | None = None,
        stages: tuple[str, ...] = (),
    ) -> None:
        key = (kind, event.subject_id, event.scenario, event.permission, event.sdk, decision)
        self._put(key, _Group(kind, event, decision, stages))

    def count(self, kind: ViolationKind, event: UseEvent, cap: int) -> None:
        where = event.stage if kind is ViolationKind.OVER_STAGE_LIMIT else None
        key = (kind, event.subject_id, event.flow_id, event.scenario, event.permission, where)
        self._put(key, _Group(kind, event, cap=cap))

    def _put(self, key: tuple[object, ...], group: _Group) -> None:
        found = self.groups.get(key)
        if found is None:
            self.groups[key] = (group, [group.event])
        else:
            found[1].append(group.event)

    def violations(self) -> list[Violation]:
        made = []
        for group, events in self.groups.values():
            if group.cap is not None and len(events) <= group.cap:
                continue
            made.append(self._violation(group, tuple(events)))
        made.sort(key=lambda v: v.events[0].at)
        return made

    def _violation(self, group: _Group, events: tuple[UseEvent, ...]) -> Violation:
        first, kind, decision = group.event, group.kind, group.decision
        found = self.permissions.get(first.permission)
        label = f"{found.label}权限（{first.permission}）" if found else f"权限 {first.permission}"
        scenario = self.scenarios.get(first.scenario)
        name = f"场景“{scenario.name}”（{first.scenario}）" if scenario else ""
        missing = "、".join(decision.consent_ids) if decision else ""
        match kind:
            case ViolationKind.UNKNOWN_SCENARIO:
                message = (
                    f"业务场景 {first.scenario} 未在声明中定义；"
                    "请按声明的场景 id 上报，或先在声明中补充该场景并告知用户"
                )
            case ViolationKind.UNDECLARED_PERMISSION:
                message = (
                    f"{name}未声明{label}；停止在该场景调用，或在声明的 "
                    f"scenarios[{first.scenario}].permissions 中补充并告知用户"
                )
            case ViolationKind.UNDECLARED_STAGE:
                message = (
                    f"{name}在环节“{first.stage}”调用{label}，"
                    f"声明只允许在这些环节调用：{'、'.join(group.stages)}"
                )
            case ViolationKind.BEFORE_CONSENT:
                assert decision is not None
                why = {
                    Reason.POLICY_NOT_ACCEPTED.value: "用户尚未同意隐私政策",
                    Reason.CONSENT_WITHDRAWN.value: f"用户已撤回同意（{missing}）",
                }.get(decision.reason, f"用户尚未同意（{missing}）")
                message = f"{name}调用{label}时{why}；须先取得同意再调用"
            case ViolationKind.SDK_NOT_ALLOWED:
                assert decision is not None
                why = (
                    "该SDK未在声明中披露"
                    if decision.reason == Reason.NOT_DECLARED.value
                    else f"用户未同意调用该SDK（{decision.reason}"
                    + (f"：{missing}）" if missing else "）")
                )
                message = f"SDK {first.sdk} 在{name}调用了{label}，但{why}（W12）"
            case ViolationKind.OVER_FLOW_LIMIT | ViolationKind.OVER_STAGE_LIMIT:
                per_flow = kind is ViolationKind.OVER_FLOW_LIMIT
                where = f"服务流程 {first.flow_id}" if per_flow else f"环节“{first.stage}”"
                unit = "每个服务流程" if per_flow else "每个环节"
                message = (
                    f"{where}内{name}调用{label} {len(events)} 次，"
                    f"超过声明的{unit}最多 {group.cap} 次（W10）"
                )
        return Violation(
            kind=kind,
            subject_id=first.subject_id,
            scenario=first.scenario,
            permission=first.permission,
            message=message,
            events=events,
            reason=decision.reason if decision else None,
            consent_ids=decision.consent_ids if decision else (),
        )


# ---------------------------------------------------------------- consent state over time


def states_from_ledger(ledger: Mapping[str, Sequence[ConsentEvent]], app_id: str) -> StateOf:
    """``state_of`` from each subject's consent ledger: the fold of its events up to a time.

    An event recorded at the very time of a use counts (granted at 10:00:00, used at
    10:00:00 is after consent). A subject without events has the empty state.
    """

    def state_of(subject_id: str, at: datetime) -> ConsentState:
        events = ledger.get(subject_id, ())
        return replay(app_id, subject_id, (e for e in events if e.at <= at))

    return state_of


# ---------------------------------------------------------------- the wire form


class InvalidUseEvent(ValueError):
    """A reported event that does not fit :class:`UseEvent`; ``problems`` name the fields."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class UseEventIn(BaseModel):
    """The wire form of a :class:`UseEvent` (a JSON line, an API body item)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject_id: str = Field(min_length=1)
    permission: str = Field(min_length=1)
    scenario: str = Field(min_length=1)
    stage: str = Field(min_length=1)
    flow_id: str = Field(min_length=1)
    at: AwareDatetime
    sdk: str | None = None

    @classmethod
    def of(cls, event: UseEvent) -> UseEventIn:
        return cls(**{f: getattr(event, f) for f in cls.model_fields})

    def event(self) -> UseEvent:
        return UseEvent(**self.model_dump())


def parse_event(data: object) -> UseEvent:
    """A :class:`UseEvent` from decoded JSON (an object); raises :class:`InvalidUseEvent`
    whose problems name each wrong field (``at`` must carry a timezone, e.g. ``+08:00``)."""
    try:
        parsed = UseEventIn.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or '事件'}: {_problem(e['type'], e['msg'])}"
            for e in exc.errors()
        ]
        raise InvalidUseEvent(problems) from None
    return parsed.event()


def _problem(kind: str, message: str) -> str:
    return {
        "missing": "缺少此字段",
        "extra_forbidden": "不是事件的字段",
        "timezone_aware": "时间须带时区，例如 2026-01-05T09:00:00+08:00",
        "string_too_short": "不能为空",
        "model_type": "事件须是一个 JSON 对象",
    }.get(kind, message)
