"""Holds keep the parent rows a held row needs to be understood (issue 17).

A held loan without the application it was made from, or a held repayment without its
loan, is a row nobody can read. Holds propagate down (a child of a held row is held,
:mod:`yinsi.rights.walk`) and, here, up: every ancestor of a held row up the parent chain
is kept. An ancestor whose dataset is erased field by field (``erase: fields``) keeps its
row anyway, and its fields are erased as the map says; an ancestor erased whole
(``erase: row``) is held itself, for the same reasons and as long as the row that needs
it, and the answer says why (``map check`` warns about such a parent).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from yinsi.declaration.datamap import DataMap, walk_order

if TYPE_CHECKING:
    from yinsi.rights.walk import Found, HoldReason

__all__ = ["keep_ancestors"]


def keep_ancestors(found: Found, data_map: DataMap) -> None:
    """Hold, in ``found``, the ``erase: row`` ancestors of every held record."""
    if not any(found.held.values()):
        return  # nothing held: most subjects
    needed: dict[tuple[str, str], list[HoldReason]] = {
        (ds, key): list(reasons) for ds, keys in found.held.items() for key, reasons in keys.items()
    }
    added: set[tuple[str, str]] = set()
    for ds in reversed(walk_order(data_map)):  # children before parents: chains go up
        if ds.parent is None:
            continue
        parent = data_map.dataset(ds.parent.dataset)
        column = ds.parent.references
        by_key = column is None or column == parent.primary_key
        parents = {
            str(p.key if by_key else p.values.get(str(column))): p.key
            for p in found.records.get(parent.id, [])
        }
        for record in found.records.get(ds.id, []):
            reasons = needed.get((ds.id, record.key))
            link = record.values.get(ds.parent.column)
            pkey = parents.get(str(link)) if reasons and link is not None else None
            if not reasons or pkey is None:
                continue
            mine = needed.setdefault((parent.id, pkey), [])
            mine.extend(r for r in reasons if r not in mine)
            own = found.held.get(parent.id, {})
            if parent.erase != "row" or (pkey in own and (parent.id, pkey) not in added):
                continue  # its row stays (fields erased), or it is held for its own reasons
            added.add((parent.id, pkey))
            why = f"与保留的“{ds.label}”记录相关联，为便于理解该记录一并保留"
            kept = found.held.setdefault(parent.id, {}).setdefault(pkey, [])
            for r in reasons:
                inherited = replace(r, dataset=parent.id, reason=f"{why}（{r.reason}）")
                if inherited not in kept:
                    kept.append(inherited)
