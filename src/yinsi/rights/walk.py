"""Find a subject's records in every store: walk the data map from the subject's identities.

Datasets are read in :func:`~yinsi.declaration.datamap.walk_order`: roots by an identity
(``users.id = user_id``, ``marketing_leads.phone_hash = phone_hash``), children through
their parent link (``loans.user_id`` → ``repayments.loan_id``), Redis keys and processors
by the identities known so far. Identities a dataset ``provides`` (a phone hash read from
``users``) are added as the walk goes, so a later dataset can be found by them.

Asked for an erasure (``predicates=True``), the walk does not read the datasets whose
records nothing can hold and nothing else needs (:func:`by_predicate`): their erasure is
stated as a predicate on the subject (``WHERE user_id = :subject``, or through the parent
chain), which the store evaluates when the step runs.

Each store is read through one :meth:`~yinsi.rights.ports.Connector.session` for the
whole walk (on SQL: one connection and one transaction, not one per dataset).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date

from yinsi.declaration.datamap import DataMap, Dataset, walk_order
from yinsi.declaration.schema import RetentionRule
from yinsi.rights.ancestors import keep_ancestors
from yinsi.rights.holds import HoldKind, LegalHold, running_reason
from yinsi.rights.ports import Connector, Record
from yinsi.rights.predicates import walk_predicates


@dataclass(frozen=True, slots=True)
class HoldReason:
    """Why a record is kept: a retention rule (``rule``) or a legal hold (``hold``)."""

    dataset: str
    reason: str
    """Shown to the requester: the rule's basis or the hold's reason."""
    until: date | None
    """None: as long as the condition lasts (a loan outstanding, a hold not released)."""
    rule: str | None = None
    hold: str | None = None
    kind: HoldKind = HoldKind.LEGAL_RETENTION
    """``contract``: the relationship runs, its processing goes on and the deletion is
    deferred; ``legal_retention``: store only, restricted (PIPL Art. 47 para. 2)."""


@dataclass(slots=True)
class Found:
    """Every record of the subject per dataset, and which of them are held and why."""

    records: dict[str, list[Record]] = field(default_factory=dict)
    held: dict[str, dict[str, list[HoldReason]]] = field(default_factory=dict)
    """dataset → record key → reasons."""
    identities: dict[str, list[str]] = field(default_factory=dict)
    predicates: dict[str, list[str]] = field(default_factory=dict)
    """Datasets whose records cannot be held, to be erased by predicate (no keys): per
    dataset its parent chain up to the root matched by ``user_id`` (parent first, empty
    for a root). Filled only when asked (:func:`find` with ``predicates=True``)."""

    def erasable(self, dataset: str) -> list[str]:
        held = self.held.get(dataset, {})
        return [r.key for r in self.records.get(dataset, []) if r.key not in held]

    def held_keys(self, dataset: str) -> list[str]:
        return list(self.held.get(dataset, {}))


def _period_end(rule: RetentionRule, since: date) -> date | None:
    length = rule.minimum or rule.period
    if length is None:
        return None
    return length.after(since)


def hold_reasons(
    dataset: Dataset,
    record: Record,
    rules: Mapping[str, RetentionRule],
    legal_holds: Sequence[LegalHold],
    today: date,
) -> list[HoldReason]:
    """The reasons ``record`` must be kept today (empty: it may be erased)."""
    reasons: list[HoldReason] = []
    for hold in dataset.holds:
        rule = rules[hold.rule]
        facts = record.holds.get(hold.rule)
        if facts is None:
            continue
        length = rule.minimum or rule.period
        if facts.condition or (hold.since is not None and facts.since is None):
            kind = HoldKind(hold.kind or HoldKind.CONTRACT)
            why = running_reason(rule.label, kind)
            reasons.append(HoldReason(dataset.id, why, None, rule=rule.id, kind=kind))
        elif facts.since is not None:
            end = _period_end(rule, facts.since)
            if end is None or today < end:
                span = f"（{length.label}）" if length is not None else ""
                why = f"“{rule.label}”的法定或约定保存期限{span}未届满"
                reasons.append(HoldReason(dataset.id, why, end, rule=rule.id))
    for legal in legal_holds:
        if legal.active(today) and legal.dataset in (None, dataset.id):
            reasons.append(HoldReason(dataset.id, legal.reason, legal.until, hold=legal.id))
    return reasons


def _match(ds: Dataset, data_map: DataMap, found: Found) -> dict[str, list[str]]:
    if ds.table is not None and ds.subject is not None:
        return {ds.subject.column: found.identities.get(ds.subject.identity, [])}
    if ds.table is not None and ds.parent is not None:
        parent = data_map.dataset(ds.parent.dataset)
        column = ds.parent.references
        records = found.records.get(parent.id, [])
        if column is None or column == parent.primary_key:
            return {ds.parent.column: [r.key for r in records]}
        values = [str(r.values[column]) for r in records if r.values.get(column) is not None]
        return {ds.parent.column: values}
    names = ds.placeholders or tuple(data_map.identities)
    return {name: found.identities.get(name, []) for name in names}


def find(
    data_map: DataMap,
    connectors: Mapping[str, Connector],
    subject_id: str,
    *,
    rules: Mapping[str, RetentionRule],
    legal_holds: Sequence[LegalHold] = (),
    today: date,
    predicates: bool = False,
) -> Found:
    """Every record of the subject in every dataset, with holds evaluated for ``today``.

    A record whose parent record is held is held too, for the same reasons (a repayment of
    a loan kept for five years is kept with it); the ``erase: row`` ancestors of a held
    record are held for them (:mod:`yinsi.rights.ancestors`).

    ``predicates``: for an erasure, fill :attr:`Found.predicates` and skip reading the
    datasets :func:`by_predicate` says need no read (their records are then not listed).
    Without it, only the tables no key names the rows of are given their predicates (the
    one way to erase them), and every dataset is read.
    """
    found = Found(identities={"user_id": [subject_id]})
    found.predicates, unread = walk_predicates(
        data_map, connectors, legal_holds, today, every=predicates
    )
    with ExitStack() as sessions:
        opened: set[str] = set()
        for ds in walk_order(data_map):
            if ds.id in unread:
                continue
            match = _match(ds, data_map, found)
            if not any(match.values()):
                found.records[ds.id] = []
                continue
            connector = connectors[ds.store]
            if ds.store not in opened:
                sessions.enter_context(connector.session())
                opened.add(ds.store)
            _add(found, ds, connector.find(ds, match), data_map, rules, legal_holds, today)
    keep_ancestors(found, data_map)
    return found


def _add(
    found: Found,
    ds: Dataset,
    records: list[Record],
    data_map: DataMap,
    rules: Mapping[str, RetentionRule],
    legal_holds: Sequence[LegalHold],
    today: date,
) -> None:
    """Adds a dataset's records to ``found``: identities they provide, holds on them."""
    found.records[ds.id] = records
    for identity, column in ds.provides.items():
        known = found.identities.setdefault(identity, [])
        for record in records:
            value = record.values.get(column)
            if value is not None and str(value) not in known:
                known.append(str(value))
    parent_held = ds.parent is not None and bool(found.held.get(ds.parent.dataset))
    if not (ds.holds or legal_holds or parent_held):
        return  # nothing can hold these records (most datasets of most subjects)
    for record in records:
        reasons = hold_reasons(ds, record, rules, legal_holds, today)
        if parent_held:
            reasons += _inherited(ds, record, data_map, found)
        if reasons:
            found.held.setdefault(ds.id, {})[record.key] = reasons


def _inherited(ds: Dataset, record: Record, data_map: DataMap, found: Found) -> list[HoldReason]:
    if ds.parent is None:
        return []
    parent = data_map.dataset(ds.parent.dataset)
    held = found.held.get(parent.id, {})
    if not held:
        return []
    link = record.values.get(ds.parent.column)
    if link is None:
        return []
    column = ds.parent.references
    for prec in found.records.get(parent.id, []):
        by_key = column is None or column == parent.primary_key
        value = prec.key if by_key else prec.values.get(str(column))
        if str(value) == str(link) and prec.key in held:
            return [
                HoldReason(ds.id, r.reason, r.until, rule=r.rule, hold=r.hold, kind=r.kind)
                for r in held[prec.key]
            ]
    return []


def find_many(
    data_map: DataMap,
    connectors: Mapping[str, Connector],
    subject_ids: Sequence[str],
    *,
    rules: Mapping[str, RetentionRule],
    legal_holds: Mapping[str, Sequence[LegalHold]],
    today: date,
    predicates: bool = False,
) -> dict[str, Found]:
    """:func:`find` for many subjects at once: per dataset one set-based read of every
    subject's matches (on stores that group calls: SQL), then each record given to the
    subjects whose values it matched. Stores that cannot tell which value a record matched
    (Redis keys, processors) are asked subject by subject. ``legal_holds``: per subject.

    Gives the same records and holds per subject as :func:`find` run for each, with
    ``predicates`` too (a subject with a legal hold in force gets none and is read whole).
    """
    founds = {s: Found(identities={"user_id": [s]}) for s in dict.fromkeys(subject_ids)}
    free: set[str] = set()  # subjects whose unread datasets are not read
    via, unread = walk_predicates(data_map, connectors, (), today, every=predicates)
    for subject, found in founds.items():
        holds = legal_holds.get(subject, ())
        if any(h.active(today) for h in holds):  # keys, as find() would, and read whole
            found.predicates, _ = walk_predicates(
                data_map, connectors, holds, today, every=predicates
            )
            continue
        found.predicates = dict(via)
        if predicates:
            free.add(subject)
    with ExitStack() as sessions:
        opened: set[str] = set()
        for ds in walk_order(data_map):
            readers = (
                founds
                if ds.id not in unread
                else {s: f for s, f in founds.items() if s not in free}
            )
            matches = {s: _match(ds, data_map, f) for s, f in readers.items()}
            matches = {s: m for s, m in matches.items() if any(m.values())}
            connector = connectors[ds.store]
            if matches and ds.store not in opened:
                sessions.enter_context(connector.session())
                opened.add(ds.store)
            per_subject: dict[str, list[Record]] = {}
            if matches and connector.groups and ds.table is not None:
                per_subject = _find_together(connector, ds, matches)
            elif matches:
                per_subject = {s: connector.find(ds, m) for s, m in matches.items()}
            for subject, found in readers.items():
                records = per_subject.get(subject, [])
                holds = legal_holds.get(subject, ())
                _add(found, ds, records, data_map, rules, holds, today)
    for found in founds.values():
        keep_ancestors(found, data_map)
    return founds


def _find_together(
    connector: Connector, ds: Dataset, matches: Mapping[str, Mapping[str, list[str]]]
) -> dict[str, list[Record]]:
    """One read for every subject's match on a SQL dataset, records given back by the
    value of the column they matched on."""
    owners: dict[str, dict[str, list[str]]] = {}
    for subject, match in matches.items():
        for column, values in match.items():
            by_value = owners.setdefault(column, {})
            for value in values:
                by_value.setdefault(value, []).append(subject)
    together = {column: list(by_value) for column, by_value in owners.items()}
    out: dict[str, list[Record]] = {}
    if not any(together.values()):
        return out
    for record in connector.find(ds, together):
        mine: list[str] = []
        for column, by_value in owners.items():
            linked = record.values.get(column)
            if linked is None:
                continue
            for subject in by_value.get(str(linked), ()):
                if subject not in mine:
                    mine.append(subject)
        for subject in mine:
            out.setdefault(subject, []).append(record)
    return out
