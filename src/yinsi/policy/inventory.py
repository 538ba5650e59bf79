"""What a policy lists outside its scenarios, as statements (issue 13, Build 4 (A)).

- the PI inventory (``pi_inventory``): a table by category in chapter 1;
- the app's device permissions (``app_permissions``): a table in the permissions section;
- lists published elsewhere (``published_elsewhere``): one sentence where the list would
  be ("…的清单见《第三方SDK目录》（链接）"), without any claim that the lists in the
  policy itself are complete or incomplete.

Each cell says only what the declaration writes: a group without purposes shows an
empty cell (``yinsi lint`` reports it: rule ``inventory-purpose``), a permission without
``when`` says nothing about timing.
"""

from __future__ import annotations

from dataclasses import dataclass

from yinsi.declaration.schema import AppPermission, PublishedList
from yinsi.policy.lookup import Lookup
from yinsi.policy.phrases import PERMISSION_WHEN
from yinsi.policy.provenance import Statement, at, fixed, merged, said, stated
from yinsi.policy.text import clause, link, sentence

__all__ = [
    "AppPermissionRow",
    "InventoryRow",
    "InventoryView",
    "PublishedView",
    "inventory_view",
]

NOTHING = Statement("")

LEADS = {
    "sdks": "本平台接入的第三方SDK的清单见",
    "recipients": "我们向其他个人信息处理者提供个人信息的清单见",
    "permissions": "本平台App申请调用的设备权限的清单见",
    "collected": "我们收集的个人信息的清单见",
}
"""The sentence that says where each published list is (``tpl.published.<name>``)."""


@dataclass(frozen=True)
class InventoryRow:
    label: Statement
    elements: Statement
    purposes: Statement
    methods: Statement
    source: Statement
    note: Statement


@dataclass(frozen=True)
class AppPermissionRow:
    permission: Statement
    purpose: Statement
    when: Statement
    required: Statement
    fallback: Statement


@dataclass(frozen=True)
class PublishedView:
    """Where each list published elsewhere is; nothing for a list not declared."""

    sdks: Statement = NOTHING
    recipients: Statement = NOTHING
    permissions: Statement = NOTHING
    collected: Statement = NOTHING


@dataclass(frozen=True)
class InventoryView:
    rows: list[InventoryRow]
    permissions: list[AppPermissionRow]
    published: PublishedView


def _published(name: str, listed: PublishedList | None) -> Statement:
    """``本平台接入的第三方SDK的清单见《第三方SDK目录》（<url>）。``"""
    if listed is None:
        return NOTHING
    path = at("published_elsewhere", name)
    title = clause(listed.title).strip("《》")
    parts: list[str] = [
        fixed(LEADS[name], f"published.{name}", path, kind="fact"),
        said(f"《{title}》", f"{path}.title"),
    ]
    if listed.url is not None:
        url = Statement(link(str(listed.url)), [f"{path}.url"])
        parts += ["（", url, "）"]
    if listed.where.strip():
        parts.append(said(f"，您可以在本平台App“{clause(listed.where)}”中查看", f"{path}.where"))
    return merged([*parts, "。"])


def _rows(look: Lookup) -> list[InventoryRow]:
    rows = []
    for i, g in enumerate(look.declaration.pi_inventory):
        path = at("pi_inventory", i)
        methods = "、".join(m.label for m in g.methods)
        rows.append(
            InventoryRow(
                label=said(g.label, f"{path}.label"),
                elements=Statement(look.elements(g.elements), [f"{path}.elements"]),
                purposes=said(look.purposes(g.purposes), f"{path}.purposes"),
                methods=said(methods, f"{path}.methods"),
                source=said(clause(g.source), f"{path}.source"),
                note=said(sentence(g.note), f"{path}.note"),
            )
        )
    return rows


def _when(p: AppPermission, path: str) -> Statement:
    if p.when is None:
        return NOTHING
    tid = f"phrases.permission_when.{p.when}"
    return fixed(PERMISSION_WHEN[p.when], tid, f"{path}.when", kind="commitment")


def _required(p: AppPermission, path: str) -> Statement:
    if not stated(p, "required"):
        return NOTHING
    text = "必需" if p.required else "非必需，可拒绝"
    tid = f"permission.required.{str(p.required).lower()}"
    return fixed(text, tid, f"{path}.required", kind="fact")


def _permissions(look: Lookup) -> list[AppPermissionRow]:
    rows = []
    for i, p in enumerate(look.declaration.app_permissions):
        path = at("app_permissions", i)
        purpose = merged(
            [said(clause(p.purpose), f"{path}.purpose"), said(clause(p.note), f"{path}.note")],
            "；",
        )
        rows.append(
            AppPermissionRow(
                permission=said(look.permission(p.permission), f"{path}.permission"),
                purpose=purpose,
                when=_when(p, path),
                required=_required(p, path),
                fallback=said(clause(p.fallback), f"{path}.fallback", kind="commitment"),
            )
        )
    return rows


def inventory_view(look: Lookup) -> InventoryView:
    lists = look.declaration.published_elsewhere
    return InventoryView(
        rows=_rows(look),
        permissions=_permissions(look),
        published=PublishedView(
            sdks=_published("sdks", lists.sdks),
            recipients=_published("recipients", lists.recipients),
            permissions=_published("permissions", lists.permissions),
            collected=_published("collected", lists.collected),
        ),
    )
