"""The declaration sections that say who the app is: app and handler, contacts, the
policy document's version and change rules, and the app's taxonomy extensions.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AnyUrl, Field

from yinsi.declaration.schema_notice import Minors, PolicyChange
from yinsi.declaration.schema_types import Id, IdList, Model, Text
from yinsi.taxonomy import DeadlineQualifier, DeclineMode, FinancialGrade


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
    reply_qualifier: DeadlineQualifier | None = Field(
        None, description="A hedge the policy puts on the reply time (一般情况下, 原则上)."
    )


class PolicyInfo(Model):
    """The policy document's identity and change rules (X01, X02, X03, W19)."""

    title: Text
    version: Text
    updated: date
    effective: date
    effective_on_acceptance: bool = Field(
        False, description="W19: a new version takes effect for a user only once accepted."
    )
    changes_need_consent: bool | None = Field(
        None,
        description="Whether a changed policy is accepted anew before it applies; omit when "
        "the policy does not say (the policy then says nothing about it).",
    )
    continued_use_as_acceptance: bool | None = Field(
        None,
        description="Whether the policy says continuing to use the service after a change "
        "is deemed acceptance of it (如果您继续使用…则视为您接受…); omit when it does not say. "
        "Lint rule `continued-use-acceptance`: this is not consent to a change of purpose, "
        "method or kinds of PI (PIPL Art. 14 para. 2).",
    )
    change_commitments: list[Text] = Field(
        default_factory=list,
        description="What the policy promises about its changes, in its words (我来数科 （七）2 "
        '"未经您明确同意，本平台不会限制您…所应享有的权利"); rendered in chapter 8.',
    )
    drafted_under: str = Field(
        "",
        description="The basis the policy says it was drafted under, in its words (我来数科 "
        '引言 "根据现行法规及政策"); written, it replaces the template\'s "依据《个人信息保护法》'
        '…等法律、行政法规制定".',
    )
    on_decline: DeclineMode | None = Field(
        None,
        description="What a user who declines a new version may still do; omit when the "
        "policy does not say (yinsi then offers browse-only, but the policy says nothing).",
    )
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
    minors: Minors | None = Field(
        None, description="Minors in tiers: under 14, children's rules, closed functions."
    )
    changes: list[PolicyChange] = Field(
        default_factory=list, description="The change log (更新记录), newest first or last."
    )
    archive_url: AnyUrl | None = Field(
        None, description="Where earlier versions of the policy are published (历史版本)."
    )
