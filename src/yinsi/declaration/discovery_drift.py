"""Drift: PI-looking columns the data map does not cover (``yinsi map draft --against``).

A column that holds PI but is missing from the map is never exported, corrected or
erased by a rights request, and the policy rendered from the declaration may not tell
users about it (PIPL Art. 17: the kinds of PI processed must be told; Art. 45, 47: access
and deletion reach all of a person's PI).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yinsi.declaration.datamap import DataMap
from yinsi.declaration.discovery import Draft
from yinsi.declaration.discovery_model import ColumnGuess
from yinsi.taxonomy import BUILTIN

CITATION = "《个人信息保护法》第十七条、第四十五条、第四十七条"


@dataclass(frozen=True, slots=True)
class DriftItem:
    store: str
    table: str
    """A table name, or a Redis key pattern (``{}`` where the keys differ)."""
    guess: ColumnGuess
    table_mapped: bool

    def message(self) -> str:
        element = BUILTIN.elements.get(self.guess.element)
        label = element.label if element is not None else self.guess.element
        where = f"{self.store}.{self.table}.{self.guess.column}"
        gap = "该列未列入数据地图" if self.table_mapped else "该表（键）未列入数据地图"
        return (
            f"{where}：疑似{label}（{self.guess.element}，置信度 {self.guess.confidence:.2f}："
            f"{self.guess.evidence}）——{gap}，个人信息权利请求不会查阅、更正或删除它，"
            f"隐私政策也可能未告知此项个人信息（{CITATION}）"
        )


def drift(draft: Draft, data_map: DataMap) -> list[DriftItem]:
    """Every PI column of the draft that ``data_map`` does not list, tables by name (the
    store too when the map has a store of that id)."""
    map_stores = {s.id for s in data_map.stores}
    items = []
    for store, table, guess in draft.guesses():
        datasets = [
            d
            for d in data_map.datasets
            if (d.table == table or _same_keys(d.key, table))
            and (store not in map_stores or d.store == store)
        ]
        covered = any(f.name == guess.column for d in datasets for f in d.fields)
        if not covered:
            items.append(DriftItem(store, table, guess, bool(datasets)))
    return items


def _same_keys(key: str | None, pattern: str) -> bool:
    if key is None:
        return False
    return re.sub(r"\{[a-z][a-z0-9_]*\}", "{}", key) == pattern
