"""Discovery: ``yinsi map draft`` (issue 17) — a draft data map from live stores.

:func:`draft_map` introspects each SQL store and Redis (:mod:`yinsi.connectors.introspect`),
classifies columns by name, comment and sampled values (the detectors of
:mod:`yinsi.taxonomy.detectors`), infers parent links and the subject root
(:mod:`yinsi.declaration.discovery`), writes the draft (:mod:`.discovery_yaml`) and checks
that the data map loader accepts it. With ``against``, it compares the draft with an
existing map and reports the PI columns the map does not cover (PIPL Art. 17).

Sampled values stay in this process's memory: the draft, the report and every message
hold names, counts and confidences only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from yinsi.connectors.introspect import RedisIntrospector, SqlIntrospector
from yinsi.connectors.urls import expand
from yinsi.declaration import Problem
from yinsi.declaration.datamap import DataMap
from yinsi.declaration.datamap_checks import check_data_map, load_data_map
from yinsi.declaration.discovery import Draft, build_draft
from yinsi.declaration.discovery_drift import DriftItem, drift
from yinsi.declaration.discovery_model import (
    KeyPatternFacts,
    Overlap,
    TableFacts,
    ValueClassifier,
)
from yinsi.declaration.discovery_yaml import render
from yinsi.declaration.loader import read_model

__all__ = ["DraftReport", "draft_map", "value_classifier"]


@dataclass(frozen=True, slots=True)
class DraftReport:
    text: str
    """The draft data map (YAML with comments)."""
    draft: Draft
    problems: list[Problem]
    """What the data map loader says of the draft (warnings; an error is a bug)."""
    drift: list[DriftItem] | None = None
    """With ``against``: PI columns the existing map does not cover."""
    values_checked: bool = True
    """Whether sampled values were classified (else names and comments only)."""
    unread: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per SQL store, the PostgreSQL schemas besides the default one that hold tables
    (with how many): not read; a ``search_path`` in the store's URL reads them."""


def value_classifier() -> ValueClassifier:
    """The detectors' ``classify_values`` (:mod:`yinsi.taxonomy.detectors`)."""
    from yinsi.taxonomy.detectors import classify_values

    return classify_values


def draft_map(
    sql: Mapping[str, str],
    redis: Mapping[str, str] | None = None,
    *,
    app: str = "draft_app",
    against: Path | None = None,
    sample_size: int = 200,
    max_keys: int = 2000,
    redis_match: str = "*",
    environ: Mapping[str, str] | None = None,
    today: date | None = None,
    values: ValueClassifier | Literal["detectors"] | None = "detectors",
) -> DraftReport:
    """Introspect the stores (``{store id: url}``) and draft their data map; ``values``
    classifies sampled values (default: the detectors; ``None``: names and comments only).

    Raises :class:`~yinsi.rights.ports.ConnectorError` for a store that cannot be read,
    :class:`~yinsi.declaration.DeclarationError` for an ``against`` map with errors.
    """
    existing = load_data_map(against) if against is not None else None
    classifier = value_classifier() if values == "detectors" else values
    opened: dict[str, SqlIntrospector] = {}
    scanners: list[RedisIntrospector] = []
    try:
        tables: list[TableFacts] = []
        unread: dict[str, dict[str, int]] = {}
        for store, url in sql.items():
            opened[store] = SqlIntrospector(store, expand(store, url, environ))
            tables += opened[store].tables(sample_size)
            if others := opened[store].other_schemas():
                unread[store] = others
        patterns: list[KeyPatternFacts] = []
        for store, url in (redis or {}).items():
            scanners.append(RedisIntrospector(store, expand(store, url, environ)))
            patterns += scanners[-1].patterns(
                match=redis_match, max_keys=max_keys, sample_size=sample_size
            )
        stores = [(s, "sql") for s in sql] + [(s, "redis") for s in redis or {}]
        draft = build_draft(
            app,
            stores,
            tables,
            patterns,
            values=classifier,
            overlap=_overlap(opened),
        )
    finally:
        for intro in opened.values():
            intro.close()
        for scanner in scanners:
            scanner.close()
    text = render(draft, today=today)
    _, problems = read_model(
        text, "draft.yaml", DataMap, [lambda m: check_data_map(m)], "a data map"
    )
    return DraftReport(
        text,
        draft,
        problems,
        drift(draft, existing) if existing is not None else None,
        classifier is not None,
        unread,
    )


def _overlap(opened: Mapping[str, SqlIntrospector]) -> Overlap:
    cache: dict[tuple[str, str, str, str], tuple[int, int] | None] = {}

    def measure(
        child: TableFacts, column: str, parent: TableFacts, key: str
    ) -> tuple[int, int] | None:
        at = (child.ref, column, parent.ref, key)
        if at in cache:
            return cache[at]
        facts = child.column(column)
        intro = opened.get(parent.store)
        result = None
        if facts is not None and facts.samples and intro is not None:
            distinct = list(dict.fromkeys(facts.samples))
            found = intro.overlap(parent.name, key, distinct)
            result = None if found is None else (found, len(distinct))
        cache[at] = result
        return result

    return measure
