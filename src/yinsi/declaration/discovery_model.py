"""What discovery learns about a store (issue 17): plain facts an adapter gathers.

The SQL introspector and the Redis scanner (:mod:`yinsi.connectors.introspect`) fill these;
:mod:`yinsi.declaration.discovery` turns them into a draft data map. ``samples`` hold a
bounded random sample of a column's values, in memory only, for the value detectors and
the overlap of references: they are left out of ``repr`` and never written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

TYPE_FAMILIES = ("integer", "decimal", "text", "json", "date", "binary", "other")


@dataclass(frozen=True, slots=True)
class ColumnFacts:
    name: str
    family: str = "text"
    """One of :data:`TYPE_FAMILIES`."""
    comment: str = ""
    samples: tuple[str, ...] = field(default=(), repr=False)
    nullable: bool = True


@dataclass(frozen=True, slots=True)
class ForeignKeyFacts:
    columns: tuple[str, ...]
    table: str
    references: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TableFacts:
    store: str
    name: str
    columns: tuple[ColumnFacts, ...]
    primary_key: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKeyFacts, ...] = ()
    comment: str = ""

    @property
    def ref(self) -> str:
        return f"{self.store}.{self.name}"

    def column(self, name: str) -> ColumnFacts | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def keys(self) -> tuple[str, ...]:
        """Single-column keys: the primary key first, then unique columns; not a binary
        one (``uid BINARY(16)``): no subject id or record key is written as its bytes."""
        found = [*self.primary_key[:1]] if len(self.primary_key) == 1 else []
        found += [u[0] for u in self.unique if len(u) == 1 and u[0] not in found]
        binary = {c.name for c in self.columns if c.family == "binary"}
        return tuple(k for k in found if k not in binary)

    @property
    def row_key(self) -> str | None:
        """The column a data map names as ``primary_key``: the primary key, else a unique key."""
        return self.keys[0] if self.keys else None


@dataclass(frozen=True, slots=True)
class KeyPatternFacts:
    """Redis keys of one shape: ``pattern`` has ``{}`` where the keys differ."""

    store: str
    pattern: str
    type: str
    keys: int
    ids: tuple[str, ...] = field(default=(), repr=False)
    fields: tuple[ColumnFacts, ...] = ()


@dataclass(frozen=True, slots=True)
class ColumnGuess:
    """``column`` holds ``element``: a guess with its confidence and evidence (no value)."""

    column: str
    element: str
    confidence: float
    evidence: str
    format: str | None = None
    """The values' format when the element alone does not tell it (a contact's phone
    column: ``phone_cn``), so a correction knows which column a value is for."""
    not_null: bool = False
    """The column is NOT NULL: emptying it (``erase: null``) would be refused."""


@dataclass(frozen=True, slots=True)
class LinkGuess:
    """``table.column`` holds the values of ``parent.parent_column``."""

    table: str
    column: str
    parent: str
    parent_column: str
    confidence: float
    evidence: str


ValueClassifier = Callable[[Sequence[str]], Sequence[tuple[str, float, str]]]
"""Sampled values → ``(element, share, evidence)`` best first; the evidence names no value."""

Overlap = Callable[[TableFacts, str, TableFacts, str], tuple[int, int] | None]
"""``(child, column, parent, key)`` → ``(found, sampled)``: how many of the child column's
distinct sampled values the parent key holds; ``None`` when it cannot be measured."""
