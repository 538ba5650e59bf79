"""Resolve the declaration's ids to the words a reader sees.

Every element label goes through :meth:`Lookup.element`, so a sensitive element is
starred wherever it appears (X05). Unknown ids (a declaration built without the loader's
checks) fall back to the id itself rather than failing the render.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from yinsi.declaration.schema import (
    ConsentItem,
    ContactChannel,
    Declaration,
    ElementUse,
    Recipient,
    RetentionRule,
)
from yinsi.declaration.view import taxonomy_of
from yinsi.policy.text import Md, clause, escape, join, star
from yinsi.taxonomy import Taxonomy

__all__ = ["Lookup"]


@dataclass(frozen=True)
class Lookup:
    declaration: Declaration
    taxonomy: Taxonomy
    consents: Mapping[str, ConsentItem]
    retention: Mapping[str, RetentionRule]
    recipients: Mapping[str, Recipient]
    channels: Mapping[str, ContactChannel]

    @classmethod
    def of(cls, declaration: Declaration) -> Lookup:
        return cls(
            declaration,
            taxonomy_of(declaration),
            {c.id: c for c in declaration.consents},
            {r.id: r for r in declaration.retention},
            {r.id: r for r in declaration.recipients},
            {c.id: c for c in declaration.contacts.channels},
        )

    # ------------------------------------------------------------ elements

    def is_sensitive(self, element_id: str) -> bool:
        return self.taxonomy.is_sensitive(element_id)

    def label(self, element_id: str) -> str:
        element = self.taxonomy.elements.get(element_id)
        return element.label if element else element_id

    def category(self, element_id: str) -> str:
        element = self.taxonomy.elements.get(element_id)
        return element.category if element else ""

    def element(self, element_id: str, note: str = "") -> Md:
        """The label, ``\\*`` if sensitive, and a qualifying note in brackets."""
        label = self.label(element_id)
        text = star(label) if self.is_sensitive(element_id) else escape(label)
        return Md(text + escape(f"（{clause(note)}）")) if clause(note) else text

    def elements(self, ids: Iterable[str]) -> Md:
        return join(self.element(i) for i in ids)

    def element_uses(self, uses: Iterable[ElementUse]) -> Md:
        """Scenario elements; an optional one is marked ``（如有）``, after its note if any."""
        return join(
            self.element(
                u.id, "，".join(filter(None, [clause(u.note), "" if u.required else "如有"]))
            )
            for u in uses
        )

    # ------------------------------------------------------------ other ids

    def purpose(self, purpose_id: str) -> str:
        purpose = self.taxonomy.purposes.get(purpose_id)
        return purpose.label if purpose else purpose_id

    def purposes(self, ids: Iterable[str]) -> str:
        return "、".join(self.purpose(i) for i in ids)

    def permission(self, permission_id: str) -> str:
        permission = self.taxonomy.permissions.get(permission_id)
        return permission.label if permission else permission_id

    def consent(self, consent_id: str) -> str:
        item = self.consents.get(consent_id)
        return clause(item.label) if item else consent_id

    def channel(self, channel_id: str) -> str:
        channel = self.channels.get(channel_id)
        if channel is None:
            return channel_id
        if channel.value in channel.label:
            return channel.label
        return f"{channel.label}（{channel.value}）"

    def channel_list(self, ids: Iterable[str]) -> str:
        return "、".join(self.channel(i) for i in ids)

    def recipient_names(self, ids: Iterable[str]) -> str:
        """Recipient names contain 、 themselves, so they are separated by ；."""
        return "；".join(self.recipients[i].name if i in self.recipients else i for i in ids)
