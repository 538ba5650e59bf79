"""The bookkeeping of one seeding: rows per table, Redis writes and the ground truth.

:class:`Recorder` is what :func:`yinsi_demo.seed` and :mod:`yinsi_demo.seed_loans` write
through: every row or key it is given is noted cell by cell as its owner's PI (or a
non-user's), so :meth:`Recorder.seeded` can say exactly what a perfect export or erasure
must touch. It also holds the seeding's ``random.Random``: every value is drawn from it, in
a fixed order, so one seed always gives the same rows.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from yinsi_demo import generators as gen
from yinsi_demo.lending import CACHE, CORE, DATASETS, REDIS_STRING_FIELD, SampleDataset
from yinsi_demo.truth import Cell, HeldRecord, Seeded, Subject

HOLD_RULE = "account_data"
HOLD_YEARS = 5
"""The declaration's ``account_data`` rule: kept 5 years (here: after a loan is settled)."""

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class CacheWrite:
    """One Redis key to write: a string or a hash, expiring after ``ttl_s`` seconds."""

    key: str
    value: str | dict[str, str]
    ttl_s: int


@dataclass(slots=True)
class Loan:
    """A loan as planned, before its rows are written."""

    id: int
    status: str
    applied_at: datetime
    settled_at: date | None
    term_months: int
    amount: Decimal
    paid: int
    """Instalments repaid so far."""
    overdue_days: int


@dataclass
class Recorder:
    """Collects the rows, Redis writes and ground truth of one seeding."""

    rng: random.Random
    today: date
    prefix: str
    key: bytes
    keep_truth: bool
    with_cache: bool
    people: gen.People
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    cache: list[CacheWrite] = field(default_factory=list)
    subjects: dict[str, Subject] = field(default_factory=dict)
    cells: dict[str, dict[Cell, object]] = field(default_factory=dict)
    others: dict[Cell, object] = field(default_factory=dict)
    held: dict[str, list[HeldRecord]] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    next_id: dict[str, int] = field(default_factory=dict)
    uniques: gen.Uniques = field(init=False)
    now: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.uniques = gen.Uniques(self.rng)
        self.counts = {(ds.store, ds.id): 0 for ds in DATASETS}
        self.now = datetime.combine(self.today, time(10, 0))

    # ------------------------------------------------------------ recording
    def record(self, ds_id: str, row: dict[str, Any], owner: str | None) -> str:
        """Add a SQL row; note its PI cells as ``owner``'s (``None``: a non-user's).
        Returns the row's key (its primary key as text)."""
        ds, pk = _DATASET[ds_id], _PRIMARY_KEY[ds_id]
        if pk not in row:  # application-assigned BIGINT ids, 1, 2, 3, … per table
            row = {pk: self.new_id(ds_id), **row}
        self.rows.setdefault(ds_id, []).append(row)
        self.counts[(ds.store, ds_id)] += 1
        key = str(row[pk])
        self._cells(ds, key, row, owner)
        return key

    def cache_value(
        self, ds_id: str, identity: str, value: str | dict[str, str], ttl_s: int, owner: str | None
    ) -> None:
        """Add a Redis key of dataset ``ds_id`` for ``identity``; note its PI as ``owner``'s."""
        ds = _DATASET[ds_id]
        assert ds.key is not None
        name = ds.key[ds.key.index("{") + 1 : ds.key.index("}")]
        key = self.prefix + ds.key.replace("{" + name + "}", identity)
        self.cache.append(CacheWrite(key, value, ttl_s))
        self.counts[(CACHE, ds_id)] += 1
        fields = value if isinstance(value, dict) else {REDIS_STRING_FIELD: value}
        self._cells(ds, key, fields, owner)

    def _cells(
        self, ds: SampleDataset, key: str, values: Mapping[str, object], owner: str | None
    ) -> None:
        if not self.keep_truth:
            return
        target = self.cells.setdefault(owner, {}) if owner is not None else self.others
        for name in ds.fields:
            value = values.get(name)
            if value is not None:
                target[Cell(ds.store, ds.id, key, name)] = value

    def new_id(self, ds_id: str) -> int:
        """The next id of the table: 1, 2, 3, …"""
        n = self.next_id.get(ds_id, 0) + 1
        self.next_id[ds_id] = n
        return n

    def hold(self, uid: str, ds_id: str, key: str, loan: Loan) -> None:
        """Note that a deletion of ``uid`` must keep the record (the loan is still held)."""
        if loan.settled_at is None:
            reason, until = "借款尚未结清", None
        else:
            reason, until = "借款结清后依法保存5年", add_years(loan.settled_at, HOLD_YEARS)
        self.held.setdefault(uid, []).append(HeldRecord(CORE, ds_id, key, HOLD_RULE, reason, until))

    # ------------------------------------------------------------ time
    def at(self, day: date, *, hour: int | None = None) -> datetime:
        """A time on ``day``: ``hour`` or a random one between 8 and 22 o'clock."""
        h = self.rng.randrange(8, 23) if hour is None else hour
        return datetime.combine(day, time(h, self.rng.randrange(60), self.rng.randrange(60)))

    def days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randrange(low, high))

    # ------------------------------------------------------------ result
    def seeded(self) -> Seeded:
        """The ground truth of everything recorded (read-only views)."""
        return Seeded(
            today=self.today,
            redis_prefix=self.prefix,
            identity_key=self.key,
            subjects=MappingProxyType(self.subjects),
            counts=MappingProxyType(self.counts),
            cells=MappingProxyType(
                {uid: MappingProxyType(cells) for uid, cells in self.cells.items()}
            ),
            others=MappingProxyType(self.others),
            held=MappingProxyType({uid: tuple(h) for uid, h in self.held.items()}),
        )


_DATASET = {ds.id: ds for ds in DATASETS}
_PRIMARY_KEY = {ds.id: ds.primary_key for ds in DATASETS if ds.table is not None}


def add_years(day: date, years: int) -> date:
    """``day`` + ``years`` calendar years; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
