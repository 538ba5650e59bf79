"""The ground truth of a seeded sample: every PI value, whose it is, and what is held.

A :class:`Cell` is one stored value: (store, dataset, record key, column or hash field).
Record keys are what a connector reports as :attr:`yinsi.rights.ports.Record.key`: the
primary key as text for SQL, the full Redis key (with the test's prefix) for Redis.

A perfect export of a subject contains exactly :meth:`Seeded.cells_of`; a perfect
erasure leaves none of :meth:`Seeded.erasable_cells` in place, keeps
:meth:`Seeded.held_cells` unchanged, and changes no cell of anybody else
(:meth:`Seeded.cells_of` of the other users and :attr:`Seeded.others`).

Compare cells, not bare values: a held contract keeps the borrower's name and ID number,
the same values the erased ``users`` row loses. Values are as the stores return them
(``Decimal``, ``date``, ``datetime``, ``int``, ``str``; Redis values are ``str``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType


@dataclass(frozen=True, slots=True, order=True)
class Cell:
    store: str
    dataset: str
    key: str
    """Primary key as text (SQL) or the full Redis key."""
    name: str
    """Column (SQL) or hash field (Redis; ``value`` for a string key)."""

    @property
    def record(self) -> tuple[str, str]:
        """``(dataset, key)``: the record the cell belongs to."""
        return self.dataset, self.key


class Profile(StrEnum):
    """What kind of customer a seeded user is; users cycle through the five in order."""

    OUTSTANDING = "outstanding"
    """One loan not yet repaid: held while outstanding (W16 refuses cancellation)."""
    SETTLED_RECENTLY = "settled_recently"
    """One loan settled about 2 years ago: held, the 5-year period still runs."""
    SETTLED_LONG_AGO = "settled_long_ago"
    """One loan settled about 6 years ago, account cancelled: nothing held."""
    NO_LOAN = "no_loan"
    """Registered, never borrowed."""
    MIXED = "mixed"
    """One loan of each kind above: some records held, some not."""


@dataclass(frozen=True, slots=True)
class Subject:
    """A seeded user (the subject of a rights request) and the identities yinsi knows."""

    user_id: str
    profile: Profile
    name: str
    mobile_number: str
    id_number: str
    phone_hash: str
    id_number_hash: str
    cancelled: bool

    @property
    def identities(self) -> dict[str, str]:
        """The data map's identities of this subject."""
        return {
            "user_id": self.user_id,
            "phone_hash": self.phone_hash,
            "id_number_hash": self.id_number_hash,
        }


@dataclass(frozen=True, slots=True)
class HeldRecord:
    """A record kept despite erasure, why and until when (``None``: while outstanding)."""

    store: str
    dataset: str
    key: str
    rule: str
    """The declaration's retention rule, e.g. ``account_data``."""
    reason: str
    until: date | None

    @property
    def record(self) -> tuple[str, str]:
        return self.dataset, self.key


@dataclass(frozen=True)
class Seeded:
    """What :func:`yinsi_demo.seed` put in the stores."""

    today: date
    redis_prefix: str
    identity_key: bytes
    """The app's HMAC key of :func:`~yinsi_demo.lending.identity_hash`."""
    subjects: Mapping[str, Subject]
    """By user id, in seeding order."""
    counts: Mapping[tuple[str, str], int]
    """Records per ``(store, dataset)``, every dataset listed (0 if empty)."""
    cells: Mapping[str, Mapping[Cell, object]] = field(repr=False)
    """By user id: every PI value seeded for that user (empty if seeded without truth)."""
    others: Mapping[Cell, object] = field(repr=False)
    """PI of people who are not users (marketing leads, SMS codes of registrations
    in progress): no request of any user may read or change it."""
    held: Mapping[str, tuple[HeldRecord, ...]]
    """By user id: the records a deletion must keep (restricted)."""

    def subject(self, user_id: str) -> Subject:
        try:
            return self.subjects[user_id]
        except KeyError:
            raise KeyError(
                f"no seeded user {user_id!r}; users: {', '.join(list(self.subjects)[:5])}…"
            ) from None

    def of(self, profile: Profile) -> list[Subject]:
        """The seeded users of one profile."""
        return [s for s in self.subjects.values() if s.profile is profile]

    def cells_of(self, user_id: str) -> Mapping[Cell, object]:
        """Every PI value seeded for the user: what a perfect export contains."""
        self.subject(user_id)
        return self.cells.get(user_id, MappingProxyType({}))

    def held_records(self, user_id: str) -> set[tuple[str, str]]:
        return {h.record for h in self.held.get(user_id, ())}

    def held_cells(self, user_id: str) -> dict[Cell, object]:
        """The user's PI in held records: kept, unchanged, by a deletion."""
        held = self.held_records(user_id)
        return {c: v for c, v in self.cells_of(user_id).items() if c.record in held}

    def erasable_cells(self, user_id: str) -> dict[Cell, object]:
        """The user's PI a deletion must remove (delete, null, mask, hash, …)."""
        held = self.held_records(user_id)
        return {c: v for c, v in self.cells_of(user_id).items() if c.record not in held}

    def all_cells(self) -> dict[Cell, object]:
        """Every PI value in the stores, of users and of others."""
        merged: dict[Cell, object] = dict(self.others)
        for cells in self.cells.values():
            merged.update(cells)
        return merged

    def owner(self, cell: Cell) -> str | None:
        """The user id whose PI the cell is; ``None`` for a non-user's."""
        return self._owners.get(cell)

    def unique_values(self, user_id: str) -> set[str]:
        """The user's text values that nobody else's cells hold (names can repeat
        between people; phones, ID numbers, cards, device ids never do). If one of these
        turns up in another user's export, that export leaked this user's PI."""
        self.subject(user_id)
        return {
            v
            for v in (str(x) for x in self.cells_of(user_id).values())
            if self._holders.get(v) == {user_id}
        }

    @cached_property
    def _owners(self) -> dict[Cell, str]:
        return {c: uid for uid, cells in self.cells.items() for c in cells}

    @cached_property
    def _holders(self) -> dict[str, set[str]]:
        holders: dict[str, set[str]] = {}
        for uid, cells in self.cells.items():
            for value in cells.values():
                holders.setdefault(str(value), set()).add(uid)
        for value in self.others.values():
            holders.setdefault(str(value), set()).add("")
        return holders
