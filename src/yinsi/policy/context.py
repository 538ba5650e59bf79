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

from yinsi.declaration.checks import SEPARATE_CONSENT
from yinsi.declaration.schema import Declaration
from yinsi.policy.changelog import ChangeLogView, change_log
from yinsi.policy.inventory import InventoryView, inventory_view
from yinsi.policy.lookup import Lookup
from yinsi.policy.meta import PolicyMeta, flag, policy_meta
from yinsi.policy.minors import minors_statements
from yinsi.policy.parties import JointsView, joints_view
from yinsi.policy.provenance import Statement, at, fixed, merged, said, stated
from yinsi.policy.rights_chapter import ContactsView, RightsView, contacts_view, rights_view
from yinsi.policy.scenarios import (
    PermissionRow,
    ScenarioView,
    SourceView,
    permission_rows,
    scenario_views,
    source_views,
)
from yinsi.policy.sections import sections
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
        public_notice=flag(
            incident,
            "public_notice_when_impractical",
            "incident.public_notice_when_impractical",
            "难以逐一告知的，我们将采取合理、有效的方式发布公告。",
        ),
        report_to_regulator=flag(
            incident,
            "report_to_regulator",
            "incident.report_to_regulator",
            "，并按照规定向履行个人信息保护职责的部门报告",
        ),
        contacts=said(look.channel_list(incident.contacts), "incident.contacts"),
    )


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
        policy=policy_meta(declaration),
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
    return PolicyContext(**{**context.__dict__, "sections": sections(context)})
