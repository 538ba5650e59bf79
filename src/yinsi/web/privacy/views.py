"""What the privacy center's pages show, derived from the declaration: plain data, no HTML.

Every word comes from the published declaration (through :class:`yinsi.policy.lookup.Lookup`,
so sensitive elements carry their ``*`` as in the policy) or from fixed Chinese phrases
here. The templates only loop and print.
"""

from __future__ import annotations

from dataclasses import dataclass

from yinsi.consent import ConsentState
from yinsi.declaration import Declaration
from yinsi.declaration.datamap import DataMap
from yinsi.declaration.schema import ConsentItem
from yinsi.policy.lookup import Lookup
from yinsi.policy.phrases import ASKED, PERMISSION_WHEN
from yinsi.policy.retention import retention_phrase
from yinsi.policy.text import clause, sentence
from yinsi.services.consent import policy_consent_items
from yinsi.services.sdk_gate import SdkEntry
from yinsi.taxonomy import RightKind

__all__ = [
    "ConsentSwitch",
    "Consents",
    "PermissionView",
    "SdkCard",
    "consents",
    "element_label",
    "kept_by_law",
    "permissions",
    "sdks",
    "switch",
]


def element_label(look: Lookup, element_id: str) -> str:
    """The element's label, with ``*`` when it is sensitive (X05), as the policy marks it."""
    label = look.label(element_id)
    return label + "*" if look.is_sensitive(element_id) and not label.endswith("*") else label


# ------------------------------------------------------------------ consents


@dataclass(frozen=True, slots=True)
class ConsentSwitch:
    """One consent item the user can grant and withdraw here, as one switch."""

    id: str
    label: str
    kind: str
    separate: bool
    description: str
    asked: str
    each_time: bool
    granted: bool
    withdrawn: bool
    elements: tuple[str, ...]
    stops: tuple[str, ...]
    """The functions that stop when it is withdrawn (X29: only those)."""
    on_refusal: str
    other_ways: str


@dataclass(frozen=True, slots=True)
class Consents:
    """The switches of one policy version: general items apart from separate ones (X05)."""

    version: str
    policy_items: tuple[str, ...]
    """Labels of the items accepting the policy grants (withdrawn only with the account)."""
    general: tuple[ConsentSwitch, ...]
    separate: tuple[ConsentSwitch, ...]


def consents(declaration: Declaration, state: ConsentState) -> Consents:
    """The consent switches of ``declaration`` in the subject's ``state``."""
    look = Lookup.of(declaration)
    basic = set(policy_consent_items(declaration))
    switches = [switch(look, c, state) for c in declaration.consents if c.id not in basic]
    return Consents(
        version=declaration.policy.version,
        policy_items=tuple(clause(look.consent(c)) for c in basic),
        general=tuple(s for s in switches if not s.separate),
        separate=tuple(s for s in switches if s.separate),
    )


def switch(look: Lookup, item: ConsentItem, state: ConsentState) -> ConsentSwitch:
    elements = list(item.elements) or _covered(look, item.id)
    return ConsentSwitch(
        id=item.id,
        label=clause(item.label),
        kind=item.kind.label,
        separate=item.kind.is_separate,
        description=sentence(item.description),
        asked=ASKED.get(item.asked or "", ""),
        each_time=item.asked == "each_time",
        granted=item.id in state.granted,
        withdrawn=item.id in state.withdrawn,
        elements=tuple(element_label(look, e) for e in elements),
        stops=tuple(_stops(look, item.id)),
        on_refusal=sentence(item.on_refusal),
        other_ways="、".join(clause(w) for w in item.withdraw_via),
    )


def _stops(look: Lookup, consent_id: str) -> list[str]:
    """Scenarios, provisions and SDKs that need ``consent_id``: what withdrawing it stops."""
    d = look.declaration
    names = [s.name for s in d.scenarios if consent_id in s.consents]
    names += [f"向{r.name}提供个人信息" for r in d.recipients if r.consent == consent_id]
    for sdk in d.sdks:
        if sdk.consent == consent_id:
            names.append(f"{sdk.name}（第三方SDK）")
        gated = [e for e, c in sdk.element_consents.items() if c == consent_id]
        if gated and sdk.consent != consent_id:
            labels = "、".join(element_label(look, e) for e in gated)
            names.append(f"{sdk.name}（第三方SDK）获取{labels}")
    return list(dict.fromkeys(names))


def _covered(look: Lookup, consent_id: str) -> list[str]:
    """An item that lists no elements covers every element of what it gates."""
    d = look.declaration
    found = [e for s in d.scenarios if consent_id in s.consents for e in s.element_ids]
    found += [e for r in d.recipients if r.consent == consent_id for e in r.elements]
    return list(dict.fromkeys(found))


# ------------------------------------------------------------------ permissions and SDKs


@dataclass(frozen=True, slots=True)
class PermissionUseView:
    function: str
    when: str
    required: bool
    note: str
    fallback: str


@dataclass(frozen=True, slots=True)
class PermissionView:
    """One device permission and every function that uses it."""

    id: str
    label: str
    sensitive: bool
    android: str
    ios: str
    uses: tuple[PermissionUseView, ...]


def permissions(declaration: Declaration) -> list[PermissionView]:
    """The device permissions the app asks for, in first-use order."""
    look = Lookup.of(declaration)
    uses: dict[str, list[PermissionUseView]] = {}
    for scenario in declaration.scenarios:
        for use in scenario.permissions:
            uses.setdefault(use.permission, []).append(
                PermissionUseView(
                    function=scenario.name,
                    when=PERMISSION_WHEN[use.when],
                    required=use.required,
                    note=clause(use.note),
                    fallback=sentence(use.fallback),
                )
            )
    out = []
    for pid, found in uses.items():
        known = look.taxonomy.permissions.get(pid)
        out.append(
            PermissionView(
                id=pid,
                label=look.permission(pid),
                sensitive=bool(known and known.sensitive),
                android="、".join(known.android) if known else "",
                ios="、".join(known.ios) if known else "",
                uses=tuple(found),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class SdkCard:
    """One third-party SDK: who provides it, what it receives, what gates it, and (with a
    session) whether the app may start it for this user now (W12)."""

    id: str
    name: str
    provider: str
    function: str
    elements: tuple[str, ...]
    platforms: str
    link: str
    gate: str
    status: str
    allowed: bool | None


def sdks(declaration: Declaration, manifest: list[SdkEntry] | None) -> list[SdkCard]:
    look = Lookup.of(declaration)
    entries = {e.id: e for e in manifest or []}
    cards = []
    for sdk in declaration.sdks:
        entry = entries.get(sdk.id)
        gates = [c for c in (sdk.consent, *sdk.element_consents.values()) if c]
        cards.append(
            SdkCard(
                id=sdk.id,
                name=sdk.name,
                provider=sdk.provider,
                function=clause(sdk.function),
                elements=tuple(element_label(look, e) for e in sdk.elements),
                platforms="、".join(p.label for p in sdk.platforms),
                link=str(sdk.link) if sdk.link and sdk.link.scheme in ("http", "https") else "",
                gate="、".join(f"“{look.consent(c)}”" for c in dict.fromkeys(gates)),
                status=_status(entry),
                allowed=None if entry is None else entry.may_initialise,
            )
        )
    return cards


def _status(entry: SdkEntry | None) -> str:
    if entry is None:
        return ""
    return "已启用" if entry.may_initialise else "未启用（您未同意或已撤回相关授权）"


# ------------------------------------------------------------------ retention


def kept_by_law(declaration: Declaration, data_map: DataMap | None) -> list[str]:
    """What is kept after a cancellation or deletion, and for how long (X28, X30, X38).

    The data map's holds (e.g. loans while outstanding and for 5 years after settlement)
    when the service knows it, then the declaration's retention rules.
    """
    look = Lookup.of(declaration)
    out: list[str] = []
    for dataset in data_map.datasets if data_map else []:
        for hold in dataset.holds:
            rule = look.retention.get(hold.rule)
            if rule is None:
                continue
            kept = rule.minimum or rule.period
            span = f"保存{kept.label}" if kept else "依法保存"
            pending = "在相关业务未结束期间以及结束后" if hold.while_ or hold.since else ""
            out.append(
                f"{dataset.label}：{pending}{span}（{clause(rule.label)}）；"
                "保存期间除存储和采取必要的安全保护措施外不作其他处理。"
            )
    for rule in declaration.retention:  # in the declared modality (bound, start, end action)
        out.append(f"{clause(rule.label)}：{retention_phrase(rule)}。")
    return out


# ------------------------------------------------------------------ rights


SELF_SERVICE_KINDS = frozenset(
    {RightKind.WITHDRAW_CONSENT, RightKind.CANCEL_ACCOUNT, RightKind.COMPLAINT}
)
"""Kinds with a page of their own: consents, cancellation, complaints."""
NOT_FOR_USERS = frozenset({RightKind.DECEASED_RELATIVES})
"""A relative is not the signed-in user; relatives go through customer service."""
