"""Recipients, SDKs and third-party H5 pages (chapter 2, the sharing list).

PIPL Art. 23: before PI goes to another handler the person learns the recipient's name,
contact, purpose, method and PI kinds; Art. 21 governs entrusted processors; Art. 25
public disclosure. X20/W12: every SDK with its gating consent; X23: the affiliates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from yinsi.declaration.schema import Recipient, Sdk
from yinsi.policy.lookup import Lookup
from yinsi.policy.text import Md, clause, escape, link, quoted
from yinsi.taxonomy import LegalBasis, Platform, RecipientKind

__all__ = [
    "CONTACT_FALLBACK",
    "H5View",
    "RecipientView",
    "SdkView",
    "SharingView",
    "sharing_view",
]

CONTACT_FALLBACK = "可通过“如何联系我们”所列方式向我们查询"


@dataclass(frozen=True)
class RecipientView:
    name: str
    kind: str
    purposes: str
    method: str
    elements: Md
    basis: str
    contact: str
    safeguards: str


@dataclass(frozen=True)
class SdkView:
    name: str
    function: str
    elements: Md
    provider: str
    link: Md
    consent: str
    purposes: str


@dataclass(frozen=True)
class H5View:
    name: str
    domain: str
    elements: Md


@dataclass(frozen=True)
class SharingView:
    affiliates: list[RecipientView] = field(default_factory=list)
    entrusted: list[RecipientView] = field(default_factory=list)
    consented: list[RecipientView] = field(default_factory=list)
    statutory: list[RecipientView] = field(default_factory=list)
    disclosed: list[RecipientView] = field(default_factory=list)
    cross_border: list[RecipientView] = field(default_factory=list)
    sdks: list[SdkView] = field(default_factory=list)
    h5_links: list[H5View] = field(default_factory=list)

    @property
    def other_handlers(self) -> list[RecipientView]:
        return self.consented + self.statutory

    @property
    def sdk_names(self) -> str:
        return "、".join(dict.fromkeys(s.name for s in self.sdks))

    @property
    def h5_names(self) -> str:
        return "、".join(h.name for h in self.h5_links)

    @property
    def affiliate_names(self) -> str:
        return _names(self.affiliates)

    @property
    def other_names(self) -> str:
        return _names(self.other_handlers + self.cross_border)

    @property
    def entrusted_names(self) -> str:
        return _names(self.entrusted)


def _names(views: list[RecipientView]) -> str:
    return "；".join(v.name for v in views)


def _basis(r: Recipient, look: Lookup) -> str:
    if r.kind is RecipientKind.ENTRUSTED_PROCESSOR:
        return "委托处理，无需您的单独同意"
    if r.legal_basis is not LegalBasis.CONSENT:
        return f"无需同意（{r.legal_basis.label}）"
    item = look.consents.get(r.consent) if r.consent else None
    if item is not None:
        return f"您的{item.kind.label}（{quoted(item.label)}）"
    return "您的单独同意" if r.kind.needs_separate_consent else "您的同意"


def _safeguards(r: Recipient) -> str:
    parts = []
    if r.de_identified == "always":
        parts.append("提供前进行去标识化处理")
    elif r.de_identified == "where_possible":
        parts.append("在可能的情况下进行去标识化处理")
    if r.delete_on_end:
        parts.append("委托关系结束后要求受托方删除或返还个人信息")
    if r.location == "abroad":
        parts.append(f"接收方位于境外{f'（{r.country}）' if r.country else ''}")
    return "；".join(parts)


def recipient_view(r: Recipient, look: Lookup) -> RecipientView:
    return RecipientView(
        name=r.name,
        kind=r.kind.label,
        purposes=look.purposes(r.purposes),
        method=clause(r.method),
        elements=look.elements(r.elements),
        basis=_basis(r, look),
        contact=clause(r.contact) or CONTACT_FALLBACK,
        safeguards=_safeguards(r),
    )


def _sdk_consent(sdk: Sdk, look: Lookup) -> str:
    extra = "".join(
        f"；获取{look.label(eid)}另需{quoted(gate.label)}（{gate.kind.label}）"
        for eid, cid in sdk.element_consents.items()
        if (gate := look.consents.get(cid)) is not None
    )
    return _sdk_gate(sdk, look) + extra


def _sdk_gate(sdk: Sdk, look: Lookup) -> str:
    item = look.consents.get(sdk.consent) if sdk.consent else None
    if item is not None:
        return f"{quoted(item.label)}（{item.kind.label}）"
    if not sdk.elements:
        return "不收集个人信息，无需同意"
    if sdk.legal_basis is not LegalBasis.CONSENT:
        return f"无需同意（{sdk.legal_basis.label}）"
    return "您的同意"


def sdk_view(sdk: Sdk, look: Lookup) -> SdkView:
    platforms = set(sdk.platforms)
    only = (
        ""
        if platforms >= {Platform.ANDROID, Platform.IOS}
        else "、".join(p.label for p in sdk.platforms)
    )
    elements = look.elements(sdk.elements) if sdk.elements else escape("不收集个人信息")
    if sdk.elements and sdk.de_identified:
        elements = Md(elements + escape("（去标识化后传输）"))
    return SdkView(
        name=sdk.name,
        function=clause(sdk.function) + (f"（仅{only}）" if only else ""),
        elements=elements,
        provider=sdk.provider,
        link=link(str(sdk.link)) if sdk.link else Md(""),
        consent=_sdk_consent(sdk, look),
        purposes=look.purposes(sdk.purposes) or clause(sdk.function),
    )


def sharing_view(look: Lookup) -> SharingView:
    view = SharingView()
    groups = {
        RecipientKind.AFFILIATE: view.affiliates,
        RecipientKind.ENTRUSTED_PROCESSOR: view.entrusted,
        RecipientKind.PUBLIC_DISCLOSURE: view.disclosed,
        RecipientKind.CROSS_BORDER: view.cross_border,
    }
    for r in look.declaration.recipients:
        default = view.consented if r.legal_basis is LegalBasis.CONSENT else view.statutory
        groups.get(r.kind, default).append(recipient_view(r, look))
    view.sdks.extend(sdk_view(s, look) for s in look.declaration.sdks)
    view.h5_links.extend(
        H5View(h.name, h.domain, look.elements(h.elements) if h.elements else Md(""))
        for h in look.declaration.h5_links
    )
    return view
