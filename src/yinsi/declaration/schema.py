"""The declaration schema: one YAML file per app, the single source of truth.

Types are checked here (pydantic v2); cross-references between sections are checked in
:mod:`yinsi.declaration.checks`, so every problem carries a path into the document that
the loader turns into ``FILE:LINE:COL``. ``yinsi schema`` prints this as JSON Schema.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AnyUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    model_validator,
)

from yinsi.taxonomy import (
    CollectionMethod,
    ConsentKind,
    DeclineMode,
    DeletionTrigger,
    FinancialGrade,
    FunctionKind,
    LegalBasis,
    Platform,
    RecipientKind,
    RetentionAction,
    RetentionStart,
    RightKind,
    TrackingKind,
)

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64),
    Field(description="Stable English id: lower case letters, digits and underscores."),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Model(BaseModel):
    """Base of every declaration model: unknown keys are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


# ---------------------------------------------------------------- durations

_DURATION = re.compile(r"^\s*(\d+)\s*(d|w|m|y|days?|weeks?|months?|years?)\s*$", re.IGNORECASE)
_UNIT = {"d": "days", "w": "weeks", "m": "months", "y": "years"}


class Duration(Model):
    """A retention period such as ``5y``, ``1m``, ``30d`` (years, months, weeks, days)."""

    amount: int = Field(ge=0)
    unit: Literal["days", "weeks", "months", "years"]

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = _DURATION.match(value)
            if not match:
                raise ValueError(
                    f"invalid duration {value!r}: write a number and a unit, e.g. 5y, 1m, 30d"
                )
            return {"amount": int(match[1]), "unit": _UNIT[match[2][0].lower()]}
        return value

    @property
    def label(self) -> str:
        unit = {"days": "日", "weeks": "周", "months": "个月", "years": "年"}[self.unit]
        return f"{self.amount}{unit}"

    @property
    def approx_days(self) -> int:
        per = {"days": 1, "weeks": 7, "months": 30, "years": 365}[self.unit]
        return self.amount * per

    def after(self, start: date) -> date:
        """The calendar date this period after ``start`` (month ends clamp: Jan 31 + 1m = Feb 28)."""
        if self.unit in ("days", "weeks"):
            return start + timedelta(days=self.amount * (7 if self.unit == "weeks" else 1))
        months = self.amount * (12 if self.unit == "years" else 1)
        year, month = divmod(start.month - 1 + months, 12)
        year += start.year
        last = calendar.monthrange(year, month + 1)[1]
        return date(year, month + 1, min(start.day, last))

    def __str__(self) -> str:
        return f"{self.amount}{self.unit[0]}"


DurationField = Annotated[Duration, PlainSerializer(str, return_type=str)]


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


IdList = Annotated[list[Id], BeforeValidator(_one_or_many)]


# ---------------------------------------------------------------- taxonomy extensions


class ElementDef(Model):
    """A PI element the app adds to, or refines in, the built-in taxonomy."""

    id: Id
    label: Text
    category: Id
    sensitive: bool = False
    grade: FinancialGrade | None = None
    note: str = ""
    reason: str = Field(
        "",
        description="Required when marking a built-in sensitive element as not sensitive.",
    )


class PurposeDef(Model):
    id: Id
    label: Text


class PermissionDef(Model):
    id: Id
    label: Text
    android: list[str] = []
    ios: list[str] = []
    sensitive: bool = False


class CategoryDef(Model):
    id: Id
    label: Text


class TaxonomyExtension(Model):
    categories: list[CategoryDef] = []
    elements: list[ElementDef] = []
    purposes: list[PurposeDef] = []
    permissions: list[PermissionDef] = []


# ---------------------------------------------------------------- identity and contacts


class Handler(Model):
    """The personal-information handler (个人信息处理者), PIPL Art. 17 (1)."""

    name: Text
    address: Text
    registered_address: str = ""


class App(Model):
    id: Id
    name: Text
    platform_name: str = Field("", description="How the policy refers to the platform.")
    channels: list[Text] = Field(default_factory=list, description="App, H5, API, 网站 …")
    handler: Handler
    service_model: Text = Field(description="Service model and business form (X03 A).")
    about: str = ""


class ContactChannel(Model):
    id: Id
    kind: Literal["phone", "email", "in_app", "web", "postal", "online_chat"]
    value: Text
    label: Text
    purposes: list[
        Literal["inquiry", "complaint", "rights_request", "pi_officer", "incident", "report"]
    ] = ["inquiry"]


class PiProtectionOfficer(Model):
    """PIPL Art. 52: publish the PI protection officer's contact (X42)."""

    title: Text = "个人信息保护负责人"
    channels: IdList = Field(description="Ids of contact channels that reach the officer.")


class Contacts(Model):
    channels: list[ContactChannel] = Field(min_length=1)
    pi_protection_officer: PiProtectionOfficer | None = None
    department: str = Field("", description="The responsible department (X03 D).")
    reply_within_working_days: int | None = Field(None, gt=0)


# ---------------------------------------------------------------- policy version


class PolicyInfo(Model):
    """The policy document's identity and change rules (X01, X02, X03, W19)."""

    title: Text
    version: Text
    updated: date
    effective: date
    effective_on_acceptance: bool = Field(
        False, description="W19: a new version takes effect for a user only once accepted."
    )
    changes_need_consent: bool = True
    on_decline: DeclineMode = DeclineMode.BROWSE_ONLY
    notice_methods: list[Text] = ["弹窗"]
    material_change_notice: str = Field(
        "", description="How material changes (X03) are noticed more prominently."
    )
    high_risk_impact_assessment: bool = Field(
        False, description="X03 E: an impact assessment found a high risk."
    )
    signature_required: bool = Field(False, description="X41: acceptance is signed.")
    minimum_age: int = Field(18, ge=0, description="X04: users younger than this are refused.")
    applies_to: str = ""
    precedence: str = ""


# ---------------------------------------------------------------- consents and retention


class ConsentItem(Model):
    """Something a user can agree to and withdraw: the policy itself or one function."""

    id: Id
    label: Text
    kind: ConsentKind = ConsentKind.GENERAL
    description: str = ""
    elements: IdList = Field(
        default_factory=list,
        description="Elements this consent covers; empty means every element of its scenarios.",
    )
    asked: Literal["at_registration", "on_first_use", "each_time", "in_settings"] = "on_first_use"
    withdraw_via: list[Text] = []
    on_refusal: str = Field("", description="What stops if refused or withdrawn (X05, X29).")


class RetentionRule(Model):
    id: Id
    label: Text
    period: DurationField | None = Field(
        None, description="Maximum period, e.g. 5y, 1m. Omit when the seed names none."
    )
    starts: RetentionStart = RetentionStart.COLLECTION
    then: RetentionAction = RetentionAction.DELETE_OR_ANONYMISE
    basis: str = Field("", description="Why this period (law, contract, purpose).")
    minimum: DurationField | None = Field(None, description="A legal minimum (e.g. AML).")


# ---------------------------------------------------------------- scenarios


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
    methods: list[CollectionMethod] = Field(min_length=1)
    elements: Annotated[list[ElementUse], BeforeValidator(_element_use)] = Field(min_length=1)
    legal_basis: LegalBasis = LegalBasis.CONSENT
    consents: IdList = []
    permissions: list[PermissionUse] = []
    retention: Id | None = None
    recipients: IdList = []
    on_refusal: str = Field("", description="What happens if the user refuses (PIPL Art. 16).")
    automated_decision: bool = Field(False, description="PIPL Art. 24/73 (X32).")
    source: str = Field("", description="Where third-party-sourced PI comes from (X18).")

    @property
    def element_ids(self) -> list[str]:
        return [e.id for e in self.elements]


# ---------------------------------------------------------------- recipients and SDKs


class Recipient(Model):
    """Someone PI is provided to or entrusted to (X21-X24, W11)."""

    id: Id
    kind: RecipientKind
    name: Text
    is_category: bool = Field(
        False, description="True when the policy names a type of recipient, not an entity."
    )
    contact: str = ""
    purposes: IdList = Field(min_length=1)
    method: str = ""
    elements: IdList = Field(min_length=1)
    legal_basis: LegalBasis = LegalBasis.CONSENT
    consent: Id | None = None
    de_identified: Literal["no", "where_possible", "always"] = "no"
    delete_on_end: bool = Field(False, description="Entrusted processing: delete at the end.")
    location: Literal["mainland_china", "abroad"] = "mainland_china"
    country: str = ""
    note: str = ""


class Sdk(Model):
    """A third-party SDK embedded in the app (X20, W12)."""

    id: Id
    name: Text
    function: Text
    provider: Text
    elements: IdList = []
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


class H5Link(Model):
    """A third-party H5 page opened inside the app (X20)."""

    id: Id
    name: Text
    domain: Text
    elements: IdList = []
    note: str = ""


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


# ---------------------------------------------------------------- rights


class Deadline(Model):
    working_days: int = Field(gt=0)
    target_working_days: int | None = Field(None, gt=0)
    counted_from: Literal["receipt", "verification"] = "verification"

    @model_validator(mode="after")
    def _target_within(self) -> Deadline:
        if self.target_working_days and self.target_working_days > self.working_days:
            raise ValueError("target_working_days must not exceed working_days")
        return self


class Right(Model):
    id: Id
    kind: RightKind
    channels: IdList = []
    self_service: str = Field("", description="Where in the app the user can do it alone.")
    deadline: Deadline | None = None
    free: bool = True
    preconditions: list[Text] = []
    triggers: list[DeletionTrigger] = []
    restrict_when_retention_required: bool = False
    effect: str = ""


class RefusalGround(Model):
    id: Id
    text: Text


class Rights(Model):
    verification: str = Field("", description="How identity is verified first (X35).")
    items: list[Right] = Field(min_length=1)
    refusal_grounds: list[RefusalGround] = []
    complaint_escalation: str = Field("", description="PIPL Art. 50: where else to complain.")


# ---------------------------------------------------------------- storage, security, incidents


class Storage(Model):
    location: Literal["mainland_china", "abroad"] = "mainland_china"
    cross_border: bool = False
    cross_border_conditions: str = ""
    service_end_notice: bool = Field(True, description="X39: users told in advance.")
    on_service_end: RetentionAction = RetentionAction.DELETE_OR_ANONYMISE


class Security(Model):
    measures: list[Text] = []


class Incident(Model):
    notify_via: list[Text] = ["推送通知"]
    public_notice_when_impractical: bool = True
    report_to_regulator: bool = True
    contacts: IdList = []


class Waiver(Model):
    """A known gap, accepted on purpose: one rule, for one entity, with a reason.

    The finding stays visible as a warning that cites the law and the reason, so a
    declaration can state a source policy as it is without pretending it complies.
    """

    rule: Text = Field(description="The rule code, e.g. separate-consent (see docs).")
    id: Id = Field(description="The id of the scenario, recipient or SDK it applies to.")
    reason: Text


# ---------------------------------------------------------------- the declaration


class Declaration(Model):
    """Everything an app declares about how it processes PI."""

    yinsi: Literal[1] = Field(1, description="Declaration format version.")
    app: App
    policy: PolicyInfo
    contacts: Contacts
    taxonomy: TaxonomyExtension = TaxonomyExtension()
    consents: list[ConsentItem] = Field(min_length=1)
    retention: list[RetentionRule] = []
    scenarios: list[Scenario] = Field(min_length=1)
    recipients: list[Recipient] = []
    sdks: list[Sdk] = []
    h5_links: list[H5Link] = []
    tracking: list[TrackingItem] = []
    rights: Rights
    storage: Storage = Storage()
    security: Security = Security()
    incident: Incident = Incident()
    waivers: list[Waiver] = []
