"""The sample lending back-end in a folder, for trying rights requests by hand
(``yinsi sample seed DIR``).

:func:`seed_folder` writes into the folder the two SQL stores (``core.db``, ``risk.db``,
SQLite), ``datamap.yaml`` (the example data map with the folder's Redis key prefix),
``env`` (the store URLs to ``source``) and one subject per profile in ``subjects.tsv``;
the cache goes to Redis under the prefix. Every value is synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import redis

import yinsi_demo as sample
from yinsi.storage import create_engine
from yinsi_demo.demo_desk import CHINA
from yinsi_demo.demo_stores import DemoError, write_store_files, write_tsv

SAMPLE_SEED = 20261123
"""The seed of ``yinsi sample seed``: every run gives the same people."""


@dataclass(frozen=True)
class SeededFolder:
    """What :func:`seed_folder` made."""

    folder: Path
    """The folder, as an absolute path."""
    seeded: sample.Seeded
    subjects: tuple[sample.Subject, ...]
    """The first user of each profile that has one (``subjects.tsv``)."""

    @property
    def records(self) -> int:
        """SQL rows and Redis keys written."""
        return sum(self.seeded.counts.values())


def seed_folder(
    folder: Path,
    *,
    subjects: int,
    redis_url: str,
    prefix: str,
    data_map: Path,
    today: date | None = None,
) -> SeededFolder:
    """Create the sample stores afresh in ``folder`` (old ones and Redis keys under
    ``prefix`` are removed) and seed ``subjects`` users as of ``today`` (default: today in
    China). Raises :class:`DemoError` saying what to do when ``prefix`` is not a usable
    key prefix, ``data_map`` is missing or Redis is unreachable."""
    try:
        sample.check_key_prefix(prefix)
    except ValueError as exc:
        raise DemoError(str(exc)) from exc
    if not data_map.is_file():
        raise DemoError(f"{data_map}: data map not found (pass --data-map)")
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    urls = {store: f"sqlite:///{folder / f'{store}.db'}" for store in sample.SQL_STORES}
    for store in sample.SQL_STORES:
        (folder / f"{store}.db").unlink(missing_ok=True)
    day = today or datetime.now(UTC).astimezone(CHINA).date()
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        try:
            stale = list(client.scan_iter(match=prefix + "*", count=1000))
            if stale:
                client.delete(*stale)
        except redis.RedisError as exc:
            raise DemoError(
                f"Redis at {redis_url}: {exc}; start Redis or pass --redis-url"
            ) from exc
        engines = {store: create_engine(url) for store, url in urls.items()}
        try:
            sample.create(engines)
            seeded = sample.seed(
                engines, client, prefix, subjects=subjects, seed=SAMPLE_SEED, today=day
            )
        finally:
            for engine in engines.values():
                engine.dispose()
    write_store_files(folder, {**urls, sample.CACHE: redis_url}, prefix, data_map)
    first = tuple(seeded.of(p)[0] for p in sample.Profile if seeded.of(p))
    write_tsv(
        folder / "subjects.tsv",
        ("profile", "user_id", "id_suffix"),
        [(who.profile.value, who.user_id, who.id_number[-6:]) for who in first],
    )
    return SeededFolder(folder, seeded, first)
