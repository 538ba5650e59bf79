"""Shape checks of one dataset of a data map, beside its cross-references
(:mod:`.datamap_checks`): a retention reference, its holds, and a table without
``primary_key``."""

from __future__ import annotations

from yinsi.declaration.datamap import EMPTYING, DataMap, Dataset
from yinsi.declaration.errors import Issue

__all__ = ["hold_shape", "keyless_shape", "retention_shape"]

"""Field strategies a statement applies to every matched row at once (the value emptied)."""


def retention_shape(data_map: DataMap, index: int, kind: str | None) -> list[Issue]:
    """A retention reference needs a SQL dataset; a swept-away row must have no children."""
    ds = data_map.datasets[index]
    if ds.retention is None:
        return []
    at = ("datasets", index, "retention")
    if kind is not None and kind != "sql":
        return [
            Issue(
                at,
                f"`retention` is for SQL datasets (a date column to count from); store "
                f"{ds.store!r} is {kind}: remove it (Redis keys expire by TTL)",
            )
        ]
    children = [d.id for d in data_map.datasets if d.parent and d.parent.dataset == ds.id]
    if ds.erase == "row" and children:
        return [
            Issue(
                at,
                f"rows of {ds.id!r} are deleted when they expire, but datasets "
                f"{', '.join(children)} hang off them by foreign key; give those their own "
                "`retention` and use `erase: fields` here, or remove `retention`",
            )
        ]
    return []


def hold_shape(data_map: DataMap, index: int) -> list[Issue]:
    """A hold keeps something, and the parent rows a held row needs are not deleted."""
    ds = data_map.datasets[index]
    issues = [
        Issue(
            ("datasets", index, "holds", j),
            f"hold on rule {hold.rule!r} has neither `since` nor `while`, so it never keeps "
            "a row; add `since: <date column>` (empty = the relationship still runs) or "
            "`while: <SQL condition>`",
            "warning",
        )
        for j, hold in enumerate(ds.holds)
        if hold.since is None and hold.while_ is None
    ]
    if not ds.holds or ds.parent is None:
        return issues
    ids = {d.id: d for d in data_map.datasets}
    parent = ids.get(ds.parent.dataset)
    seen = {ds.id}
    while parent is not None and parent.id not in seen and not parent.holds:
        if parent.erase == "row":
            issues.append(
                Issue(
                    ("datasets", index, "holds"),
                    f"rows held here hang off dataset {parent.id!r}, whose rows a deletion "
                    f"removes (`erase: row`, no hold): a kept {ds.id!r} row needs the "
                    f"{parent.id!r} row to be understood, so a deletion keeps that row whole "
                    f"(all its fields) as long; give {parent.id!r} `erase: fields` to erase "
                    "the fields not needed, or a hold of its own",
                    "warning",
                )
            )
            break
        seen.add(parent.id)
        parent = ids.get(parent.parent.dataset) if parent.parent is not None else None
    return issues


def keyless_shape(data_map: DataMap, index: int) -> list[Issue]:
    """A SQL dataset without ``primary_key`` (a log table with no key, a composite key):
    yinsi names none of its rows, so it reads, corrects and erases a person's rows by a
    predicate on the subject. That predicate must be statable (a root found by
    ``user_id``, or a parent chain up to one, in the same store), and nothing may need to
    keep some of the person's rows while the others go (no holds on it or below it, no
    strategy that rewrites each value, no child found by its key). Rows held above it are
    allowed when its parent has a key: a deletion then erases its rows by their parent
    rows' link values, keeping those of a held parent row
    (:func:`yinsi.rights.planner._below_held`). A retention sweep is allowed: it empties
    or deletes expired rows N at a time (:data:`yinsi.connectors.sweep.LIMIT`)."""
    ds = data_map.datasets[index]
    if not ds.keyless:
        return []
    at: tuple[str | int, ...] = ("datasets", index)
    why = (
        f"dataset {ds.id!r} has no `primary_key`, so yinsi reads, corrects and erases its "
        "rows by a predicate on the person, never row by row"
    )
    give = "give the table's key column (or a unique column) as `primary_key`"
    issues: list[Issue] = []
    if ds.holds:
        issues.append(
            Issue((*at, "holds"), f"{why}: it cannot keep some rows and erase others; {give}")
        )
    for j, f in enumerate(ds.fields):
        if f.erase not in EMPTYING:
            issues.append(
                Issue(
                    (*at, "fields", j, "erase"),
                    f"{why}: `erase: {f.erase.value}` rewrites each value in its row; use "
                    f"`null` (the value emptied), or {give}",
                )
            )
        if f.encrypted:
            issues.append(
                Issue(
                    (*at, "fields", j, "encrypted"),
                    f"{why}: `yinsi keys rewrap` re-encrypts a column row by row; {give}",
                )
            )
    issues.extend(_keyless_links(data_map, ds, at, why, give))
    return issues


def _keyless_links(
    data_map: DataMap, ds: Dataset, at: tuple[str | int, ...], why: str, give: str
) -> list[Issue]:
    """The keyless dataset's place in the graph: its predicate statable, no held rows
    below it, none above it unless its parent has a key, no child needing its keys."""
    ids = {d.id: d for d in data_map.datasets}
    issues: list[Issue] = []
    chain: list[Dataset] = []  # parent first, up to the root
    node = ds
    while node.parent is not None and node.parent.dataset in ids:
        node = ids[node.parent.dataset]
        if node in chain or node is ds:
            return []  # a cycle: check_data_map says so
        chain.append(node)
    tables = [d.table for d in chain]
    if node.subject is None or node.subject.identity != "user_id":
        issues.append(
            Issue(
                at,
                f"{why}, which starts from the person's `user_id`: link it (or its parent "
                "chain's root) with `subject: {column: …, identity: user_id}`, or " + give,
            )
        )
    elif any(d.store != ds.store or d.table is None for d in chain) or ds.table in tables:
        issues.append(
            Issue(
                (*at, "parent"),
                f"{why}, which matches its rows through its parent chain "
                f"({' → '.join(d.id for d in chain)}) in one SQL statement: every parent must "
                f"be a table in store {ds.store!r}, none of them this table; {give}",
            )
        )
    held = [d.id for d in chain if d.holds]
    parent = chain[0] if chain else None
    by_values = parent is not None and not parent.keyless and parent.store == ds.store
    if held and not by_values:  # below held rows, its rows go by their parent's values
        issues.append(
            Issue(
                (*at, "parent"),
                f"{why}: rows of {held[0]!r} above it may be held (`holds`), and a held row "
                f"keeps its {ds.id!r} rows, which yinsi then tells apart by the key of their "
                f"parent row — {parent.id if parent else 'its parent'!r} has none; {give}",
            )
        )
    for child in data_map.datasets:
        if child.parent is None or child.parent.dataset != ds.id:
            continue
        if child.parent.references is None or _holds_below(data_map, child):
            issues.append(
                Issue(
                    at,
                    f"{why}: dataset {child.id!r} hangs off it "
                    + (
                        "and may keep rows (`holds`), which would keep their parent rows"
                        if child.parent.references is not None
                        else "by its key (`parent` without `references`)"
                    )
                    + f"; {give}",
                )
            )
    return issues


def _holds_below(data_map: DataMap, ds: Dataset) -> bool:
    """Whether ``ds`` or a dataset below it declares holds."""
    seen: set[str] = set()
    todo = [ds]
    while todo:
        node = todo.pop()
        if node.holds:
            return True
        seen.add(node.id)
        todo += [
            d
            for d in data_map.datasets
            if d.parent is not None and d.parent.dataset == node.id and d.id not in seen
        ]
    return False
