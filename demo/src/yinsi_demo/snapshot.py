"""Read every PI value of the sample back from its stores, as :class:`~yinsi_demo.truth.Cell`s.

Independent of the data map and of the connectors: it reads the tables and the Redis
keys directly, so a test can compare the stores with the seeded truth before a request
runs and see exactly which values an export or an erasure touched afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping

import redis
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from yinsi_demo.lending import CACHE, DATASETS, REDIS_STRING_FIELD, SampleDataset
from yinsi_demo.truth import Cell


def snapshot(
    engines: Mapping[str, Engine], redis_client: redis.Redis | None, redis_prefix: str = ""
) -> dict[Cell, object]:
    """Every non-empty PI value now in the sample's stores (Redis only under the prefix)."""
    cells: dict[Cell, object] = {}
    for ds in DATASETS:
        if ds.table is not None:
            cells.update(_table(engines[ds.store], ds))
        elif redis_client is not None:
            cells.update(_keys(redis_client, redis_prefix, ds))
    return cells


def count(
    engines: Mapping[str, Engine], redis_client: redis.Redis | None, redis_prefix: str = ""
) -> dict[tuple[str, str], int]:
    """Records per ``(store, dataset)`` now in the stores."""
    counts: dict[tuple[str, str], int] = {}
    for ds in DATASETS:
        if ds.table is not None:
            with engines[ds.store].connect() as conn:
                n = conn.execute(sa.select(sa.func.count()).select_from(ds.table)).scalar_one()
            counts[(ds.store, ds.id)] = int(n)
        elif redis_client is not None:
            counts[(CACHE, ds.id)] = sum(1 for _ in _scan(redis_client, redis_prefix, ds))
    return counts


def _table(engine: Engine, ds: SampleDataset) -> dict[Cell, object]:
    assert ds.table is not None
    pk = ds.table.c[ds.primary_key]
    columns = [ds.table.c[name] for name in ds.fields]
    cells: dict[Cell, object] = {}
    with engine.connect() as conn:
        for row in conn.execute(sa.select(pk, *columns).order_by(pk)):
            key = str(row[0])
            for name, value in zip(ds.fields, row[1:], strict=True):
                if value is not None:
                    cells[Cell(ds.store, ds.id, key, name)] = value
    return cells


def _pattern(prefix: str, ds: SampleDataset) -> str:
    assert ds.key is not None
    head = ds.key[: ds.key.index("{")]
    return _glob_escape(prefix + head) + "*"


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


def _scan(client: redis.Redis, prefix: str, ds: SampleDataset) -> list[str]:
    return sorted(_text(k) for k in client.scan_iter(match=_pattern(prefix, ds), count=1000))


def _keys(client: redis.Redis, prefix: str, ds: SampleDataset) -> dict[Cell, object]:
    cells: dict[Cell, object] = {}
    for key in _scan(client, prefix, ds):
        if _text(client.type(key)) == "hash":
            values = {_text(f): _text(v) for f, v in client.hgetall(key).items()}
        else:
            raw = client.get(key)
            values = {} if raw is None else {REDIS_STRING_FIELD: _text(raw)}
        for name in ds.fields:
            if name in values:
                cells[Cell(CACHE, ds.id, key, name)] = values[name]
    return cells


def _text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
