"""What every lint rule needs: the extended taxonomy, the declared ids, and helpers that
report an unknown or duplicate id with a "did you mean" suggestion.

Built once per run of the rules (:func:`yinsi.declaration.lint.run.run`) and handed to
each rule, so the rules stay plain functions of ``(context) -> findings``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from yinsi.declaration.errors import Issue, Path
from yinsi.declaration.schema import Declaration
from yinsi.declaration.view import taxonomy_of
from yinsi.taxonomy import Taxonomy

ELEMENT_HINT = "declare it under taxonomy.elements"
PURPOSE_HINT = "declare it under taxonomy.purposes"


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


def unique(items: Sequence[_HasId], path: Path, what: str) -> Iterator[Issue]:
    """An error for each item whose id an earlier item of the same list already uses."""
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.id in first:
            yield Issue(
                (*path, i, "id"),
                f"duplicate {what} id {item.id!r} (first used at {path[-1]}[{first[item.id]}])",
            )
        else:
            first[item.id] = i


def unknown(kind: str, name: str, known: Iterable[str], hint: str) -> str:
    """The message for an id nobody declared, suggesting the closest declared one."""
    close = difflib.get_close_matches(name, list(known), n=1)
    suggestion = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r}{suggestion} ({hint})"


@dataclass(frozen=True, slots=True)
class CheckContext:
    """A declaration with the lookups its rules share, computed once."""

    d: Declaration
    tax: Taxonomy
    consent_ids: set[str]
    retention_ids: set[str]
    recipient_ids: set[str]
    channel_ids: set[str]

    @classmethod
    def of(cls, d: Declaration) -> CheckContext:
        return cls(
            d=d,
            tax=taxonomy_of(d),
            consent_ids={c.id for c in d.consents},
            retention_ids={r.id for r in d.retention},
            recipient_ids={r.id for r in d.recipients},
            channel_ids={c.id for c in d.contacts.channels},
        )

    def elements(self, ids: Iterable[str], path: Path) -> Iterator[Issue]:
        """An error for each element id the taxonomy does not know."""
        for i, eid in enumerate(ids):
            if eid not in self.tax.elements:
                yield Issue((*path, i), unknown("element", eid, self.tax.elements, ELEMENT_HINT))

    def purposes(self, ids: Iterable[str], path: Path) -> Iterator[Issue]:
        """An error for each purpose id the taxonomy does not know."""
        for i, pid in enumerate(ids):
            if pid not in self.tax.purposes:
                yield Issue((*path, i), unknown("purpose", pid, self.tax.purposes, PURPOSE_HINT))

    def ref(
        self, value: str | None, known: set[str], kind: str, path: Path, where: str
    ) -> Iterator[Issue]:
        """An error when ``value`` is set but not among the ids defined under ``where``."""
        if value is not None and value not in known:
            yield Issue(path, unknown(kind, value, known, f"define it under {where}"))

    def consent(self, value: str | None, path: Path) -> Iterator[Issue]:
        """:meth:`ref` for a consent id."""
        return self.ref(value, self.consent_ids, "consent", path, "consents")

    def channel(self, value: str, path: Path) -> Iterator[Issue]:
        """:meth:`ref` for a contact channel id."""
        return self.ref(value, self.channel_ids, "contact channel", path, "contacts.channels")

    def retention(self, value: str | None, path: Path) -> Iterator[Issue]:
        """:meth:`ref` for a retention rule id."""
        return self.ref(value, self.retention_ids, "retention rule", path, "retention")
