"""The view-model the templates read: every word resolved, every choice already made.

Templates only loop and test; this module (and the small modules it calls) decides what
is said. Strings are plain declaration text (escaped on output); :class:`~.text.Md`
values are ready Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yinsi.declaration.checks import SEPARATE_CONSENT
from yinsi.declaration.schema import Declaration
from yinsi.policy.lookup import Lookup
from yinsi.policy.phrases import DECLINE, chinese_date, laws_in_force, version_label
from yinsi.policy.retention import StorageView, TrackingRow, storage_view, tracking_rows
from yinsi.policy.rights import ContactsView, RightsView, contacts_view, rights_view
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
    sensitive_ids,
    sensitive_rows,
)
from yinsi.policy.sharing import SharingView, sharing_view
from yinsi.policy.text import Md, clause, join, sentence
from yinsi.taxonomy import LegalBasis

__all__ = ["AppView", "PolicyContext", "PolicyMeta", "build"]

RIGHTS_CHAPTER = 4
ADULT = 18  # 民法典 Art. 17
CHILD = 14  # PIPL Art. 28, 31
_TRAILING_NOTE = re.compile(r"[（(][^（）()]*[）)]$")


@dataclass(frozen=True)
class AppView:
    name: str
    platform: str
    channels: str
    handler: str
    address: str
    registered_address: str
    service_model: str
    about: str
    applies_to: str
    precedence: str


@dataclass(frozen=True)
class PolicyMeta:
    title: str
    version: str
    updated: str
    effective: str
    effective_on_acceptance: bool
    notice_methods: str
    changes_need_consent: bool
    decline: str
    material_change_notice: str
    high_risk: bool
    signature_required: bool
    minimum_age: int
    laws: str
    adults_only: bool
    children_allowed: bool


@dataclass(frozen=True)
class SecurityView:
    measures: list[str]
    notify_via: str
    public_notice: bool
    report_to_regulator: bool
    contacts: str


@dataclass(frozen=True)
class PolicyContext:
    app: AppView
    policy: PolicyMeta
    scenarios: list[ScenarioView]
    basic: list[ScenarioView]
    extended: list[ScenarioView]
    sensitive: Md
    consent_gaps: bool
    """The declaration waives a separate-consent rule: blanket promises must say so."""
    sensitive_rows: list[SensitiveRow]
    separate_consents: list[ConsentView]
    permissions: list[PermissionRow]
    sources: list[SourceView]
    exceptions: list[str]
    without_consent: str
    sharing: SharingView
    security: SecurityView
    rights: RightsView
    storage: StorageView
    tracking: list[TrackingRow]
    contacts: ContactsView


def _app(d: Declaration) -> AppView:
    app = d.app
    platform = _TRAILING_NOTE.sub("", clause(app.platform_name))
    return AppView(
        name=app.name,
        platform=app.name if platform in ("", "本平台") else platform,
        channels="、".join(app.channels),
        handler=app.handler.name,
        address=clause(app.handler.address),
        registered_address=clause(app.handler.registered_address),
        service_model=sentence(app.service_model),
        about=sentence(app.about),
        applies_to=clause(d.policy.applies_to),
        precedence=sentence(d.policy.precedence),
    )


def _meta(d: Declaration) -> PolicyMeta:
    p = d.policy
    return PolicyMeta(
        title=clause(p.title).strip("《》"),
        version=version_label(p.version),
        updated=chinese_date(p.updated),
        effective=chinese_date(p.effective),
        effective_on_acceptance=p.effective_on_acceptance,
        notice_methods="、".join(p.notice_methods) or "弹窗",
        changes_need_consent=p.changes_need_consent,
        decline=DECLINE[p.on_decline],
        material_change_notice=sentence(p.material_change_notice),
        high_risk=p.high_risk_impact_assessment,
        signature_required=p.signature_required,
        minimum_age=p.minimum_age,
        laws=laws_in_force(p.effective),
        adults_only=p.minimum_age >= ADULT,
        children_allowed=p.minimum_age < CHILD,
    )


def _security(d: Declaration, look: Lookup) -> SecurityView:
    return SecurityView(
        measures=[clause(m) for m in d.security.measures],
        notify_via="、".join(d.incident.notify_via),
        public_notice=d.incident.public_notice_when_impractical,
        report_to_regulator=d.incident.report_to_regulator,
        contacts=look.channel_list(d.incident.contacts),
    )


def build(declaration: Declaration) -> PolicyContext:
    look = Lookup.of(declaration)
    views = scenario_views(look)
    scenarios = [views[s.id] for s in declaration.scenarios]
    return PolicyContext(
        app=_app(declaration),
        policy=_meta(declaration),
        scenarios=scenarios,
        basic=[v for v in views.values() if v.is_basic],
        extended=[v for v in views.values() if not v.is_basic],
        sensitive=join(look.element(e) for e in sensitive_ids(look)),
        consent_gaps=any(w.rule == SEPARATE_CONSENT for w in declaration.waivers),
        sensitive_rows=sensitive_rows(look),
        separate_consents=consent_views(look),
        permissions=permission_rows(look),
        sources=source_views(look),
        exceptions=[b.label for b in LegalBasis if b is not LegalBasis.CONSENT],
        without_consent="；".join(
            f"{s.name}（{s.legal_basis.label}）"
            for s in declaration.scenarios
            if s.legal_basis is not LegalBasis.CONSENT
        ),
        sharing=sharing_view(look),
        security=_security(declaration, look),
        rights=rights_view(look, RIGHTS_CHAPTER),
        storage=storage_view(declaration),
        tracking=tracking_rows(declaration, look),
        contacts=contacts_view(look),
    )
