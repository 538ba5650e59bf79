"""Declaration sections for what large policies say without tying it to a scenario.

Issue 13, Build 4 (A). A real policy often lists the PI it holds by category, points to a
list published elsewhere (an SDK list, a sharing list behind a link), publishes the app's
device permissions in one table, keeps some elements for their own period (or not at
all), and leaves some topics unsaid. These models let a declaration state exactly that,
so an author need not invent scenario × element pairs:

- :class:`InventoryGroup` (``pi_inventory``): elements the policy lists, with purposes,
  collection methods and source only where the policy states them;
- :class:`PublishedLists` (``published_elsewhere``): lists published behind a link or a
  path in the app; the policy then says where, and claims nothing about completeness;
- :class:`AppPermission` (``app_permissions``): device permissions with their purpose and
  when they are asked, not tied to a scenario;
- ``not_stated`` (:func:`lift_not_stated`): ``elements: not_stated`` on a recipient or an
  SDK, an explicit "the source does not say", which renders nothing and is a lint gap.

Per-element retention (``retention[].elements``, ``not_retained``, ``kept_as``) lives on
:class:`~yinsi.declaration.schema_processing.RetentionRule`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AnyUrl, Field, model_validator

from yinsi.declaration.schema_types import Id, IdList, Model, Text
from yinsi.taxonomy import CollectionMethod

__all__ = [
    "NOT_STATED",
    "AppPermission",
    "InventoryGroup",
    "KeptAs",
    "NotStatedTopic",
    "PermissionWhen",
    "PublishedList",
    "PublishedLists",
    "lift_not_stated",
]

NOT_STATED = "not_stated"
"""The value that says "the source policy does not state this" (``elements: not_stated``)."""

NotStatedTopic = Literal["elements", "purposes", "methods"]
"""The fields that may be declared ``not_stated`` (``methods``: a scenario's only)."""

PermissionWhen = Literal["on_first_use", "on_use", "at_login", "at_launch", "necessary_steps"]
"""When a device permission is asked (the same words as a scenario's permissions)."""

KeptAs = Literal["digest"]
"""What is kept instead of the element itself: ``digest`` (摘要, e.g. of a face image)."""


def lift_not_stated(data: Any, topics: tuple[str, ...]) -> Any:
    """Before validation: ``<topic>: not_stated`` becomes ``<topic>: []`` plus ``<topic>``
    in ``not_stated``, so code reading the list sees no element and lint sees the gap."""
    if not isinstance(data, dict):
        return data
    lifted = [t for t in topics if data.get(t) == NOT_STATED]
    if not lifted:
        return data
    already = data.get("not_stated") or []
    if not isinstance(already, list):
        return data  # a wrong type: let validation report it
    out = {**data, **{key: [] for key in lifted}}
    out["not_stated"] = list(dict.fromkeys([*already, *lifted]))
    return out


class InventoryGroup(Model):
    """PI the policy lists as held, by category, without naming the scenario (清单).

    ``label`` is the category as the policy words it (身份信息, 设备信息). ``purposes``,
    ``methods`` and ``source`` are said only when written; left out, the policy says
    nothing about them and ``yinsi lint`` reports the missing purpose (rule
    ``inventory-purpose``) unless a scenario collects the same elements.
    """

    id: Id
    label: Text = Field(description="The category as the policy names it, e.g. 身份信息.")
    elements: IdList = Field(min_length=1)
    purposes: IdList = Field(
        default_factory=list, description="Purposes, only where the policy states them."
    )
    methods: list[CollectionMethod] = Field(
        default_factory=list, description="How the PI is collected, where the policy says."
    )
    source: str = Field("", description="Where PI from third parties comes from, its words.")
    note: str = Field("", description="What else the policy says about this PI, published.")


class PublishedList(Model):
    """A list the policy publishes elsewhere: its title, and a link or a path in the app."""

    title: Text = Field(description="The list's title, e.g. 第三方SDK目录 (without 《》).")
    url: AnyUrl | None = Field(None, description="Where the list is published.")
    where: str = Field("", description="Where in the app, e.g. 我的-设置-隐私-第三方信息共享清单.")

    @model_validator(mode="after")
    def _somewhere(self) -> PublishedList:
        if self.url is None and not self.where.strip():
            raise ValueError(f"published list {self.title!r}: give its `url` or `where` in the app")
        return self


class PublishedLists(Model):
    """Lists the policy publishes outside its own text (网络数据安全管理条例 Art. 21 para. 2:
    "以清单等形式予以列明"). Each, when written, is said in its section; nothing is said
    about whether the lists in the policy itself are complete."""

    sdks: PublishedList | None = Field(None, description="The third-party SDK list.")
    recipients: PublishedList | None = Field(
        None, description="The list of PI provided to other handlers (共享清单)."
    )
    permissions: PublishedList | None = Field(None, description="The device permission list.")
    collected: PublishedList | None = Field(
        None, description="The list of PI collected (已收集个人信息清单)."
    )


class AppPermission(Model):
    """A device permission the app asks for, with its purpose, not tied to a scenario."""

    permission: Id
    purpose: str = Field("", description="What the permission is used for, in the policy's words.")
    when: PermissionWhen | None = Field(
        None, description="When it is asked; omit when the policy does not say."
    )
    required: bool | None = Field(
        None, description="Whether the service needs it; omit when the policy does not say."
    )
    fallback: str = Field("", description="What happens if the user refuses, its words.")
    note: str = ""
