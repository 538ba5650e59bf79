"""Retention sweeps (X38, W13): which rows of which dataset have outlived their rule, today.

A dataset of the data map with ``retention: {rule, since}`` keeps a row for the rule's
``period`` after the date in column ``since``. :func:`plan` turns the data map, the
declaration's rules, the legal holds and ``today`` into one :class:`SweepPlan` per such
dataset: the inputs of the SQL predicate an adapter runs in batches

    since < cutoff  AND NOT (held by a hold of the dataset)  AND key NOT IN excluded

and what to do with the rows found (delete them, or apply each field's erase strategy).

Holds mean what they mean to a rights request (:func:`yinsi.rights.walk.hold_reasons`): a
hold keeps a row while its ``while`` condition is true, while its ``since`` column is
empty (the relationship has not ended), or until the rule's minimum (else its period) has
run from ``since``. Legal holds keep every row of their subject (or of their dataset):
the adapter finds those rows with the rights walk and passes their keys as ``excluded``.

A table no key names the rows of (a log table with no primary key) is swept all the
same: its legally held rows are excluded by the value of the column linking them to
their person (:attr:`SweepPlan.excluded_by`: the subject column, or the parent link),
which the walk read with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from yinsi.declaration.datamap import EMPTYING, DataMap, Dataset, MappedField, walk_order
from yinsi.declaration.schema import Declaration, Duration, RetentionRule


class SweepAction(StrEnum):
    DELETE = "delete"
    """``erase: row``: the expired rows are deleted."""
    ERASE_FIELDS = "erase_fields"
    """``erase: fields``: each field's strategy (anonymise, null, …) is applied; the row stays."""


@dataclass(frozen=True, slots=True)
class HeldWhen:
    """One hold of a dataset as predicate inputs: a row is held when ``condition`` is true,
    or ``since`` is empty, or ``since`` is on or after ``held_from``."""

    rule: str
    since: str | None
    """Column; ``None``: the hold has no date."""
    held_from: date | None
    """Rows whose ``since`` is before this date are free of the hold. ``None`` with a
    ``since``: the rule has no length, so every row with that column is held."""
    condition: str | None
    """The hold's ``while`` SQL condition, as the data map writes it."""


@dataclass(frozen=True, slots=True)
class SweepPlan:
    """What a retention sweep does to one dataset today."""

    dataset: str
    store: str
    table: str
    primary_key: str | None
    """None: no key names the rows (the adapter walks them otherwise)."""
    rule: str
    rule_label: str
    period: str
    """The rule's period as written (``1m``, ``5y``)."""
    since: str
    """Column the period counts from."""
    cutoff: date
    """Rows whose ``since`` is before this date (exclusive, at midnight) are expired."""
    action: SweepAction
    fields: tuple[MappedField, ...] = ()
    """For :attr:`SweepAction.ERASE_FIELDS`: the fields and their strategies."""
    holds: tuple[HeldWhen, ...] = ()
    excluded: frozenset[str] = field(default_factory=frozenset)
    """Values of :attr:`excluded_by` (as text) of the rows kept by legal holds."""
    excluded_by: str = ""
    """The column :attr:`excluded` lists values of: the primary key, or for a table
    without one the column linking a row to its person (subject or parent link)."""

    @property
    def empties(self) -> bool:
        """A field erasure whose every strategy only empties (:data:`EMPTYING`): a row it
        is done with holds ``NULL`` in every field."""
        return self.action is SweepAction.ERASE_FIELDS and all(
            f.erase in EMPTYING for f in self.fields
        )


class RetentionPlanError(ValueError):
    """The data map and declaration do not describe a sweep (unknown rule, no period)."""


def last_expired_day(length: Duration, today: date) -> date:
    """The latest date ``d`` with ``length.after(d) <= today``: a row dated ``d`` or earlier
    has outlived ``length`` today. The inverse of :meth:`Duration.after`, month ends
    included (today 28 Feb, 1 month: 31 Jan, since 31 Jan + 1m = 28 Feb)."""
    if length.unit in ("days", "weeks"):
        return today - timedelta(days=length.amount * (7 if length.unit == "weeks" else 1))
    months = length.amount * (12 if length.unit == "years" else 1)
    year, month = divmod(today.month - 1 - months, 12)
    day = date(today.year + year, month + 1, 1)
    # The first day of the month `months` back always qualifies; walk on while the next does.
    while length.after(day + timedelta(days=1)) <= today:
        day += timedelta(days=1)
    return day


def cutoff(length: Duration, today: date) -> date:
    """Rows whose date is before this day have outlived ``length`` today (exclusive)."""
    return last_expired_day(length, today) + timedelta(days=1)


def plan(
    data_map: DataMap,
    declaration: Declaration,
    today: date,
    *,
    excluded: Mapping[str, Set[str]] | None = None,
) -> list[SweepPlan]:
    """One plan per dataset with a ``retention`` reference, children before parents.

    ``excluded``: per dataset id, the keys legal holds keep (for a table without a
    primary key, the values of its link column, :attr:`SweepPlan.excluded_by`). Raises
    :class:`RetentionPlanError` for a rule the declaration lacks or one without a period.
    """
    rules = {r.id: r for r in declaration.retention}
    plans: list[SweepPlan] = []
    for ds in reversed(walk_order(data_map)):
        ref = ds.retention
        if ref is None:
            continue
        rule = _rule(rules, ref.rule, ds.id)
        if rule.period is None:
            raise RetentionPlanError(
                f"dataset {ds.id!r}: retention rule {rule.id!r} has no period; give it one "
                "in the declaration or name another rule"
            )
        if ds.table is None or not excluded_by(ds):
            raise RetentionPlanError(
                f"dataset {ds.id!r}: retention needs a SQL table with a primary key or a "
                "link to its person (`subject` or `parent`)"
            )
        holds = tuple(
            _held_when(_rule(rules, h.rule, ds.id), h.since, h.while_, today) for h in ds.holds
        )
        plans.append(
            SweepPlan(
                dataset=ds.id,
                store=ds.store,
                table=ds.table,
                primary_key=ds.primary_key,
                rule=rule.id,
                rule_label=rule.label,
                period=str(rule.period),
                since=ref.since,
                cutoff=cutoff(rule.period, today),
                action=SweepAction.DELETE if ds.erase == "row" else SweepAction.ERASE_FIELDS,
                fields=tuple(ds.fields) if ds.erase == "fields" else (),
                holds=holds,
                excluded=frozenset((excluded or {}).get(ds.id, ())),
                excluded_by=excluded_by(ds),
            )
        )
    return plans


def excluded_by(ds: Dataset) -> str:
    """The column a sweep leaves legally held rows of ``ds`` out by: its primary key, or
    for a table without one the column linking a row to its person ("" if none)."""
    link = ds.subject or ds.parent
    return ds.primary_key or (link.column if link is not None else "")


def _rule(rules: Mapping[str, RetentionRule], rule_id: str, dataset: str) -> RetentionRule:
    rule = rules.get(rule_id)
    if rule is None:
        raise RetentionPlanError(
            f"dataset {dataset!r} names retention rule {rule_id!r}, which the declaration "
            f"lacks; rules: {', '.join(sorted(rules))}"
        )
    return rule


def _held_when(
    rule: RetentionRule, since: str | None, condition: str | None, today: date
) -> HeldWhen:
    length = rule.minimum or rule.period
    held_from = None if since is None or length is None else cutoff(length, today)
    return HeldWhen(rule.id, since, held_from, condition)


MIN_BATCH = 100
"""Adaptive batches never shrink below this many keys."""
MAX_BATCH = 500_000
"""Adaptive batches never grow beyond this many keys (rows locked at once)."""


def next_batch_size(size: int, elapsed: float, target: float) -> int:
    """The size of the next batch, aiming at ``target`` seconds per batch.

    ``size`` keys took ``elapsed`` seconds; the next batch scales by ``target / elapsed``,
    at most 8x up (a run reaches its pace in a few batches) and 4x down in one step, within
    [:data:`MIN_BATCH`, :data:`MAX_BATCH`].
    """
    if target <= 0:
        raise ValueError("the target time per batch must be positive")
    factor = 8.0 if elapsed <= 0 else min(8.0, max(0.25, target / elapsed))
    return max(MIN_BATCH, min(MAX_BATCH, int(size * factor)))


def is_expired(plan: SweepPlan, since: date | None) -> bool:
    """The row's ``since`` date has outlived the rule (``None``: never)."""
    return since is not None and since < plan.cutoff
