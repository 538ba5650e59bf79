"""The live half of ``yinsi map check``: a data map against the stores it names.

:func:`live_issues` inspects every store read-only (:mod:`yinsi.connectors.inspect`): each
store reachable, each table, column and column type the map names present — every wrong
one reported in the same run, placed where the map names it, with a "did you mean".
:func:`probe_errors` is what ``rights approve`` runs first, through the connectors a run
would use (:mod:`yinsi.services.datamap_check` has the whole check).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from yinsi.connectors.inspect import (
    LiveColumn,
    LiveTable,
    RedisInspector,
    SqlInspector,
    webhook_unreachable,
)
from yinsi.declaration.datamap import EMPTYING, DataMap, Dataset, Strategy
from yinsi.declaration.errors import Issue
from yinsi.lifecycle.deidentify import ANONYMISED, TOKEN_LENGTH
from yinsi.rights.ports import Connector, ConnectorError

Path_ = tuple[str | int, ...]
TableOf = Callable[[Dataset], LiveTable | None]
_DATES = ("date", "datetime")


@dataclass(frozen=True, slots=True)
class StoreState:
    store: str
    kind: str
    reachable: bool | None
    """None: not contacted (no ``--connect``)."""
    note: str = ""


# ------------------------------------------------------------------ the live check


def live_issues(
    data_map: DataMap,
    environ: Mapping[str, str] | None = None,
    *,
    webhooks: bool = False,
) -> tuple[list[Issue], list[StoreState]]:
    """Every finding of the map against the live stores, and each store's state."""
    issues: list[Issue] = []
    states: list[StoreState] = []
    for si, store in enumerate(data_map.stores):
        at: Path_ = ("stores", si, "url")
        datasets = [(i, d) for i, d in enumerate(data_map.datasets) if d.store == store.id]
        try:
            if store.kind == "sql":
                issues += _sql_store(data_map, store.id, datasets, environ)
            elif store.kind == "redis":
                issues += _redis_store(data_map, store.id, datasets, environ)
            elif webhooks:
                why = webhook_unreachable(store, environ)
                if why is not None:
                    raise ConnectorError(store.id, why)
            else:
                states.append(StoreState(store.id, store.kind, None, "not contacted"))
                continue
        except ConnectorError as exc:
            issues.append(Issue(at, f"store {store.id!r} cannot be reached: {exc}"))
            states.append(StoreState(store.id, store.kind, False, str(exc)))
            continue
        states.append(StoreState(store.id, store.kind, True))
    return issues, states


def probe_errors(data_map: DataMap, connectors: Mapping[str, Connector]) -> list[Issue]:
    """What ``rights approve`` checks through the very connectors a run would use: each
    SQL dataset's store reachable, its table present with every column the map names
    (the connector reflects the table and reads no row). Every failing dataset is listed."""
    issues: list[Issue] = []
    for i, ds in enumerate(data_map.datasets):
        if ds.table is None:
            continue
        try:
            connectors[ds.store].find(ds, {})
        except ConnectorError as exc:
            issues.append(Issue(("datasets", i), str(exc)))
    return issues


def _sql_store(
    data_map: DataMap,
    store_id: str,
    datasets: list[tuple[int, Dataset]],
    environ: Mapping[str, str] | None,
) -> list[Issue]:
    inspector = SqlInspector(data_map.store(store_id), environ)
    try:
        inspector.tables()  # unreachable: ConnectorError for the whole store
        live: dict[str, LiveTable | None] = {}

        def table_of(ds: Dataset) -> LiveTable | None:
            if ds.table is not None and ds.table not in live:
                live[ds.table] = inspector.table(ds.table)
            return live.get(ds.table or "")

        issues: list[Issue] = []
        for i, ds in datasets:
            if ds.table is None:
                continue
            table = table_of(ds)
            if table is None:
                near = _near(ds.table, inspector.tables())
                issues.append(
                    Issue(
                        ("datasets", i, "table"),
                        f"table {ds.table!r} does not exist in store {store_id!r} "
                        f"({inspector.shown}){near}",
                    )
                )
                continue
            issues += _columns(data_map, i, ds, table, table_of)
            for j, hold in enumerate(ds.holds):
                if hold.while_:
                    why = inspector.condition_error(ds.table, hold.while_)
                    if why is not None:
                        issues.append(
                            Issue(
                                ("datasets", i, "holds", j, "while"),
                                f"the database refuses this condition on table {ds.table!r}: {why}",
                            )
                        )
        return issues
    finally:
        inspector.close()


def _needed(ds: Dataset) -> list[tuple[str, Path_]]:
    """Every column of its own table the dataset names, with where it names it."""
    needed: list[tuple[str, Path_]] = []
    if ds.primary_key:
        needed.append((ds.primary_key, ("primary_key",)))
    if ds.subject is not None:
        needed.append((ds.subject.column, ("subject", "column")))
    if ds.parent is not None:
        needed.append((ds.parent.column, ("parent", "column")))
    needed += [(column, ("provides", identity)) for identity, column in ds.provides.items()]
    for j, f in enumerate(ds.fields):
        if f.column:
            needed.append((f.column, ("fields", j, "column")))
        if f.blind_index is not None:
            needed.append((f.blind_index.column, ("fields", j, "blind_index", "column")))
    needed += [(h.since, ("holds", j, "since")) for j, h in enumerate(ds.holds) if h.since]
    if ds.retention is not None:
        needed.append((ds.retention.since, ("retention", "since")))
    return needed


def _columns(
    data_map: DataMap,
    i: int,
    ds: Dataset,
    table: LiveTable,
    table_of: TableOf,
) -> list[Issue]:
    at: Path_ = ("datasets", i)
    issues: list[Issue] = []
    for column, where in _needed(ds):
        live = table.columns.get(column)
        if live is None:
            issues.append(
                Issue(
                    (*at, *where),
                    f"column {column!r} does not exist in table {table.name!r}"
                    f"{_near(column, table.columns)}",
                )
            )
            continue
        if where[0] in ("holds", "retention") and live.kind not in (*_DATES, "text", "other"):
            issues.append(
                Issue(
                    (*at, *where),
                    f"column {column!r} is {live.type}: the date a period counts from "
                    "must be a DATE or TIMESTAMP column",
                )
            )
    cannot = [
        *(["update"] if not table.updatable else []),
        *(["delete"] if ds.erase == "row" and not table.deletable else []),
    ]
    if cannot:
        issues.append(
            Issue(
                (*at, "table"),
                f"table {table.name!r} is a view the database cannot {' or '.join(cannot)} rows "
                "through (no INSTEAD OF trigger either): every deletion, correction and sweep "
                "through it would fail; map the table itself, or make the view updatable (one "
                "table, no join, aggregate or DISTINCT) or give it triggers",
            )
        )
    if ds.primary_key and ds.primary_key in table.columns and not _unique(table, ds.primary_key):
        issues.append(Issue((*at, "primary_key"), _not_unique(table, ds.primary_key), "warning"))
    if ds.keyless and len(table.primary_key) == 1:
        issues.append(
            Issue(
                at,
                f"table {table.name!r} has a primary key, {table.primary_key[0]!r}, which the "
                "dataset does not give as `primary_key`: its rows are then handled only by a "
                "predicate on the person (no holds, no retention sweep); add "
                f"`primary_key: {table.primary_key[0]}`",
                "warning",
            )
        )
    if ds.parent is not None:
        issues += _parent_link(data_map, at, ds, table, table_of)
    for j, f in enumerate(ds.fields):
        live = table.columns.get(f.column or "")
        if live is not None and f.encrypted and live.kind not in ("text", "other"):
            issues.append(
                Issue(
                    (*at, "fields", j, "column"),
                    f"column {f.column!r} is {live.type}: an encrypted column holds "
                    "FieldCipher tokens (text)",
                )
            )
        if live is None or ds.erase != "fields":
            continue
        if not live.nullable and f.erase in EMPTYING:
            issues.append(_not_null(at, j, f.erase, live, _unique(table, live.name)))
        unfit = _unfit(f.erase, live)
        if unfit:
            issues.append(Issue((*at, "fields", j, "erase"), unfit))
    return issues


def _not_unique(table: LiveTable, column: str) -> str:
    if table.view:
        return (
            f"table {table.name!r} is a view, for which the database states no key: make sure "
            f"column {column!r} names one row of it (the key of the table under it), else "
            "erasing one record by it may touch several rows"
        )
    return (
        f"column {column!r} is neither the primary key of table {table.name!r} "
        f"({', '.join(table.primary_key) or 'none'}) nor unique: erasing one record by it "
        "may touch several rows"
    )


def _unfit(erase: Strategy, live: LiveColumn) -> str | None:
    """Why the value ``erase`` writes cannot go into the column (None: it can); the
    database would refuse it at every deletion (SQLSTATE 22001), all of the store's
    erasure rolled back."""
    text = live.kind in ("text", "other")
    if erase is Strategy.KEYED_HASH and not text:
        return (
            f"column {live.name!r} is {live.type}: `keyed_hash` writes a {TOKEN_LENGTH}-character "
            "text pseudonym; use `null` (or `erase: row`)"
        )
    needed = {Strategy.KEYED_HASH: TOKEN_LENGTH, Strategy.ANONYMISE: len(ANONYMISED)}.get(erase)
    if needed is not None and text and live.length is not None and live.length < needed:
        return (
            f"column {live.name!r} is {live.type}: `{erase.value}` writes {needed} characters, "
            f"more than its {live.length}, which the database refuses at every deletion "
            "(SQLSTATE 22001); use `null` or `mask`, or widen the column"
        )
    if erase is Strategy.ANONYMISE and not text and not live.nullable:
        return (
            f"column {live.name!r} is NOT NULL ({live.type}): `anonymise` empties a value that "
            "is not text, which the database refuses at every deletion (SQLSTATE 23502); use "
            "`mask` or `generalise` if they fit, or give the dataset `erase: row`"
        )
    return None


def _not_null(at: Path_, j: int, erase: Strategy, live: LiveColumn, unique: bool) -> Issue:
    """A NOT NULL column a deletion would empty: the database refuses it at the first
    deletion (SQLSTATE 23502), every time, so the map is refused before any request."""
    choices = (
        "`keyed_hash` (a 35-character pseudonym, distinct per value: the column is unique)"
        if unique
        else "`anonymise` (已匿名 in a text column) or `keyed_hash` (a 35-character pseudonym)"
    )
    return Issue(
        (*at, "fields", j, "erase"),
        f"column {live.name!r} is NOT NULL ({live.type}): `erase: {erase.value}` empties it, "
        "which the database refuses at every deletion (SQLSTATE 23502); give the field "
        f"{choices} if the column can hold it, or give the dataset `erase: row`",
    )


def _parent_link(
    data_map: DataMap, at: Path_, ds: Dataset, table: LiveTable, table_of: TableOf
) -> list[Issue]:
    link = ds.parent
    parent = next((d for d in data_map.datasets if link and d.id == link.dataset), None)
    if link is None or parent is None or parent.table is None or parent.store != ds.store:
        return []
    parent_table = table_of(parent)
    if parent_table is None:
        return []
    target = link.references or parent.primary_key or ""
    live_target = parent_table.columns.get(target)
    where = (*at, "parent", "references" if link.references else "column")
    if live_target is None:
        if link.references is None:
            return []  # the parent's own primary_key finding says it
        return [
            Issue(
                where,
                f"column {target!r} does not exist in the parent's table "
                f"{parent_table.name!r}{_near(target, parent_table.columns)}",
            )
        ]
    issues: list[Issue] = []
    if link.references and not _unique(parent_table, target):
        issues.append(
            Issue(
                where,
                f"column {target!r} of table {parent_table.name!r} is not unique: a row of "
                f"{table.name!r} may hang off several parents",
                "warning",
            )
        )
    child = table.columns.get(link.column)
    if child is not None and _family(child.kind) != _family(live_target.kind):
        issues.append(
            Issue(
                (*at, "parent", "column"),
                f"column {link.column!r} is {child.type} but the parent's "
                f"{parent_table.name}.{target} is {live_target.type}: check the link",
                "warning",
            )
        )
    return issues


def _family(kind: str) -> str:
    return {"integer": "number", "date": "time", "datetime": "time"}.get(kind, kind)


def _unique(table: LiveTable, column: str | None) -> bool:
    return column is not None and (table.primary_key == (column,) or (column,) in table.unique)


def _near(name: str, names: Mapping[str, object] | set[str]) -> str:
    close = difflib.get_close_matches(name, list(names), n=3, cutoff=0.5)
    listed = ", ".join(sorted(names)[:40])
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"{hint} (has: {listed})"


def _redis_store(
    data_map: DataMap,
    store_id: str,
    datasets: list[tuple[int, Dataset]],
    environ: Mapping[str, str] | None,
) -> list[Issue]:
    inspector = RedisInspector(data_map.store(store_id), environ)
    try:
        inspector.ping()
        issues: list[Issue] = []
        for i, ds in datasets:
            if ds.key is None:
                continue
            sample = inspector.sample(ds.key)
            if sample.sampled == 0:
                issues.append(
                    Issue(
                        ("datasets", i, "key"),
                        f"no key matches {sample.pattern!r} in store {store_id!r} "
                        f"({inspector.shown}): an empty store, or a wrong pattern",
                        "warning",
                    )
                )
                continue
            hashes = sample.types.get("hash", 0)
            if ds.fields and hashes < sample.sampled:
                kinds = ", ".join(f"{k} {n}" for k, n in sorted(sample.types.items()))
                issues.append(
                    Issue(
                        ("datasets", i, "fields"),
                        f"fields are hash fields, but the sampled keys matching "
                        f"{sample.pattern!r} are: {kinds}",
                        "warning",
                    )
                )
            for j, f in enumerate(ds.fields):
                if hashes and f.field and f.field not in sample.fields:
                    issues.append(
                        Issue(
                            ("datasets", i, "fields", j, "field"),
                            f"no sampled hash of {sample.pattern!r} has field {f.field!r}"
                            f"{_near(f.field, sample.fields)}",
                        )
                    )
        return issues
    finally:
        inspector.close()
