"""The declaration sections that say what the app processes: consents, retention rules,
scenarios, and who else receives PI (recipients, SDKs, H5 pages, tracking items).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AnyUrl, BeforeValidator, Field

from yinsi.declaration.schema_types import DurationField, Id, IdList, Model, Text
from yinsi.taxonomy import (
    CollectionMethod,
    ConsentKind,
    FunctionKind,
    LegalBasis,
    Platform,
    RecipientKind,
    RetentionAction,
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
