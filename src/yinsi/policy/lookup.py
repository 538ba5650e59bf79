"""Resolve the declaration's ids to the words a reader sees.

Every element label goes through :meth:`Lookup.element`, so a sensitive element is
starred wherever it appears (X05). Unknown ids (a declaration built without the loader's
checks) fall back to the id itself rather than failing the render. :meth:`Lookup.path`
turns an entity's id into its declaration path (``scenarios[3]``) for provenance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from yinsi.declaration.schema import (
    ConsentItem,
    ContactChannel,
    Declaration,
    ElementUse,
    Recipient,
    RetentionRule,
)
from yinsi.declaration.view import taxonomy_of
from yinsi.policy.provenance import at
from yinsi.policy.text import Md, clause, escape, join, star
from yinsi.taxonomy import Taxonomy

__all__ = ["Lookup"]

_CONDITIONAL = ("如", "若", "仅", "在")
"""A note that starts with one of these already says when the element is collected."""


def _note(use: ElementUse) -> str:
    note = clause(use.note)
    if use.required or note.startswith(_CONDITIONAL):
        return note
    return "，".join(filter(None, [note, "如有"]))


@dataclass(frozen=True)
class Lookup:
    declaration: Declaration
    taxonomy: Taxonomy
    consents: Mapping[str, ConsentItem]
    retention: Mapping[str, RetentionRule]
    recipients: Mapping[str, Recipient]
    channels: Mapping[str, ContactChannel]
    index: Mapping[tuple[str, str], int]
    """(section, id) → the entity's position in that section of the declaration."""

    @classmethod
    def of(cls, declaration: Declaration) -> Lookup:
        d = declaration
        sections: dict[str, list[Any]] = {
            "consents": d.consents,
            "retention": d.retention,
            "scenarios": d.scenarios,
            "recipients": d.recipients,
            "sdks": d.sdks,
            "h5_links": d.h5_links,
            "tracking": d.tracking,
            "contacts.channels": d.contacts.channels,
            "rights.items": d.rights.items,
            "taxonomy.elements": d.taxonomy.elements,
        }
        return cls(
            declaration,
            taxonomy_of(declaration),
            {c.id: c for c in declaration.consents},
            {r.id: r for r in declaration.retention},
            {r.id: r for r in declaration.recipients},
            {c.id: c for c in declaration.contacts.channels},
            {(name, e.id): i for name, items in sections.items() for i, e in enumerate(items)},
        )

    def path(self, section: str, entity_id: str, *rest: str | int) -> str:
        """``path("scenarios", "apply", "retention")`` → ``scenarios[3].retention``."""
        position = self.index.get((section, entity_id))
        if position is None:
            return at(section, *rest)
        return at(*section.split("."), position, *rest)

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
        """Scenario elements; an optional one is marked ``（如有）`` after its note, unless
        the note already states its condition (``如已实名``)."""
        return join(self.element(u.id, _note(u)) for u in uses)

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
        """Names joined by 、, or by ； when a name has a 、 of its own outside brackets
        (合作资金方（商业银行、消费金融公司） is one name: its 、 is inside them)."""
        names = [self.recipients[i].name if i in self.recipients else i for i in ids]
        bare = (re.sub(r"（[^（）]*）|\([^()]*\)", "", n) for n in names)
        return ("；" if any("、" in n for n in bare) else "、").join(names)
