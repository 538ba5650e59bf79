"""The model of a declaration diff: one :class:`Change`, and the sections it belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

Kind = Literal["added", "removed", "changed"]
Json = Any
"""A value as ``json.dumps`` takes it: dicts, lists, strings, numbers, booleans, None."""

SECTIONS: Mapping[str, str] = {
    "app": "应用与处理者 app and handler",
    "policy": "政策信息 policy",
    "elements": "收集的个人信息 elements collected",
    "permissions": "系统权限 device permissions",
    "purposes": "处理目的 purposes",
    "scenarios": "业务场景 scenarios",
    "consents": "同意事项 consents",
    "retention": "保存期限 retention",
    "recipients": "接收方 recipients",
    "sdks": "第三方SDK sdks",
    "sdk_notes": "第三方SDK说明 sdk_notes",
    "h5_links": "第三方H5页面 h5_links",
    "tracking": "Cookie及同类技术 tracking",
    "joint_handlers": "共同处理者 joint_handlers",
    "pi_inventory": "个人信息清单 pi_inventory",
    "app_permissions": "应用权限列表 app_permissions",
    "published_elsewhere": "另行公布的清单 published_elsewhere",
    "rights": "用户权利 rights",
    "contacts": "联系方式 contacts",
    "storage": "存储地点与跨境 storage",
    "security": "安全措施 security",
    "incident": "安全事件处置 incident",
}
"""Every section a change can belong to, in report order, with its heading."""


_MIRRORED: dict[Kind, Kind] = {"added": "removed", "removed": "added", "changed": "changed"}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two declarations.

    ``key`` is the entity's id, or for one-of parts (``app``, ``policy``, the officer and
    department in ``contacts``) the top-level field; refusal grounds, which share the
    ``rights`` section with the rights, are keyed ``refusal_grounds.<id>``. ``field`` is
    the dotted path inside the entity, with list items that have ids named by id
    (``elements.face.required``); it is None for whole entities added or removed.
    """

    section: str
    key: str
    kind: Kind
    field: str | None
    old: Json
    new: Json
    material: bool
    reason: str


def mirror(change: Change) -> Change:
    """The same change seen from the other side (``material``/``reason`` kept as they are)."""
    return replace(change, kind=_MIRRORED[change.kind], old=change.new, new=change.old)
