"""The declaration schema: one YAML file per app, the single source of truth.

Types are checked here (pydantic v2); cross-references between sections are checked in
:mod:`yinsi.declaration.checks`, so every problem carries a path into the document that
the loader turns into ``FILE:LINE:COL``. ``yinsi schema`` prints this as JSON Schema.

The section models live in sibling modules, one per part of the document:
:mod:`.schema_types` (ids, texts, durations, the base model), :mod:`.schema_app` (app,
handler, contacts, policy, taxonomy extensions), :mod:`.schema_processing` (consents,
retention, scenarios, recipients, SDKs, H5 pages, tracking) and
:mod:`.schema_obligations` (rights, storage, security, incidents). This module
assembles them into :class:`Declaration` and re-exports every model, so
``from yinsi.declaration.schema import …`` keeps working for all of them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from yinsi.declaration.schema_app import (
    App,
    CategoryDef,
    ContactChannel,
    Contacts,
    ElementDef,
    Handler,
    PermissionDef,
    PiProtectionOfficer,
    PolicyInfo,
    PurposeDef,
    TaxonomyExtension,
)
from yinsi.declaration.schema_inventory import (
    AppPermission,
    InventoryGroup,
    PublishedList,
    PublishedLists,
)
from yinsi.declaration.schema_notice import (
    DocumentLink,
    JointHandler,
    Minors,
    OnwardTransfer,
    PolicyChange,
)
from yinsi.declaration.schema_obligations import (
    Deadline,
    Incident,
    RefusalGround,
    Right,
    Rights,
    Security,
    Storage,
)
from yinsi.declaration.schema_processing import (
    CallLimit,
    ConsentItem,
    ElementUse,
    H5Link,
    PermissionUse,
    Recipient,
    RetentionRule,
    Scenario,
    Sdk,
    SdkNotes,
    TrackingItem,
)
from yinsi.declaration.schema_types import (
    Duration,
    DurationField,
    Id,
    IdList,
    Model,
    Text,
)
from yinsi.taxonomy import RightKind

__all__ = [
    "App",
    "AppPermission",
    "CallLimit",
    "CategoryDef",
    "ConsentItem",
    "ContactChannel",
    "Contacts",
    "Deadline",
    "Declaration",
    "DocumentLink",
    "Duration",
    "DurationField",
    "ElementDef",
    "ElementUse",
    "H5Link",
    "Handler",
    "Id",
    "IdList",
    "Incident",
    "InventoryGroup",
    "JointHandler",
    "Minors",
    "Model",
    "OnwardTransfer",
    "PermissionDef",
    "PermissionUse",
    "PiProtectionOfficer",
    "PolicyChange",
    "PolicyInfo",
    "PublishedList",
    "PublishedLists",
    "PurposeDef",
    "Recipient",
    "RefusalGround",
    "RetentionRule",
    "Right",
    "RightKind",
    "Rights",
    "Scenario",
    "Sdk",
    "SdkNotes",
    "Security",
    "Storage",
    "TaxonomyExtension",
    "Text",
    "TrackingItem",
    "Waiver",
]


class Waiver(Model):
    """A known gap, accepted on purpose: one rule, for one entity, with a reason.

    The finding stays visible as a warning that cites the law and the reason, so a
    declaration can state a source policy as it is without pretending it complies.
    """

    rule: Text = Field(description="The rule code, e.g. separate-consent (see docs).")
    id: Id = Field(description="The id of the scenario, recipient or SDK it applies to.")
    reason: Text


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
    sdk_notes: SdkNotes = Field(
        SdkNotes(), description="What the policy says about its SDKs as a whole, its words."
    )
    h5_links: list[H5Link] = []
    tracking: list[TrackingItem] = []
    pi_inventory: list[InventoryGroup] = Field(
        default_factory=list,
        description="PI the policy lists by category without naming the scenario (清单).",
    )
    app_permissions: list[AppPermission] = Field(
        default_factory=list,
        description="Device permissions with purpose and timing, not tied to a scenario.",
    )
    published_elsewhere: PublishedLists = Field(
        default_factory=PublishedLists,
        description="Lists published outside the policy (SDKs, sharing, permissions, PI "
        "collected): the policy says where they are.",
    )
    joint_handlers: list[JointHandler] = Field(
        default_factory=list,
        description="Handlers deciding purposes and means with us (共同处理, PIPL Art. 20). "
        "Written as [], the policy says there are none.",
    )
    rights: Rights
    storage: Storage = Storage()
    security: Security = Security()
    incident: Incident = Incident()
    waivers: list[Waiver] = []
