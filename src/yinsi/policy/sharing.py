"""Recipients, SDKs and third-party H5 pages (chapter 2, the sharing list).

PIPL Art. 23: before PI goes to another handler the person learns the recipient's name,
contact, purpose, method and PI kinds; Art. 21 governs entrusted processors; Art. 25
public disclosure. X20/W12: every SDK with its gating consent; X23: the affiliates.

Nothing is said that the declaration does not say: a recipient without a contact shows
no contact, an SDK whose elements are not listed shows none, and "no SDK", "no H5 page",
"no recipient" are said only when the declaration writes the empty list (``sdks: []``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from yinsi.declaration.schema import Recipient, Sdk
from yinsi.policy.lookup import Lookup
from yinsi.policy.parties import onward_transfers
from yinsi.policy.provenance import Statement, fixed, merged, said, stated
from yinsi.policy.statements import consent_label
from yinsi.policy.text import Md, clause, link, sentence
from yinsi.taxonomy import ConsentKind, LegalBasis, Platform, RecipientKind

__all__ = ["H5View", "RecipientView", "SdkView", "SharingView", "sharing_view"]

NOTHING = Statement("")


@dataclass(frozen=True)
class RecipientView:
    name: Statement
    kind: Statement
    purposes: Statement
    method: Statement
    elements: Statement
    basis: Statement
    contact: Statement
    safeguards: Statement
    likelihood: Statement
    onward: Statement = NOTHING
    """``recipients[].onward``: 接收方再向…提供 (also part of :attr:`safeguards`)."""

    @property
    def details(self) -> Statement:
        """What chapter 2 says of the recipient, each part labelled; a part not stated
        (``purposes: not_stated``, ``elements: not_stated``) is left out, not invented."""
        return self.described()

    def described(
        self,
        purposes: str = "处理目的：",
        elements: str = "提供的个人信息：",
        *,
        only: str = "purposes method elements contact basis safeguards",
    ) -> Statement:
        """:attr:`details` with other labels, limited to the parts named in ``only``."""
        labelled = {
            "purposes": (purposes, self.purposes),
            "method": ("处理方式：", self.method),
            "elements": (elements, self.elements),
            "contact": ("接收方联系方式：", self.contact),
            "basis": ("依据：", self.basis),
            "safeguards": ("", self.safeguards),
        }
        parts = [merged(labelled[n]) for n in only.split() if labelled[n][1]]
        return merged(parts, "；")

    @property
    def row(self) -> Statement:
        """The purposes, method and safeguards in one table cell."""
        return merged([self.purposes, self.method, self.safeguards], "；")

    @property
    def listed_method(self) -> Statement:
        """The sharing list's 方式 cell: the method, then any onward transfer."""
        return merged([self.method, self.onward], "；")


@dataclass(frozen=True)
class SdkView:
    name: Statement
    function: Statement
    elements: Statement
    provider: Statement
    link: Statement
    consent: Statement
    purposes: Statement
    """The declared purposes (PIPL Art. 23: the purpose is told), or nothing."""
    note: Statement = NOTHING
    """What the policy says besides, published below the SDK table."""
    called: Statement = NOTHING
    """How that note names the SDK: its name, with its function where two SDKs share it."""
    role: Statement = NOTHING
    """What the provider is in law, as declared: （受托处理者） and so on."""


@dataclass(frozen=True)
class H5View:
    name: Statement
    domain: Statement
    elements: Statement
    note: Statement = NOTHING


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
    no_recipients: Statement = NOTHING
    """Said only when the declaration writes ``recipients: []``."""
    no_sdks: Statement = NOTHING
    """Said only when the declaration writes ``sdks: []``."""
    no_h5_links: Statement = NOTHING
    """Said only when the declaration writes ``h5_links: []``."""
    sdks_gated: Statement = NOTHING
    """Kept empty: no field declares that SDKs are not called before consent (issue 13)."""
    sdk_lead: list[Statement] = field(default_factory=list)
    """``sdk_notes.by_function`` and ``.vetting``, before the SDK table."""
    sdk_after: Statement = NOTHING
    """``sdk_notes.not_listed``, after the SDK table."""

    @property
    def other_handlers(self) -> list[RecipientView]:
        return self.consented + self.statutory

    @property
    def sdk_names(self) -> Statement:
        """Each provider name once, with how many SDKs bear it, so the list adds up to
        :attr:`sdk_count` (issue 13: "共23项" listed 21 names)."""
        counts: dict[str, int] = {}
        for s in self.sdks:
            counts[s.name] = counts.get(s.name, 0) + 1
        return merged((n if k == 1 else f"{n}（{k}项）" for n, k in counts.items()), "、")

    @property
    def sdk_count(self) -> Statement:
        return fixed(str(len(self.sdks)), "count", "sdks", kind="fact")

    @property
    def h5_names(self) -> Statement:
        return merged((h.name for h in self.h5_links), "、")

    @property
    def h5_count(self) -> Statement:
        return fixed(str(len(self.h5_links)), "count", "h5_links", kind="fact")

    @property
    def affiliate_names(self) -> Statement:
        return _names(self.affiliates)

    @property
    def other_names(self) -> Statement:
        return _names(self.other_handlers + self.cross_border)

    @property
    def entrusted_names(self) -> Statement:
        return _names(self.entrusted)

    @property
    def onward_summary(self) -> Statement:
        """``X：接收方再向Y提供…`` for each recipient that passes PI on (the summary)."""
        every = self.affiliates + self.entrusted + self.other_handlers + self.cross_border
        return merged((merged([r.name, "：", r.onward]) for r in every if r.onward), "；")

    def lead(self, group: list[RecipientView]) -> Statement:
        """ "可能会" or "会" when every recipient of ``group`` says the same, else nothing."""
        said_ = {str(r.likelihood) for r in group}
        if len(said_) == 1 and group[0].likelihood:
            return group[0].likelihood
        return NOTHING


def _names(views: list[RecipientView]) -> Statement:
    return merged((v.name for v in views), "；")


def _basis(r: Recipient, path: str, look: Lookup) -> Statement:
    if r.kind is RecipientKind.ENTRUSTED_PROCESSOR:
        return fixed(
            "委托处理，无需您的单独同意", "sharing.basis.entrusted", f"{path}.kind", kind="fact"
        )
    if r.legal_basis is not LegalBasis.CONSENT:
        return said(f"无需同意（{r.legal_basis.label}）", f"{path}.legal_basis")
    item = look.consents.get(r.consent) if r.consent else None
    if item is not None:  # a deemed consent or an opt-out is not "yours": no 您的
        mine = "" if item.kind in (ConsentKind.DEEMED, ConsentKind.OPT_OUT) else "您的"
        return merged([mine, consent_label(item, look)]).with_source(f"{path}.consent")
    if stated(r, "legal_basis"):
        return said("您的同意", f"{path}.legal_basis")
    return NOTHING


def _note_says_end(note: str) -> bool:
    """The recipient's note already says, in the policy's words, what happens to the PI when
    the entrustment ends ("在委托关系解除时…不再保存"): ``delete_on_end`` then adds nothing."""
    return "委托关系" in note and any(w in note for w in ("不再保存", "删除", "返还"))


def _safeguards(r: Recipient, path: str) -> Statement:
    parts = []
    if r.de_identified == "always":
        parts.append(said("提供前进行去标识化处理", f"{path}.de_identified", kind="commitment"))
    elif r.de_identified == "where_possible":
        parts.append(
            said("在可能的情况下进行去标识化处理", f"{path}.de_identified", kind="commitment")
        )
    if r.delete_on_end and not _note_says_end(r.note):
        parts.append(
            said(
                "委托关系结束后要求受托方删除或返还个人信息",
                f"{path}.delete_on_end",
                kind="commitment",
            )
        )
    if r.location == "abroad":
        where = f"接收方位于境外{f'（{r.country}）' if r.country else ''}"
        parts.append(said(where, f"{path}.location", *([f"{path}.country"] if r.country else [])))
    if r.negative_info_notice:  # 征信业管理条例 Art. 15
        parts.append(
            said(clause(r.negative_info_notice), f"{path}.negative_info_notice", kind="commitment")
        )
    if r.note:  # published: what the policy says about this recipient, in its words
        end = [f"{path}.delete_on_end"] if r.delete_on_end and _note_says_end(r.note) else []
        parts.append(said(clause(r.note), f"{path}.note", *end))
    return merged(parts, "；")


def recipient_view(r: Recipient, look: Lookup) -> RecipientView:
    path = look.path("recipients", r.id)
    likelihood = getattr(r, "likelihood", None)
    onward = onward_transfers(r, path, look)
    return RecipientView(
        name=said(r.name, f"{path}.name"),
        kind=said(r.kind.label, f"{path}.kind"),
        purposes=said(look.purposes(r.purposes), f"{path}.purposes"),
        method=said(clause(r.method), f"{path}.method"),
        elements=Statement(look.elements(r.elements), [f"{path}.elements"]),
        basis=_basis(r, path, look),
        contact=said(clause(r.contact), f"{path}.contact"),
        safeguards=merged([_safeguards(r, path), onward], "；"),
        likelihood=said(likelihood.label, f"{path}.likelihood", kind="commitment")
        if likelihood is not None
        else NOTHING,
        onward=onward,
    )


def _sdk_consent(sdk: Sdk, path: str, look: Lookup) -> Statement:
    extra = [
        merged([f"获取{look.label(eid)}另需", consent_label(gate, look)]).with_source(
            f"{path}.element_consents"
        )
        for eid, cid in sdk.element_consents.items()
        if (gate := look.consents.get(cid)) is not None
    ]
    return merged([_sdk_gate(sdk, path, look), *extra], "；")


def _sdk_gate(sdk: Sdk, path: str, look: Lookup) -> Statement:
    item = look.consents.get(sdk.consent) if sdk.consent else None
    if item is not None:
        return consent_label(item, look).with_source(f"{path}.consent")
    if not sdk.elements and stated(sdk, "elements"):
        # No PI, no gate: "无需同意" would be a legal conclusion nobody declared (issue 13).
        return NOTHING
    if sdk.legal_basis is not LegalBasis.CONSENT:
        return said(f"无需同意（{sdk.legal_basis.label}）", f"{path}.legal_basis")
    if stated(sdk, "legal_basis"):
        return said("您的同意", f"{path}.legal_basis")
    return NOTHING


def _sdk_elements(sdk: Sdk, path: str, look: Lookup) -> Statement:
    if not sdk.elements:
        if stated(sdk, "elements"):
            return fixed(
                "不收集个人信息", "sharing.sdk.no_elements", f"{path}.elements", kind="negative"
            )
        return NOTHING
    elements = Statement(look.elements(sdk.elements), [f"{path}.elements"])
    if sdk.de_identified:
        note = said("（去标识化后传输）", f"{path}.de_identified", kind="commitment")
        return merged([elements, note])
    return elements


_ROLES = {
    "entrusted_processor": "受托处理者",
    "other_handler": "其他个人信息处理者",
    "joint_handler": "共同处理者",
}


def _role(sdk: Sdk, path: str) -> Statement:
    """What the provider is in law, as declared (PIPL Arts. 20, 21, 23), or nothing."""
    if sdk.role is None:
        return NOTHING
    return said(f"（{_ROLES[sdk.role]}）", f"{path}.role", kind="fact")


def sdk_view(sdk: Sdk, look: Lookup) -> SdkView:
    path = look.path("sdks", sdk.id)
    platforms = set(sdk.platforms)
    only = (
        ""
        if platforms >= {Platform.ANDROID, Platform.IOS}
        else "、".join(p.label for p in sdk.platforms)
    )
    function = said(clause(sdk.function), f"{path}.function")
    if only:
        function = merged([function, said(f"（仅{only}）", f"{path}.platforms")])
    return SdkView(
        name=said(sdk.name, f"{path}.name"),
        function=function,
        elements=_sdk_elements(sdk, path, look),
        provider=said(sdk.provider, f"{path}.provider"),
        role=_role(sdk, path),
        link=Statement(link(str(sdk.link)), [f"{path}.link"]) if sdk.link else NOTHING,
        consent=_sdk_consent(sdk, path, look),
        purposes=said(look.purposes(sdk.purposes), f"{path}.purposes") if sdk.purposes else NOTHING,
        note=said(clause(sdk.note), f"{path}.note") if sdk.note.strip() else NOTHING,
    )


def _empty(d_field: str, text: str, look: Lookup) -> Statement:
    """A negative, said only when the declaration writes ``<d_field>: []``."""
    d = look.declaration
    if d_field in d.model_fields_set and not getattr(d, d_field):
        return fixed(text, f"sharing.none.{d_field}", d_field, kind="negative")
    return NOTHING


def _sdk_notes(look: Lookup) -> tuple[list[Statement], Statement]:
    """``sdk_notes``: what the policy says of its SDKs as a whole, before and after the table."""
    notes = look.declaration.sdk_notes
    lead = [
        said(sentence(notes.by_function), "sdk_notes.by_function"),
        said(sentence(notes.vetting), "sdk_notes.vetting", kind="commitment"),
    ]
    return [n for n in lead if n], said(sentence(notes.not_listed), "sdk_notes.not_listed")


def sharing_view(look: Lookup) -> SharingView:
    d = look.declaration
    sdk_lead, sdk_after = _sdk_notes(look)
    view = SharingView(
        sdk_lead=sdk_lead,
        sdk_after=sdk_after,
        no_recipients=_empty("recipients", "我们不向其他个人信息处理者提供您的个人信息。", look),
        no_sdks=_empty("sdks", "本平台App未接入会收集您个人信息的第三方SDK。", look),
        no_h5_links=_empty("h5_links", "本平台App中不包含会收集您个人信息的第三方H5页面。", look),
        # No "an SDK is not called before consent and stops on withdrawal": neither seed
        # promises it for all SDKs, and no field declares it (review of issue 13). The
        # table's 触发的同意 column says which consent each SDK needs.
        sdks_gated=NOTHING,
    )
    groups = {
        RecipientKind.AFFILIATE: view.affiliates,
        RecipientKind.ENTRUSTED_PROCESSOR: view.entrusted,
        RecipientKind.PUBLIC_DISCLOSURE: view.disclosed,
        RecipientKind.CROSS_BORDER: view.cross_border,
    }
    for r in d.recipients:
        default = view.consented if r.legal_basis is LegalBasis.CONSENT else view.statutory
        groups.get(r.kind, default).append(recipient_view(r, look))
    view.sdks.extend(sdk_view(s, look) for s in d.sdks)
    names = Counter(s.name for s in d.sdks)
    view.sdks[:] = [
        replace(v, called=merged([v.name, "（", v.function, "）"]) if names[s.name] > 1 else v.name)
        for v, s in zip(view.sdks, d.sdks, strict=True)
    ]
    for h in d.h5_links:
        path = look.path("h5_links", h.id)
        elements = look.elements(h.elements) if h.elements else Md("")
        view.h5_links.append(
            H5View(
                said(h.name, f"{path}.name"),
                said(h.domain, f"{path}.domain"),
                Statement(elements, [f"{path}.elements"]),
                said(sentence(h.note), f"{path}.note"),
            )
        )
    return view
