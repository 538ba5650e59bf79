"""Declaration models real policies need beyond scenarios (issue 13, Build 4, half B):
minors in tiers, joint handlers, onward transfers by a recipient, and the policy's change
log. Every field is optional and no default states anything: a field left out renders
nothing (docs/declaration-guide.md shows each with the sentence it renders).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AnyUrl, Field

from yinsi.declaration.schema_types import Id, IdList, Model, Text
from yinsi.taxonomy import RetentionAction

__all__ = ["DocumentLink", "JointHandler", "Minors", "OnwardTransfer", "PolicyChange"]


class DocumentLink(Model):
    """Another document the policy points to, by its title and, where given, its link."""

    title: Text = Field(description="The document's title, e.g. 儿童个人信息保护规则.")
    url: AnyUrl | None = Field(None, description="Where it is published; omit if not given.")


class Minors(Model):
    """What the policy says about minors, tier by tier (PIPL Arts. 28, 31;
    网络数据安全管理条例 Arts. 21 para. 2, 22 (3)).

    ``policy.minimum_age`` says who may use the app at all; this says what the policy
    adds: children under 14 (served with a guardian's consent, or not served), a separate
    rules document for them, functions closed to minors, and what happens to a minor's PI
    found later.
    """

    under_14: Literal["guardian_consent", "not_served"] | None = Field(
        None,
        description="Children under 14: served once a parent or guardian consents "
        "(guardian_consent, PIPL Art. 31) or not served (not_served). Omit when the "
        "policy does not say.",
    )
    guardian_consent: Id | None = Field(
        None, description="The consent item (kind: guardian) through which a guardian agrees."
    )
    children_rules: DocumentLink | None = Field(
        None,
        description="The separate rules for children's PI (PIPL Art. 31 para. 2; "
        "网络数据安全管理条例 Art. 21 para. 2).",
    )
    closed_features: IdList = Field(
        default_factory=list, description="Scenarios the policy says minors may not use."
    )
    found_later: RetentionAction | None = Field(
        None,
        description="What the policy says it does with a minor's PI it finds it holds "
        "without the required consent (or at all, in an adults-only app).",
    )
    note: str = Field("", description="Anything else the policy says about minors, published.")


class OnwardTransfer(Model):
    """A recipient passing the PI on (e.g. a domestic affiliate that transfers abroad)."""

    to: Text = Field(description="Who receives it next, by name or type, as the policy says.")
    location: Literal["mainland_china", "abroad"] | None = Field(
        None, description="Where that party is; omit when the policy does not say."
    )
    country: str = Field("", description="The country or region, when abroad.")
    purposes: IdList = []
    elements: IdList = []
    note: str = ""


class JointHandler(Model):
    """Another handler that decides purposes and means together with us (PIPL Art. 20)."""

    id: Id
    name: Text
    contact: str = ""
    scenarios: IdList = Field(default_factory=list, description="The scenarios processed jointly.")
    purposes: IdList = []
    elements: IdList = []
    our_duties: str = Field("", description="What the agreement makes us responsible for.")
    their_duties: str = Field("", description="What it makes the other handler responsible for.")
    note: str = ""


class PolicyChange(Model):
    """One entry of the policy's change log (更新记录)."""

    version: Text
    date: dt.date
    summary: Text = Field(description="What changed, in the policy's words.")
