"""Business scenarios as the policy tells them (chapter 1, the collection list).

Each scenario says what PI it collects, why, how, on which legal basis and consents,
which device permissions it calls (with call limits), who receives the PI, how long it
is kept and what refusing does (PIPL Arts. 16, 17; GB/T 35273 §5.3).
"""

from __future__ import annotations

from dataclasses import dataclass

from yinsi.declaration.schema import CallLimit, PermissionUse, Scenario
from yinsi.declaration.view import covering_separate_consent
from yinsi.policy.lookup import Lookup
from yinsi.policy.phrases import ASKED, PERMISSION_WHEN
from yinsi.policy.retention import retention_phrase
from yinsi.policy.text import Md, clause, join, quoted, sentence
from yinsi.taxonomy import CollectionMethod, FunctionKind, LegalBasis

__all__ = [
    "PermissionRow",
    "ScenarioView",
    "SourceView",
    "permission_rows",
    "scenario_views",
    "source_views",
]

INDIRECT = {
    CollectionMethod.PARTNER,
    CollectionMethod.DATA_SERVICE_QUERY,
    CollectionMethod.ACCOUNT_AUTHORISATION,
}


@dataclass(frozen=True)
class ScenarioView:
    number: str
    name: str
    function: str
    is_basic: bool
    description: str
    purposes: str
    methods: str
    elements: Md
    sensitive: Md
    sensitive_covered: Md
    sensitive_consents: str
    sensitive_uncovered: Md
    consents: str
    legal_basis: str
    permissions: list[str]
    source: str
    recipients: str
    automated_decision: bool
    retention: str
    on_refusal: str
    necessity: str

    @property
    def lead_purposes(self) -> str:
        """The purposes after 为 in a sentence (a label may itself start with 为)."""
        return self.purposes.removeprefix("为")


@dataclass(frozen=True)
class PermissionRow:
    permission: str
    scenario: str
    when: str
    required: str
    limit: str
    fallback: str


@dataclass(frozen=True)
class SourceView:
    name: str
    elements: Md
    methods: str
    source: str


def limit_phrase(limit: CallLimit | None) -> str:
    if limit is None:
        return ""
    parts = []
    if limit.per_stage and limit.stages:
        parts.append(f"在{'、'.join(limit.stages)}各环节各调用不超过{limit.per_stage}次")
    elif limit.per_stage:
        parts.append(f"每个业务环节调用不超过{limit.per_stage}次")
    if limit.per_flow:
        parts.append(f"一次完整的服务流程中最多调用{limit.per_flow}次")
    return "，".join(parts)


def _required(use: PermissionUse) -> str:
    return "为该功能所必需" if use.required else "非必需，您可以拒绝授权或随时关闭"


def permission_sentence(use: PermissionUse, look: Lookup) -> str:
    parts = [PERMISSION_WHEN[use.when], _required(use), limit_phrase(use.limit)]
    if use.fallback:
        parts.append(f"您拒绝授权的，{clause(use.fallback)}")
    parts.append(clause(use.note))
    return f"{look.permission(use.permission)}权限：" + "；".join(p for p in parts if p) + "。"


def _consents(scenario: Scenario, look: Lookup) -> str:
    out = []
    for cid in scenario.consents:
        item = look.consents.get(cid)
        if item is not None:
            out.append(f"{quoted(item.label)}（{item.kind.label}，{ASKED[item.asked]}）")
    return "；".join(out)


def _necessity(scenario: Scenario, look: Lookup) -> str:
    separate = any(
        (c := look.consents.get(cid)) is not None and c.kind.is_separate
        for cid in scenario.consents
    )
    basic = scenario.function is FunctionKind.BASIC
    parts = ["必需，拒绝将无法使用该功能" if basic else "可拒绝，不影响基本业务功能"]
    if any(not e.required for e in scenario.elements):
        parts.append("标注“如有”的信息非必需")
    if scenario.legal_basis is not LegalBasis.CONSENT:
        parts.append(f"无需同意（{scenario.legal_basis.label}）")
        if separate:
            parts.append("调用设备权限等事项需您单独同意")
    elif separate:
        parts.append("需您单独同意")
    return "；".join(parts)


def _refusal(scenario: Scenario) -> str:
    if scenario.on_refusal:
        return sentence(scenario.on_refusal)
    if scenario.function is FunctionKind.BASIC:
        return "上述信息为实现该功能所必需，如您拒绝提供，我们将无法为您提供该功能。"
    return "您可以拒绝提供上述信息，这不影响您使用基本业务功能，但您将无法使用该扩展功能。"


def scenario_view(scenario: Scenario, number: str, look: Lookup) -> ScenarioView:
    d = look.declaration
    sensitive = [e.id for e in scenario.elements if look.is_sensitive(e.id)]
    covering: dict[str, None] = {}
    covered: list[str] = []
    for eid in dict.fromkeys(sensitive):
        item = covering_separate_consent(d, scenario.consents, eid)
        if item is not None:
            covering.setdefault(quoted(item.label), None)
            covered.append(eid)
    uncovered = [e for e in dict.fromkeys(sensitive) if e not in covered]
    basis = scenario.legal_basis
    rule = look.retention.get(scenario.retention) if scenario.retention else None
    return ScenarioView(
        number=number,
        name=scenario.name,
        function=scenario.function.label,
        is_basic=scenario.function is FunctionKind.BASIC,
        description=sentence(scenario.description),
        purposes=look.purposes(scenario.purposes),
        methods="、".join(m.label for m in scenario.methods),
        elements=look.element_uses(scenario.elements),
        sensitive=join(look.element(e) for e in dict.fromkeys(sensitive)),
        sensitive_covered=join(look.element(e) for e in covered),
        sensitive_consents="、".join(covering),
        sensitive_uncovered=join(look.element(e) for e in uncovered),
        consents=_consents(scenario, look) if basis is LegalBasis.CONSENT else "",
        legal_basis="" if basis is LegalBasis.CONSENT else basis.label,
        permissions=[permission_sentence(p, look) for p in scenario.permissions],
        source=sentence(scenario.source),
        recipients=look.recipient_names(scenario.recipients),
        automated_decision=scenario.automated_decision,
        retention=retention_phrase(rule),
        on_refusal=_refusal(scenario),
        necessity=_necessity(scenario, look),
    )


def scenario_views(look: Lookup) -> dict[str, ScenarioView]:
    """Every scenario by id, numbered 1.1.n (basic) or 1.2.n (extended) as in chapter 1."""
    views: dict[str, ScenarioView] = {}
    for section, kind in (("1.1", FunctionKind.BASIC), ("1.2", FunctionKind.EXTENDED)):
        chosen = [s for s in look.declaration.scenarios if s.function is kind]
        for i, s in enumerate(chosen, 1):
            views[s.id] = scenario_view(s, f"{section}.{i}", look)
    return views


def permission_rows(look: Lookup) -> list[PermissionRow]:
    return [
        PermissionRow(
            permission=look.permission(use.permission),
            scenario=s.name,
            when=PERMISSION_WHEN[use.when],
            required="必需" if use.required else "非必需，可拒绝",
            limit=limit_phrase(use.limit),
            fallback=clause(use.fallback),
        )
        for s in look.declaration.scenarios
        for use in s.permissions
    ]


def source_views(look: Lookup) -> list[SourceView]:
    return [
        SourceView(
            name=s.name,
            elements=look.element_uses(s.elements),
            methods="、".join(m.label for m in s.methods if m in INDIRECT)
            or "、".join(m.label for m in s.methods),
            source=sentence(s.source),
        )
        for s in look.declaration.scenarios
        if s.source or INDIRECT.intersection(s.methods)
    ]
