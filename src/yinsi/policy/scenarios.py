"""Business scenarios as the policy tells them (chapter 1, the collection list).

Each scenario says what PI it collects, why, how, on which legal basis and consents,
which device permissions it calls (with call limits), who receives the PI, how long it
is kept and what refusing does (PIPL Arts. 16, 17; GB/T 35273 §5.3) — each only as far
as the declaration states it: no retention rule, no refusal text, no ``when`` of a
permission means no sentence about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from yinsi.declaration.schema import CallLimit, ElementUse, PermissionUse, Scenario
from yinsi.declaration.view import covering_separate_consent
from yinsi.policy.lookup import Lookup
from yinsi.policy.phrases import PERMISSION_WHEN, PROVIDE, provision_clause
from yinsi.policy.provenance import Statement, at, fixed, merged, said, stated
from yinsi.policy.retention import retention_phrase
from yinsi.policy.statements import consent_label, retention_sources
from yinsi.policy.text import clause, join, quoted, sentence
from yinsi.taxonomy import FunctionKind, LegalBasis, Likelihood, RecipientKind

__all__ = [
    "PermissionRow",
    "ScenarioView",
    "SourceView",
    "permission_rows",
    "scenario_views",
    "source_views",
]

NOTHING = Statement("")


@dataclass(frozen=True)
class ScenarioView:
    number: Statement
    name: Statement
    function: Statement
    is_basic: bool
    description: Statement
    purposes: Statement
    lead_purposes: Statement
    """The purposes after 为 in a sentence (a label may itself start with 为)."""
    methods: Statement
    elements: Statement
    collects: Statement
    """需要收集, or 可能需要收集 when the scenario is declared ``likelihood: may``."""
    sensitive: Statement
    sensitive_covered: Statement
    sensitive_consents: Statement
    sensitive_uncovered: Statement
    consents: Statement
    legal_basis: Statement
    permissions: list[Statement]
    source: Statement
    recipients: Statement
    recipients_heading: Statement
    also_consented: bool
    """Some of the scenario's processing asks consent though its basis is another: its
    separate consents, a recipient provided with PI on consent."""
    """对外提供, 委托处理, or 委托处理与对外提供: what the recipients sentence says."""
    automated_decision: Statement
    retention: Statement
    on_refusal: Statement
    necessity: Statement


@dataclass(frozen=True)
class PermissionRow:
    permission: Statement
    scenario: Statement
    when: Statement
    required: Statement
    limit: Statement
    fallback: Statement


@dataclass(frozen=True)
class SourceView:
    name: Statement
    elements: Statement
    methods: Statement
    source: Statement


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


def _when(use: PermissionUse, path: str) -> Statement:
    if not stated(use, "when"):
        return NOTHING
    return fixed(
        PERMISSION_WHEN[use.when],
        f"phrases.permission_when.{use.when}",
        f"{path}.when",
        kind="commitment",
    )


def _required(use: PermissionUse, path: str, short: bool = False) -> Statement:
    if not stated(use, "required"):
        return NOTHING
    if use.required:
        text = "必需" if short else "为该功能所必需"
    else:
        text = "非必需，可拒绝" if short else "非必需，您可以拒绝授权或随时关闭"
    return fixed(
        text, f"permission.required.{str(use.required).lower()}", f"{path}.required", kind="fact"
    )


def permission_sentence(use: PermissionUse, path: str, look: Lookup) -> Statement:
    """``相机权限：仅在您使用相关功能时调用；为该功能所必需。`` from what is stated."""
    parts = [
        _when(use, path),
        _required(use, path),
        said(limit_phrase(use.limit), f"{path}.limit", kind="commitment"),
    ]
    if use.fallback:
        parts.append(
            said(f"您拒绝授权的，{clause(use.fallback)}", f"{path}.fallback", kind="commitment")
        )
    parts.append(said(clause(use.note), f"{path}.note"))
    name = said(f"{look.permission(use.permission)}权限", f"{path}.permission")
    body = merged(parts, "；")
    return merged([name, "：" if body else "", body, "。"])


def _consents(scenario: Scenario, path: str, look: Lookup) -> Statement:
    out = []
    for cid in scenario.consents:
        item = look.consents.get(cid)
        if item is not None:
            out.append(consent_label(item, look, with_asked=True))
    return merged(out, "；", kind="fact").with_source(f"{path}.consents")


def _necessity(scenario: Scenario, path: str, look: Lookup) -> Statement:
    """The collection list's "是否必需/可拒绝" cell: only what the declaration says."""
    separate = any(
        (c := look.consents.get(cid)) is not None and c.kind.is_separate
        for cid in scenario.consents
    )
    basic = scenario.function is FunctionKind.BASIC
    parts = [
        fixed(
            "基本业务功能所需" if basic else "可拒绝",
            f"necessity.{scenario.function.value}",
            f"{path}.function",
            kind="fact",
        )
    ]
    optional = [i for i, e in enumerate(scenario.elements) if not e.required]
    if optional:
        parts.append(
            fixed(
                "标注“如有”的信息非必需",
                "necessity.optional",
                *(at(path, "elements", i, "required") for i in optional),
            )
        )
    if scenario.legal_basis is not LegalBasis.CONSENT:
        parts.append(said(f"无需同意（{scenario.legal_basis.label}）", f"{path}.legal_basis"))
        if separate:
            parts.append(
                fixed("调用设备权限等事项需您单独同意", "necessity.separate", f"{path}.consents")
            )
    elif separate:
        parts.append(fixed("需您单独同意", "necessity.separate", f"{path}.consents"))
    if scenario.on_refusal:
        parts.append(said(clause(scenario.on_refusal), f"{path}.on_refusal", kind="commitment"))
    return merged(parts, "；")


def _recipients(scenario: Scenario, path: str, look: Lookup) -> Statement:
    """ "我们会向X提供相关个人信息，可能会委托Y处理相关个人信息": each recipient in its own
    declared modality (会 / 可能会), an entrusted processor as entrusted (PIPL Art. 21: it
    processes for us, it is not provided with the PI), grouped in the order the scenario
    lists them."""
    if not scenario.recipients:
        return NOTHING
    groups: dict[tuple[Likelihood | None, bool], list[str]] = {}
    for rid in scenario.recipients:
        found = look.recipients.get(rid)
        entrusted = getattr(found, "kind", None) is RecipientKind.ENTRUSTED_PROCESSOR
        groups.setdefault((getattr(found, "likelihood", None), entrusted), []).append(rid)
    sources = [f"{path}.recipients"]
    sources += [
        look.path("recipients", rid, "likelihood")
        for (likelihood, _), ids in groups.items()
        if likelihood is not None
        for rid in ids
    ]
    clauses = [
        _provision(likelihood, entrusted, look.recipient_names(ids)).removeprefix(
            "我们" if n else ""
        )
        for n, ((likelihood, entrusted), ids) in enumerate(groups.items())
    ]
    return said("，".join(clauses), *sources, kind="fact")


def _recipients_heading(scenario: Scenario, look: Lookup) -> str:
    kinds = {
        getattr(look.recipients.get(rid), "kind", None) is RecipientKind.ENTRUSTED_PROCESSOR
        for rid in scenario.recipients
    }
    return {frozenset({True}): "委托处理", frozenset({True, False}): "委托处理与对外提供"}.get(
        frozenset(kinds), "对外提供"
    )


def _provision(likelihood: Likelihood | None, entrusted: bool, names: str) -> str:
    if entrusted:
        return f"我们{PROVIDE[likelihood]}委托{names}处理相关个人信息"
    return provision_clause(likelihood, names)


def _sensitive(scenario: Scenario, path: str, look: Lookup) -> dict[str, Statement]:
    d = look.declaration
    sensitive = list(dict.fromkeys(e.id for e in scenario.elements if look.is_sensitive(e.id)))
    covering: dict[str, None] = {}
    covered: list[str] = []
    gates: list[str] = []
    for eid in sensitive:
        item = covering_separate_consent(d, scenario.consents, eid)
        if item is not None:
            covering.setdefault(quoted(item.label), None)
            covered.append(eid)
            gates.append(look.path("consents", item.id, "elements"))
    uncovered = [e for e in sensitive if e not in covered]
    elements = f"{path}.elements"
    return {
        "sensitive": Statement(join(look.element(e) for e in sensitive), [elements]),
        "sensitive_covered": Statement(
            join(look.element(e) for e in covered),
            [elements, f"{path}.consents", *gates],
            "commitment",
        ),
        "sensitive_consents": said("、".join(covering), f"{path}.consents", *gates),
        "sensitive_uncovered": Statement(join(look.element(e) for e in uncovered), [elements]),
    }


def scenario_view(scenario: Scenario, number: str, look: Lookup) -> ScenarioView:
    path = look.path("scenarios", scenario.id)
    basis = scenario.legal_basis
    rule = look.retention.get(scenario.retention) if scenario.retention else None
    purposes = look.purposes(scenario.purposes)
    return ScenarioView(
        number=fixed(number, "numbering"),
        name=said(scenario.name, f"{path}.name"),
        function=said(scenario.function.label, f"{path}.function"),
        is_basic=scenario.function is FunctionKind.BASIC,
        description=said(sentence(scenario.description), f"{path}.description"),
        purposes=said(purposes, f"{path}.purposes"),
        lead_purposes=said(purposes.removeprefix("为"), f"{path}.purposes"),
        methods=said("、".join(m.label for m in scenario.methods), f"{path}.methods"),
        elements=Statement(look.element_uses(scenario.elements), [f"{path}.elements"]),
        collects=fixed("需要收集", "scenario.collects")
        if scenario.likelihood is not Likelihood.MAY
        else said("可能需要收集", f"{path}.likelihood", kind="fact"),
        **_sensitive(scenario, path, look),
        consents=_consents(scenario, path, look) if basis is LegalBasis.CONSENT else NOTHING,
        legal_basis=NOTHING
        if basis is LegalBasis.CONSENT
        else said(basis.label, f"{path}.legal_basis"),
        permissions=[
            permission_sentence(p, at(path, "permissions", i), look)
            for i, p in enumerate(scenario.permissions)
        ],
        source=said(sentence(scenario.source), f"{path}.source"),
        recipients=_recipients(scenario, path, look),
        recipients_heading=said(_recipients_heading(scenario, look), f"{path}.recipients"),
        also_consented=bool(scenario.consents)
        or any(
            getattr(look.recipients.get(rid), "legal_basis", None) is LegalBasis.CONSENT
            for rid in scenario.recipients
        ),
        automated_decision=said("自动化决策", f"{path}.automated_decision")
        if scenario.automated_decision
        else NOTHING,
        retention=NOTHING
        if rule is None
        else said(
            retention_phrase(rule),
            f"{path}.retention",
            *retention_sources(rule, look),
            kind="commitment",
        ),
        on_refusal=said(sentence(scenario.on_refusal), f"{path}.on_refusal", kind="commitment"),
        necessity=_necessity(scenario, path, look),
    )


def scenario_views(look: Lookup) -> dict[str, ScenarioView]:
    """Every scenario by id, numbered n.1.k (basic) or n.2.k (extended) within chapter 1."""
    views: dict[str, ScenarioView] = {}
    for section, kind in (("1.1", FunctionKind.BASIC), ("1.2", FunctionKind.EXTENDED)):
        chosen = [s for s in look.declaration.scenarios if s.function is kind]
        for i, s in enumerate(chosen, 1):
            views[s.id] = scenario_view(s, f"{section}.{i}", look)
    return views


def permission_rows(look: Lookup) -> list[PermissionRow]:
    rows = []
    for s in look.declaration.scenarios:
        spath = look.path("scenarios", s.id)
        for i, use in enumerate(s.permissions):
            path = at(spath, "permissions", i)
            rows.append(
                PermissionRow(
                    permission=said(look.permission(use.permission), f"{path}.permission"),
                    scenario=said(s.name, f"{spath}.name"),
                    when=_when(use, path),
                    required=_required(use, path, short=True),
                    limit=said(limit_phrase(use.limit), f"{path}.limit", kind="commitment"),
                    fallback=said(clause(use.fallback), f"{path}.fallback", kind="commitment"),
                )
            )
    return rows


def source_views(look: Lookup) -> list[SourceView]:
    out = []
    for s in look.declaration.scenarios:
        if not (s.source or any(m.indirect for m in s.methods)):
            continue
        path = look.path("scenarios", s.id)
        methods = "、".join(m.label for m in s.methods if m.indirect) or "、".join(
            m.label for m in s.methods
        )  # empty when `methods: not_stated`: nothing is said about how
        out.append(
            SourceView(
                name=said(s.name, f"{path}.name"),
                elements=Statement(look.element_uses(sourced(s)), [f"{path}.elements"]),
                methods=said(methods, f"{path}.methods"),
                source=said(sentence(s.source), f"{path}.source"),
            )
        )
    return out


def sourced(scenario: Scenario) -> list[ElementUse]:
    """The scenario's elements obtained from its third-party source: those marked
    ``sourced``; when none is, all of them unless the scenario also collects from the
    person (``user_input``, ``automatic``…): then none is named, as the policy never says
    that what the person typed in came from a data service (lint ``source-elements`` asks
    for the marks)."""
    marked = [u for u in scenario.elements if u.sourced]
    if marked or any(not m.indirect for m in scenario.methods):
        return marked
    return list(scenario.elements)
