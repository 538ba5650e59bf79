"""Which datasets an erasure states as a predicate on the subject instead of keys.

:func:`by_predicate` picks them for :func:`~yinsi.rights.walk.find`: the datasets
nothing can hold the rows of (:func:`may_hold`), and the tables no key names the rows of
(:attr:`~yinsi.declaration.datamap.Dataset.keyless`) unless a legal hold in force keeps
them (:func:`legally_held`); :func:`predicate_chain` is the parent chain a predicate
matches a dataset's rows through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from yinsi.declaration.datamap import DataMap, Dataset, SubjectLink, walk_order
from yinsi.rights.holds import LegalHold
from yinsi.rights.ports import Connector, Record

__all__ = [
    "PARENT",
    "by_link",
    "by_predicate",
    "legally_held",
    "link_values",
    "may_hold",
    "predicate_chain",
    "walk_predicates",
]

PARENT = "parent"
"""The predicate of a table without a key below rows that may be held (a repayment plan
keyed ``(loan_id, period)`` under loans a contract keeps): ``{"parent": dataset,
"values": […]}``, its rows whose link holds one of the values (the parent rows that go),
never those of a held parent row."""


def by_predicate(
    data_map: DataMap,
    connectors: Mapping[str, Connector],
    legal_holds: Sequence[LegalHold],
    today: date,
) -> tuple[dict[str, list[str]], set[str]]:
    """The datasets an erasure may state as a predicate, each with its parent chain
    (parent first), and those of them the walk need not read.

    A dataset qualifies when its rows cannot be held (:func:`may_hold`) and the subject
    has no legal hold in force (any: kept simple and safe), except a table without
    ``primary_key`` (:attr:`~yinsi.declaration.datamap.Dataset.keyless`), which has no
    other way to be erased: it qualifies unless a legal hold in force covers it
    (:func:`legally_held`), which then keeps all its rows. It must be a SQL table on a
    store that erases by predicate, found from ``user_id`` (a root) or through a parent
    chain that can be matched so (same store, other tables; the parents themselves may
    be erased by keys). It is not read unless something needs its records: an identity
    it ``provides``, or a child that is read (matched by this dataset's keys).
    """
    order = walk_order(data_map)
    held = may_hold(data_map)
    if any(h.active(today) for h in legal_holds):
        held |= {ds.id for ds in order if not ds.keyless}
        held |= legally_held(data_map, legal_holds, today)
    chains: dict[str, list[str]] = {}  # the datasets a predicate can match, with chains
    for ds in order:
        if ds.table is None or not connectors[ds.store].erases_where:
            continue
        if ds.subject is not None and ds.subject.identity == "user_id":
            chains[ds.id] = []
        elif ds.parent is not None and ds.parent.dataset in chains:
            parent = data_map.dataset(ds.parent.dataset)
            chain = [parent.id, *chains[parent.id]]
            tables = {data_map.dataset(d).table for d in chain}
            stores = {data_map.dataset(d).store for d in chain}
            if stores == {ds.store} and ds.table not in tables:
                chains[ds.id] = chain
    via = {d: chain for d, chain in chains.items() if d not in held}
    children: dict[str, list[str]] = {}
    for ds in order:
        if ds.parent is not None:
            children.setdefault(ds.parent.dataset, []).append(ds.id)
    unread: set[str] = set()
    for ds in reversed(order):  # children first: a read child needs its parent's keys
        if ds.id in via and not ds.provides and all(c in unread for c in children.get(ds.id, ())):
            unread.add(ds.id)
    return via, unread


def walk_predicates(
    data_map: DataMap,
    connectors: Mapping[str, Connector],
    legal_holds: Sequence[LegalHold],
    today: date,
    *,
    every: bool,
) -> tuple[dict[str, list[str]], set[str]]:
    """What a walk gives :attr:`~yinsi.rights.walk.Found.predicates`, and the datasets it
    need not read. ``every`` (an erasure): :func:`by_predicate`. Otherwise only the
    predicates of the tables without a key (the one way to erase them) and every dataset
    read; nothing is computed for a map without such tables."""
    if not every and not any(ds.keyless for ds in data_map.datasets):
        return {}, set()
    via, unread = by_predicate(data_map, connectors, legal_holds, today)
    if every:
        return via, unread
    return {d: chain for d, chain in via.items() if data_map.dataset(d).keyless}, set()


def legally_held(data_map: DataMap, legal_holds: Sequence[LegalHold], today: date) -> set[str]:
    """The datasets whose every record of the subject a legal hold in force keeps: those
    it names (all, for a hold naming none) and their descendants (a held row holds its
    children, :func:`~yinsi.rights.walk._inherited`)."""
    order = walk_order(data_map)
    active = [h for h in legal_holds if h.active(today)]
    if any(h.dataset is None for h in active):
        return {ds.id for ds in order}
    held = {h.dataset for h in active if h.dataset is not None}
    for ds in order:  # parents first: down
        if ds.parent is not None and ds.parent.dataset in held:
            held.add(ds.id)
    return held


def predicate_chain(data_map: DataMap, dataset: Dataset) -> list[str]:
    """The parent chain a predicate on the subject matches ``dataset``'s rows through,
    parent first, up to the root found by ``user_id`` (empty for a root)."""
    chain: list[str] = []
    node = dataset
    while node.parent is not None:
        chain.append(node.parent.dataset)
        node = data_map.dataset(node.parent.dataset)
    return chain


def may_hold(data_map: DataMap) -> set[str]:
    """The datasets some of whose rows a deletion may keep: those declaring ``holds``,
    their descendants (a held row holds its children, :func:`~yinsi.rights.walk._inherited`), and their
    ``erase: row`` ancestors (kept with the held row, :mod:`yinsi.rights.ancestors`) with
    the descendants of those in turn."""
    order = walk_order(data_map)
    held = {ds.id for ds in order if ds.holds}
    while True:
        before = len(held)
        for ds in order:  # parents first: down
            if ds.parent is not None and ds.parent.dataset in held:
                held.add(ds.id)
        needed = set(held)
        for ds in reversed(order):  # children first: up, through every ancestor
            if ds.id in needed and ds.parent is not None:
                needed.add(ds.parent.dataset)
                if data_map.dataset(ds.parent.dataset).erase == "row":
                    held.add(ds.parent.dataset)
        if len(held) == before:
            return held


def by_link(data_map: DataMap, dataset: Dataset) -> Dataset:
    """``dataset``'s parent as a root matched by the column ``dataset``'s link references,
    so a predicate on it with values is ``link IN (:values)`` (:data:`PARENT`)."""
    assert dataset.parent is not None
    parent = data_map.dataset(dataset.parent.dataset)
    column = dataset.parent.references or parent.primary_key
    assert column is not None
    return parent.model_copy(
        update={
            "id": f"{parent.id}.{column}",  # not the parent's: statements are cached by id
            "subject": SubjectLink(column=column),
            "parent": None,
        }
    )


def link_values(data_map: DataMap, dataset: Dataset, records: Sequence[Record]) -> dict[str, str]:
    """The value ``dataset``'s link holds for each parent record (by key), as text."""
    assert dataset.parent is not None
    parent = data_map.dataset(dataset.parent.dataset)
    column = dataset.parent.references
    if column is None or column == parent.primary_key:
        return {r.key: r.key for r in records}
    return {r.key: str(r.values[column]) for r in records if r.values.get(column) is not None}
