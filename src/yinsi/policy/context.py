"""The view-model the templates read: every word resolved, every choice already made.

Templates only loop and test; this module (and the small modules it calls) decides what
is said. Every value a template prints is a :class:`~.provenance.Statement` that knows its
sources. A statement about the app is built only from fields the declaration writes
(:func:`~.provenance.stated`): a schema default or an empty list says nothing, and a
subsection with nothing to say is left out (the others are numbered in order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel

from yinsi.declaration.checks import SEPARATE_CONSENT
from yinsi.declaration.schema import Declaration
from yinsi.policy.changelog import ChangeLogView, change_log
from yinsi.policy.inventory import InventoryView, inventory_view
from yinsi.policy.lookup import Lookup
from yinsi.policy.minors import minors_statements
from yinsi.policy.parties import JointsView, joints_view
from yinsi.policy.phrases import DECLINE, chinese_date, laws_in_force, version_label
from yinsi.policy.provenance import Kind, Statement, at, fixed, merged, said, stated
from yinsi.policy.rights_chapter import ContactsView, RightsView, contacts_view, rights_view
from yinsi.policy.scenarios import (
    PermissionRow,
    ScenarioView,
    SourceView,
    permission_rows,
    scenario_views,
    source_views,
)
from yinsi.policy.sensitive import (
    ConsentView,
    SensitiveRow,
    consent_views,
    other_consent_views,
    sensitive_ids,
    sensitive_rows,
    sensitive_sources,
)
from yinsi.policy.sharing import SharingView, sharing_view
from yinsi.policy.storage import StorageView, TrackingRow, storage_view, tracking_rows
from yinsi.policy.text import clause, join, sentence
from yinsi.taxonomy import LegalBasis

__all__ = ["AppView", "PolicyContext", "PolicyMeta", "build"]

RIGHTS_CHAPTER = 4
ADULT = 18  # 民法典 Art. 17
CHILD = 14  # PIPL Art. 28, 31
NOTHING = Statement("")
_TRAILING_NOTE = re.compile(r"[（(][^（）()]*[）)]$")
_APPLIES = "适用于"


@dataclass(frozen=True)
class AppView:
    name: Statement
    platform: Statement
    channels: Statement
    handler: Statement
    address: Statement
    registered_address: Statement
    service_model: Statement
    """A whole sentence ("本平台是…。"), without repeating a subject the text names."""
    about: Statement
    applies_to: Statement
    precedence: Statement


@dataclass(frozen=True)
class PolicyMeta:
    title: Statement
    version: Statement
    updated: Statement
    effective: Statement
    effective_on_acceptance: Statement
    notice_methods: Statement
    changes_need_consent: Statement
    continued_use: Statement
    decline: Statement
    material_change_notice: Statement
    high_risk: Statement
    signature_required: bool
    minimum_age: Statement
    laws: Statement
    drafted_under: Statement
    change_commitments: list[Statement]
    adults_only: bool
    children_allowed: bool


@dataclass(frozen=True)
class SecurityView:
    lead: Statement
    measures: list[Statement]
    notify_via: Statement
    public_notice: Statement
    report_to_regulator: Statement
    contacts: Statement


@dataclass(frozen=True)
class PolicyContext:
    app: AppView
    policy: PolicyMeta
    sections: dict[str, Statement]
    """The number of every subsection that has something to say, by name."""
    scenarios: list[ScenarioView]
    basic: list[ScenarioView]
    extended: list[ScenarioView]
    sensitive: Statement
    consent_gaps: bool
    """The declaration waives a separate-consent rule: blanket promises must say so."""
    sensitive_rows: list[SensitiveRow]
    separate_consents: list[ConsentView]
    other_consents: list[ConsentView]
    """Permission prompts, deemed consents, opt-out settings, guardian consents."""
    permissions: list[PermissionRow]
    sources: list[SourceView]
    exceptions: list[Statement]
    without_consent: Statement
    sharing: SharingView
    security: SecurityView
    rights: RightsView
    storage: StorageView
    tracking: list[TrackingRow]
    no_tracking: Statement
    contacts: ContactsView
    minors: list[Statement]
    """Chapter 7: what ``policy.minors`` states (:mod:`.minors`)."""
    joint: JointsView
    changes: ChangeLogView
    inventory: InventoryView
    """The PI inventory, the app's permissions, lists published elsewhere (:mod:`.inventory`)."""
    numerals: tuple[Statement, ...] = tuple(fixed(n, "numbering") for n in "一二三四五六七八九十")
    """Chinese section numerals for the two lists (一、二、…)."""


def _without_subject(text: str, subjects: list[str], verb: str) -> str:
    """``text`` without a leading ``<subject><verb>`` the template already says."""
    for subject in sorted(filter(None, subjects), key=len, reverse=True):
        for lead in (f"{subject}{verb}", f"{subject}主要{verb}"):
            if text.startswith(lead):
                return text[len(lead) :]
    return text.removeprefix(verb)


def _app(d: Declaration) -> AppView:
    app = d.app
    platform = _TRAILING_NOTE.sub("", clause(app.platform_name))
    platform_path = "app.platform_name" if platform not in ("", "本平台") else "app.name"
    subjects = [app.name, platform, "本平台", "本App", "本应用", "我们"]
    model = _without_subject(clause(app.service_model), subjects, "是")
    applies = _without_subject(clause(d.policy.applies_to), ["本政策", "本隐私政策"], _APPLIES)
    return AppView(
        name=said(app.name, "app.name"),
        platform=said(app.name if platform in ("", "本平台") else platform, platform_path),
        channels=said("、".join(app.channels), "app.channels"),
        handler=said(app.handler.name, "app.handler.name"),
        address=said(clause(app.handler.address), "app.handler.address"),
        registered_address=said(
            clause(app.handler.registered_address), "app.handler.registered_address"
        ),
        service_model=said(f"本平台是{sentence(model)}" if model else "", "app.service_model"),
        about=said(sentence(app.about), "app.about"),
        applies_to=said(applies, "policy.applies_to"),
        precedence=said(sentence(d.policy.precedence), "policy.precedence"),
    )


def _flag(
    model: BaseModel, name: str, path: str, text: str, kind: Kind = "commitment"
) -> Statement:
    """``text`` when the boolean ``name`` is written and true, else nothing."""
    if stated(model, name) and getattr(model, name):
        return fixed(text, f"flag.{path}", path, kind=kind)
    return NOTHING


def _meta(d: Declaration) -> PolicyMeta:
    p = d.policy
    age = p.minimum_age if stated(p, "minimum_age") and p.minimum_age > 0 else None
    decline = NOTHING
    mode = p.on_decline
    if mode is not None:
        decline = fixed(
            DECLINE[mode], f"phrases.decline.{mode.value}", "policy.on_decline", kind="commitment"
        )
    return PolicyMeta(
        title=said(clause(p.title).strip("《》"), "policy.title"),
        version=said(version_label(p.version), "policy.version"),
        updated=said(chinese_date(p.updated), "policy.updated"),
        effective=said(chinese_date(p.effective), "policy.effective"),
        effective_on_acceptance=_flag(
            p,
            "effective_on_acceptance",
            "policy.effective_on_acceptance",
            "更新后的政策自您同意之日起对您生效",
        ),
        notice_methods=said("、".join(p.notice_methods), "policy.notice_methods", kind="commitment")
        if stated(p, "notice_methods")
        else NOTHING,
        changes_need_consent=_flag(
            p, "changes_need_consent", "policy.changes_need_consent", "重新取得您的同意"
        ),
        continued_use=_flag(
            p,
            "continued_use_as_acceptance",
            "policy.continued_use_as_acceptance",
            "如果您继续使用我们的产品和/或服务，则视为您接受我们对本政策相关条款所做的修改。",
            kind="fact",
        ),
        decline=decline,
        material_change_notice=said(
            sentence(p.material_change_notice), "policy.material_change_notice", kind="commitment"
        ),
        high_risk=_flag(
            p,
            "high_risk_impact_assessment",
            "policy.high_risk_impact_assessment",
            "我们的个人信息保护影响评估报告表明，相关个人信息处理活动存在高风险，"
            "特此以显著方式向您提示。",
            kind="fact",
        ),
        signature_required=p.signature_required,
        minimum_age=said(str(age), "policy.minimum_age", kind="commitment") if age else NOTHING,
        laws=fixed(laws_in_force(p.effective), "phrases.laws_in_force", "policy.effective"),
        drafted_under=said(clause(p.drafted_under), "policy.drafted_under"),
        change_commitments=[
            said(sentence(c), at("policy", "change_commitments", i), kind="commitment")
            for i, c in enumerate(p.change_commitments)
        ],
        adults_only=age is not None and age >= ADULT,
        children_allowed=age is not None and age < CHILD,
    )


def _security(d: Declaration, look: Lookup) -> SecurityView:
    incident = d.incident
    return SecurityView(
        lead=said(d.security.lead.strip(), "security.lead", kind="commitment"),
        measures=[
            said(clause(m), at("security", "measures", i), kind="commitment")
            for i, m in enumerate(d.security.measures)
        ],
        notify_via=said("、".join(incident.notify_via), "incident.notify_via", kind="commitment")
        if stated(incident, "notify_via")
        else NOTHING,
        public_notice=_flag(
            incident,
            "public_notice_when_impractical",
            "incident.public_notice_when_impractical",
            "难以逐一告知的，我们将采取合理、有效的方式发布公告。",
        ),
        report_to_regulator=_flag(
            incident,
            "report_to_regulator",
            "incident.report_to_regulator",
            "，并按照规定向履行个人信息保护职责的部门报告",
        ),
        contacts=said(look.channel_list(incident.contacts), "incident.contacts"),
    )


def _numbered(prefix: str, present: list[tuple[str, bool]]) -> dict[str, Statement]:
    """``prefix`` + 1, 2, … for each subsection that is shown, by name."""
    names = [name for name, shown in present if shown]
    return {n: fixed(f"{prefix}{i}", "numbering") for i, n in enumerate(names, 1)}


def _sections(c: PolicyContext) -> dict[str, Statement]:
    s = c.sharing
    none = bool(s.no_recipients)
    chapter2 = _numbered(
        "2.",
        [
            ("entrusted", bool(s.entrusted) or none),
            ("joint", bool(c.joint.items or c.joint.none)),
            ("provided", True),
            ("sdks", bool(s.sdks or s.no_sdks or c.inventory.published.sdks)),
            ("h5_links", bool(s.h5_links or s.no_h5_links)),
            ("disclosed", True),
            ("transfer", True),
        ],
    )
    return {
        **_numbered(
            "1.",
            [
                ("basic", bool(c.basic)),
                ("extended", bool(c.extended)),
                ("inventory", bool(c.inventory.rows or c.inventory.published.collected)),
                ("sensitive", bool(c.sensitive_rows or c.separate_consents)),
                ("other_consents", bool(c.other_consents)),
                (
                    "permissions",
                    bool(
                        c.permissions
                        or c.inventory.permissions
                        or c.inventory.published.permissions
                    ),
                ),
                ("sources", bool(c.sources)),
                ("exceptions", True),
            ],
        ),
        **chapter2,
        **{
            f"provided.{k}": v
            for k, v in _numbered(
                f"{chapter2['provided']}.",
                [
                    ("affiliates", bool(s.affiliates) or none),
                    ("consented", bool(s.consented) or none),
                    ("statutory", bool(s.statutory)),
                ],
            ).items()
        },
        **_numbered(
            "5.",
            [
                (
                    "storage",
                    bool(
                        c.storage.location
                        or c.storage.cross_border
                        or c.storage.no_cross_border
                        or c.storage.cross_border_conditions
                    ),
                ),
                ("retention", True),
                ("service_end", True),
            ],
        ),
    }


def build(declaration: Declaration) -> PolicyContext:
    look = Lookup.of(declaration)
    views = scenario_views(look)
    scenarios = [views[s.id] for s in declaration.scenarios]
    without = [
        said(f"{s.name}（{s.legal_basis.label}）", at("scenarios", i, "legal_basis"))
        for i, s in enumerate(declaration.scenarios)
        if s.legal_basis is not LegalBasis.CONSENT
    ]
    tracked = "tracking" in declaration.model_fields_set and not declaration.tracking
    context = PolicyContext(
        app=_app(declaration),
        policy=_meta(declaration),
        sections={},
        scenarios=scenarios,
        basic=[v for v in views.values() if v.is_basic],
        extended=[v for v in views.values() if not v.is_basic],
        sensitive=Statement(
            join(look.element(e) for e in sensitive_ids(look)), sensitive_sources(look)
        ),
        consent_gaps=any(w.rule == SEPARATE_CONSENT for w in declaration.waivers),
        sensitive_rows=sensitive_rows(look),
        separate_consents=consent_views(look),
        other_consents=other_consent_views(look),
        permissions=permission_rows(look),
        sources=source_views(look),
        exceptions=[
            fixed(b.label, f"legal_basis.{b.value}")
            for b in LegalBasis
            if b is not LegalBasis.CONSENT
        ],
        without_consent=merged(without, "；"),
        sharing=sharing_view(look),
        security=_security(declaration, look),
        rights=rights_view(look, RIGHTS_CHAPTER),
        storage=storage_view(look),
        tracking=tracking_rows(look),
        no_tracking=fixed(
            "我们不使用Cookie及同类技术存储您的个人信息。",
            "tracking.none",
            "tracking",
            kind="negative",
        )
        if tracked
        else NOTHING,
        contacts=contacts_view(look),
        minors=minors_statements(declaration, look),
        joint=joints_view(look),
        changes=change_log(declaration),
        inventory=inventory_view(look),
    )
    return PolicyContext(**{**context.__dict__, "sections": _sections(context)})
