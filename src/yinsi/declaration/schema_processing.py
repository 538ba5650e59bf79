"""The declaration sections that say what the app processes: consents, retention rules,
scenarios, and who else receives PI (recipients, SDKs, H5 pages, tracking items).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AnyUrl,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from yinsi.declaration.schema_inventory import KeptAs, NotStatedTopic, lift_not_stated
from yinsi.declaration.schema_notice import OnwardTransfer
from yinsi.declaration.schema_types import DurationField, Id, IdList, Model, Text
from yinsi.taxonomy import (
    CollectionMethod,
    ConsentKind,
    FunctionKind,
    LegalBasis,
    Likelihood,
    Platform,
    RecipientKind,
    RetentionAction,
    RetentionBound,
    RetentionStart,
    TrackingKind,
)


class ConsentItem(Model):
    """Something a user can agree to and withdraw: the policy itself or one function."""

    id: Id
    label: Text
    kind: ConsentKind = ConsentKind.GENERAL
    description: str = ""
    elements: IdList = Field(
        default_factory=list,
        description="Elements this consent names. A separate or written consent satisfies "
        "PIPL Arts. 23, 25, 29 and 39 only for these; with none it still gates what names it "
        "but covers no sensitive element of a scenario (a recipient's or SDK's own consent "
        "covers what that recipient or SDK lists).",
    )
    asked: Literal["at_registration", "on_first_use", "each_time", "in_settings"] | None = Field(
        None, description="When the consent is asked; omit when the policy does not say."
    )
    withdraw_via: list[Text] = []
    on_refusal: str = Field("", description="What stops if refused or withdrawn (X05, X29).")
    switch: str = Field(
        "",
        description="Where in the app the user turns it off (kind opt_out: 我的-设置-"
        "个性化推荐); published as 您可以在…中关闭.",
    )
    term: str = Field(
        "",
        description="The policy's own word for this consent where it differs from the kind's "
        "label (授权同意 for a separate consent): published instead of the label; the kind "
        "keeps its legal meaning (what it satisfies, what the consent engine requires).",
    )


class RetentionRule(Model):
    """How long some PI is kept and what happens then (网络数据安全管理条例 Art. 21 (3)).

    ``bound`` is the policy's modality and is required with a ``period``: "最长不超过…5年"
    (``at_most``) promises less than "保存5年" (``exactly``). ``starts`` is what the policy
    counts from and ``then`` what happens at the end; leave either out when the policy does
    not say ("不会超过一个月"): nothing is then said about it.
    """

    id: Id
    label: Text
    period: DurationField | None = Field(
        None, description="The period, e.g. 5y, 1m. Omit when the policy names none."
    )
    bound: RetentionBound | None = Field(
        None,
        description="Required with `period`: at_most (最长不超过) or exactly (保存), as the "
        "policy says it.",
    )
    starts: RetentionStart | None = Field(
        None, description="What the period counts from; omit when the policy does not say."
    )
    then: RetentionAction | None = Field(
        None,
        description="What happens when the period ends; omit when the policy does not say "
        "(validate warns: 网络数据安全管理条例 Art. 21 (3)).",
    )
    basis: str = Field(
        "",
        description="Why this period (law, contract, purpose); without a period, how the "
        "policy says it is determined (published as the period).",
    )
    minimum: DurationField | None = Field(None, description="A legal minimum (e.g. AML).")
    elements: IdList = Field(
        default_factory=list,
        description="Elements this rule applies to, wherever they are collected (a rule per "
        "element, not per scenario); rendered after the label.",
    )
    not_retained: bool | None = Field(
        None,
        description="True when the policy says these elements are not kept (不保存), e.g. a "
        "card security code used only for the transaction.",
    )
    kept_as: KeptAs | None = Field(
        None,
        description="`digest`: the element itself is not kept, only its digest (仅保存摘要), "
        "for `period` if one is given.",
    )

    @model_validator(mode="after")
    def _bound_with_period(self) -> RetentionRule:
        if self.period is not None and self.bound is None:
            raise ValueError(
                f"retention period {self.period}: say whether it is a maximum "
                "(bound: at_most — 最长不超过) or a fixed period (bound: exactly — 保存), "
                "as the policy words it"
            )
        if self.not_retained and (self.period is not None or self.kept_as or self.then):
            raise ValueError(
                "not_retained: true says nothing is kept: leave out period, then and kept_as"
            )
        return self


class CallLimit(Model):
    """A permission's call budget (W10: location once per stage, 4 per flow)."""

    per_stage: int | None = Field(None, gt=0)
    per_flow: int | None = Field(None, gt=0)
    stages: list[Text] = []


class PermissionUse(Model):
    permission: Id
    when: Literal["on_first_use", "on_use", "at_login", "at_launch", "necessary_steps"] = (
        "on_first_use"
    )
    required: bool = False
    limit: CallLimit | None = None
    fallback: str = ""
    note: str = ""


class ElementUse(Model):
    """An element in a scenario; ``required: false`` for 'if any' items."""

    id: Id
    required: bool = True
    note: str = ""
    sourced: bool = Field(
        False,
        description="Obtained from the scenario's third-party `source` (X18): in a scenario "
        "that also collects directly, the policy names only these as obtained indirectly.",
    )


def _element_use(value: Any) -> Any:
    if isinstance(value, list):
        return [{"id": v} if isinstance(v, str) else v for v in value]
    return value


class Scenario(Model):
    """A business scenario (业务场景): what is collected, why, how and on what basis."""

    id: Id
    name: Text
    function: FunctionKind
    description: str = ""
    purposes: IdList = Field(min_length=1)
    not_stated: list[NotStatedTopic] = Field(
        default_factory=list,
        description="Fields the policy leaves unsaid (written as `elements: not_stated`).",
    )
    methods: list[CollectionMethod] = Field(
        default_factory=list,
        validate_default=True,
        description="How the PI is collected; `not_stated` when the policy does not say "
        "(no 收集方式 line is rendered).",
    )
    elements: Annotated[list[ElementUse], BeforeValidator(_element_use)] = Field(
        default_factory=list,
        validate_default=True,
        description="The PI the scenario processes; `not_stated` where the policy names none "
        '("您的个人信息"): no PI sentence is rendered and `yinsi lint` reports the gap.',
    )
    legal_basis: LegalBasis = LegalBasis.CONSENT
    consents: IdList = []
    permissions: list[PermissionUse] = []
    retention: Id | None = None
    recipients: IdList = []
    on_refusal: str = Field("", description="What happens if the user refuses (PIPL Art. 16).")
    automated_decision: bool = Field(False, description="PIPL Art. 24/73 (X32).")
    source: str = Field("", description="Where third-party-sourced PI comes from (X18).")
    likelihood: Likelihood | None = Field(
        None, description="`may` renders 可能需要收集 where the policy says 可能 (W05)."
    )

    @model_validator(mode="before")
    @classmethod
    def _not_stated(cls, data: Any) -> Any:
        return lift_not_stated(data, ("elements", "methods"))

    @field_validator("methods", "elements")
    @classmethod
    def _stated_or_not(cls, value: list[Any], info: ValidationInfo) -> list[Any]:
        topic = info.field_name
        if not value and topic not in info.data.get("not_stated", ()):
            raise ValueError(
                f"list its {topic}, or write `{topic}: not_stated` when the policy does not "
                "state them"
            )
        return value

    @property
    def element_ids(self) -> list[str]:
        return [e.id for e in self.elements]


class Recipient(Model):
    """Someone PI is provided to or entrusted to (X21-X24, W11)."""

    id: Id
    kind: RecipientKind
    name: Text
    is_category: bool = Field(
        False, description="True when the policy names a type of recipient, not an entity."
    )
    contact: str = ""
    purposes: IdList = Field(
        default_factory=list,
        description="Why PI is provided; `not_stated` when the policy does not say (nothing is "
        "rendered; `yinsi lint` reports the gap: rule not-stated).",
    )
    method: str = ""
    elements: IdList = Field(
        default_factory=list,
        description="The PI kinds provided; `not_stated` when the policy does not enumerate "
        "them (nothing is rendered; `yinsi lint` reports the gap: rule not-stated).",
    )
    not_stated: list[NotStatedTopic] = Field(
        default_factory=list,
        description="Fields the policy leaves unsaid (written as `elements: not_stated`).",
    )
    legal_basis: LegalBasis = LegalBasis.CONSENT
    consent: Id | None = None
    likelihood: Likelihood | None = Field(
        None,
        description="Whether the policy says PI may (可能会) or will (会) be provided; omit "
        "when it says neither.",
    )
    de_identified: Literal["no", "where_possible", "always"] = "no"
    delete_on_end: bool = Field(False, description="Entrusted processing: delete at the end.")
    location: Literal["mainland_china", "abroad"] = "mainland_china"
    country: str = ""
    negative_info_notice: str = Field(
        "",
        description="For a credit database: how the person is told before negative "
        "information is reported (征信业管理条例 Art. 15).",
    )
    onward: list[OnwardTransfer] = Field(
        default_factory=list,
        description="Parties the recipient passes the PI on to (e.g. abroad: PIPL Arts. 38-39).",
    )
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _not_stated(cls, data: Any) -> Any:
        return lift_not_stated(data, ("elements", "purposes"))

    @model_validator(mode="after")
    def _stated_or_not(self) -> Recipient:
        for topic in ("elements", "purposes"):
            if not getattr(self, topic) and topic not in self.not_stated:
                raise ValueError(
                    f"recipient {self.id!r}: list its {topic}, or write `{topic}: not_stated` "
                    "when the policy does not state them"
                )
        return self


class Sdk(Model):
    """A third-party SDK embedded in the app (X20, W12)."""

    id: Id
    name: Text
    function: Text
    provider: Text
    role: Literal["entrusted_processor", "other_handler", "joint_handler"] | None = Field(
        None,
        description="What the provider is in law: entrusted_processor (受托人, PIPL Art. 21), "
        "other_handler (其他个人信息处理者, Art. 23) or joint_handler (共同处理, Art. 20). "
        "Omit when the policy does not say (`yinsi lint` reports it: rule sdk-role).",
    )
    elements: IdList = Field(
        default_factory=list,
        description="The PI it collects; `[]` written: none; `not_stated`: the policy does not "
        "list it (nothing is rendered; rule not-stated).",
    )
    not_stated: list[NotStatedTopic] = Field(
        default_factory=list,
        description="Fields the policy leaves unsaid (written as `elements: not_stated`).",
    )
    link: AnyUrl | None = None
    purposes: IdList = []
    legal_basis: LegalBasis = LegalBasis.CONSENT
    consent: Id | None = Field(None, description="The consent item that gates this SDK (W12).")
    element_consents: dict[Id, Id] = Field(
        default_factory=dict,
        description="Element -> consent: the SDK receives that element only once this consent "
        "is granted too (e.g. precise_location -> location), on top of `consent`.",
    )
    platforms: list[Platform] = [Platform.ANDROID, Platform.IOS]
    de_identified: bool = False
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _not_stated(cls, data: Any) -> Any:
        return lift_not_stated(data, ("elements",))


class SdkNotes(Model):
    """What the policy says about its SDKs as a whole, in its words (小赢卡贷 2.2.4 F).

    Each field, when written, is published in the SDK section of chapter 2; left out,
    nothing is said.
    """

    by_function: str = Field(
        "",
        description="SDKs named by what they do and the PI each needs (如果您使用支付服务，"
        "支付SDK需要获得…), published before the SDK table.",
    )
    vetting: str = Field(
        "",
        description="How the SDKs are checked and bound (安全检测, 数据保护约定), published "
        "before the SDK table.",
    )
    not_listed: str = Field(
        "",
        description="SDKs the policy does not list and why (功能性开源组件…), published after "
        "the SDK table.",
    )


class H5Link(Model):
    """A third-party H5 page opened inside the app (X20).

    A policy may speak of third-party pages without naming them ("当您通过平台访问第三方
    创建的网页时…"): give the `name` it uses, leave out `domain` and `elements`, and put
    what it says in `note`.
    """

    id: Id
    name: Text
    domain: str = Field("", description="The page's domain; omit when the policy names none.")
    elements: IdList = []
    note: str = Field("", description="What the policy says about the page, published.")


class TrackingItem(Model):
    """A cookie, header or local-storage entry (X40, W02)."""

    id: Id
    kind: TrackingKind
    name: Text
    elements: IdList = []
    purposes: IdList = Field(min_length=1)
    retention: Id | None = None
    how_to_clear: str = ""
    note: str = ""
