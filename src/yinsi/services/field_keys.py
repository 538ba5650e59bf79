"""``FieldKeyService``: the store-wide jobs of a field-key rotation (X09, X25, W17).

After ``yinsi keys rotate`` the tokens (and blind indexes) in the app's SQL stores still
name the retired key. This service walks every encrypted column the data map marks::

    rewrap   every token not under the active encryption key   ── one audit entry
    reindex  every blind index not under the active index key      per dataset and run
    drop     a retired key, refused while a token (or index) still names it ── audited

in batches (:class:`~yinsi.connectors.rewrap.SqlRewrapper`,
:class:`~yinsi.connectors.reindex.SqlReindexer`), one job per store, connected on first
use and closed when the run ends. The entry point shows the progress through the
callbacks (``on_dataset``, ``on_batch``, ``on_done``); audit details hold key ids and
counts, never a value.

The data map is read as written, not checked against a published declaration: keys are
rotated for the stores' sake, whatever the app has published. So this service is built
from the map alone, not by :class:`~yinsi.services.root.Services`; the audit log is
passed to the calls that write it, so that nothing is opened before the map and the
keys have been checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from yinsi.connectors.reindex import (
    DatasetReindex,
    ReindexCount,
    ReindexTarget,
    SqlReindexer,
    reindex_targets,
)
from yinsi.connectors.rewrap import (
    ColumnCount,
    DatasetRewrap,
    RewrapTarget,
    SqlRewrapper,
    rewrap_targets,
)
from yinsi.connectors.sql_job import SqlStoreJob
from yinsi.declaration import DeclarationError
from yinsi.declaration.datamap import DataMap
from yinsi.declaration.datamap_checks import read_data_map
from yinsi.security import BlindIndex, FieldCipher, FileKeySource, JsonValue, KeySet
from yinsi.services.audit import AuditService

__all__ = [
    "AUDIT_DROPPED",
    "AUDIT_INDEX_DROPPED",
    "AUDIT_REINDEXED",
    "AUDIT_REWRAPPED",
    "ColumnCount",
    "DatasetReindex",
    "DatasetRewrap",
    "FieldKeyError",
    "FieldKeyService",
    "KeyDrop",
    "KeyInUse",
    "NothingToSweep",
    "ReindexCount",
    "ReindexTarget",
    "RewrapTarget",
]

AUDIT_REWRAPPED = "keys.rewrapped"
AUDIT_DROPPED = "keys.dropped"
AUDIT_REINDEXED = "keys.reindexed"
AUDIT_INDEX_DROPPED = "keys.blind_index_dropped"

DEFAULT_BATCH = 500

OnDataset = Callable[[str, int], None]
"""A dataset's pass begins: its name and the rows it has to rewrite."""
OnBatch = Callable[[str, int], None]
"""A batch of a dataset's pass is done: the dataset's name and the rows it read."""


class FieldKeyError(Exception):
    """A key job that cannot run as asked; the message says what to do."""


class NothingToSweep(FieldKeyError):
    """The data map marks no column the job would walk."""


class KeyInUse(FieldKeyError):
    """A retired key cannot be dropped: tokens (or blind indexes) still name it."""

    def __init__(self, kid: str, left: dict[str, int], *, blind_index: bool) -> None:
        things = "blind indexes" if blind_index else "tokens"
        where = ", ".join(f"{name}: {n}" for name, n in left.items())
        super().__init__(
            f"key {kid!r} is still used by {sum(left.values())} {things} ({where}); "
            f"run `yinsi keys {'reindex' if blind_index else 'rewrap'}` first"
        )
        self.kid = kid
        self.left = left
        """Per ``dataset.column``, how many still use the key (columns with none left out)."""
        self.blind_index = blind_index


@dataclass(frozen=True, slots=True)
class KeyDrop:
    """A retired key no token (or index) of the data map uses any more: ready to drop."""

    kid: str
    blind_index: bool
    keys: KeySet
    """The key set without the key."""
    datasets: tuple[str, ...]
    """The datasets swept for the key."""


Job = TypeVar("Job", bound=SqlStoreJob)


class _Stores(Generic[Job]):
    """A job (a rewrapper, a reindexer) per SQL store of the data map, connected on first use."""

    def __init__(self, data_map: DataMap, kind: type[Job]) -> None:
        self._data_map = data_map
        self._kind = kind
        self._open: dict[str, Job] = {}

    def __getitem__(self, store_id: str) -> Job:
        found = self._open.get(store_id)
        if found is None:
            found = self._kind.connect(self._data_map.store(store_id))
            self._open[store_id] = found
        return found

    def close(self) -> None:
        with ExitStack() as stack:
            for job in self._open.values():
                stack.callback(job.close)


@contextmanager
def _jobs(data_map: DataMap, kind: type[Job]) -> Iterator[_Stores[Job]]:
    """A :class:`_Stores` of ``kind`` jobs, every connection closed on leaving."""
    stores = _Stores(data_map, kind)
    try:
        yield stores
    finally:
        stores.close()


class FieldKeyService:
    """Rewrap, reindex and key drops on the SQL stores of one data map (read as written)."""

    def __init__(self, data_map: DataMap) -> None:
        self.data_map = data_map

    @classmethod
    def read(cls, path: Path) -> FieldKeyService:
        """The service for the data map at ``path``; its problems (FILE:LINE) raise
        ``DeclarationError``."""
        data_map, problems = read_data_map(path)
        if data_map is None:
            raise DeclarationError(problems)
        return cls(data_map)

    # ------------------------------------------------------------ targets

    def rewrap_targets(self) -> list[RewrapTarget]:
        """The SQL datasets with ``encrypted: true`` columns; none raises :class:`NothingToSweep`."""
        targets = rewrap_targets(self.data_map)
        if not targets:
            raise NothingToSweep(
                "the data map marks no SQL column `encrypted: true`; mark the columns that "
                "hold yinsi tokens (yv1.…) under their dataset's fields"
            )
        return targets

    def index_targets(self) -> list[ReindexTarget]:
        """The SQL datasets with blind-indexed encrypted columns; none raises
        :class:`NothingToSweep`."""
        targets = reindex_targets(self.data_map)
        if not targets:
            raise NothingToSweep(
                "the data map names no blind index; give each encrypted field with one "
                "`blind_index: {column: …, kind: phone | id_number}` (and its `context`)"
            )
        return targets

    # ------------------------------------------------------------ rewrap and reindex

    def rewrap(
        self,
        targets: list[RewrapTarget],
        cipher: FieldCipher,
        audit: AuditService,
        *,
        actor: str,
        size: int = DEFAULT_BATCH,
        on_dataset: OnDataset | None = None,
        on_batch: OnBatch | None = None,
        on_done: Callable[[DatasetRewrap, list[ColumnCount]], None] | None = None,
    ) -> list[DatasetRewrap]:
        """Rewrap every token of ``targets`` not under the active key, dataset by dataset.

        Every dataset's tokens are counted first (each store reached before any row is
        rewritten); then each pass is audited (``keys.rewrapped``) and handed to
        ``on_done`` with the per-column counts read before it.
        """
        passes = []
        with _jobs(self.data_map, SqlRewrapper) as stores:
            counts = {t.dataset: stores[t.store].count(t, cipher.active_kid) for t in targets}
            for t in targets:
                total, per_column = counts[t.dataset]
                if on_dataset is not None:
                    on_dataset(t.dataset, total)
                done = stores[t.store].rewrap(
                    t, cipher, size=size, on_batch=_batches(t.dataset, on_batch)
                )
                audit.record(actor, AUDIT_REWRAPPED, self.data_map.app, details=_rewrapped(done))
                passes.append(done)
                if on_done is not None:
                    on_done(done, per_column)
        return passes

    def reindex(
        self,
        targets: list[ReindexTarget],
        cipher: FieldCipher,
        index: BlindIndex,
        audit: AuditService,
        *,
        actor: str,
        size: int = DEFAULT_BATCH,
        on_dataset: OnDataset | None = None,
        on_batch: OnBatch | None = None,
        on_done: Callable[[DatasetReindex, list[ReindexCount]], None] | None = None,
    ) -> list[DatasetReindex]:
        """Recompute every blind index of ``targets`` not under the active key, dataset by
        dataset: counted first, each pass audited (``keys.reindexed``), as :meth:`rewrap`."""
        passes = []
        with _jobs(self.data_map, SqlReindexer) as stores:
            counts = {t.dataset: stores[t.store].count(t, index.active_kid) for t in targets}
            for t in targets:
                total, per_column = counts[t.dataset]
                if on_dataset is not None:
                    on_dataset(t.dataset, total)
                done = stores[t.store].reindex(
                    t, cipher, index, size=size, on_batch=_batches(t.dataset, on_batch)
                )
                audit.record(actor, AUDIT_REINDEXED, self.data_map.app, details=_reindexed(done))
                passes.append(done)
                if on_done is not None:
                    on_done(done, per_column)
        return passes

    # ------------------------------------------------------------ dropping a key

    def check_drop(self, keys: KeySet, kid: str, *, blind_index: bool) -> KeyDrop:
        """``kid`` removed from ``keys``, once no token (or index) of the stores names it.

        Raises ``SecurityError`` for an unknown or the active key, :class:`NothingToSweep`
        for a map without such columns and :class:`KeyInUse` while one still names it.
        """
        dropped = keys.drop_blind_index(kid) if blind_index else keys.drop_encryption(kid)
        datasets, left = self._still_using(kid, blind_index=blind_index)
        if left:
            raise KeyInUse(kid, left, blind_index=blind_index)
        return KeyDrop(kid, blind_index, dropped, datasets)

    def drop(
        self, checked: KeyDrop, source: FileKeySource, audit: AuditService, *, actor: str
    ) -> None:
        """Save the key file without the key, in the transaction of its audit entry: no
        drop without its record."""
        datasets: list[JsonValue] = list(checked.datasets)
        audit.record(
            actor,
            AUDIT_INDEX_DROPPED if checked.blind_index else AUDIT_DROPPED,
            self.data_map.app,
            details={"kid": checked.kid, "datasets": datasets},
            before_commit=lambda: source.save(checked.keys),
        )

    def _still_using(
        self, kid: str, *, blind_index: bool
    ) -> tuple[tuple[str, ...], dict[str, int]]:
        """The datasets swept for ``kid``, and per ``dataset.column`` how many tokens (or
        blind indexes) still use it (columns with none left out)."""
        left: dict[str, int] = {}
        if blind_index:
            found = self.index_targets()
            with _jobs(self.data_map, SqlReindexer) as reindexers:
                for it in found:
                    for column, n in reindexers[it.store].count_under(it, kid).items():
                        left[f"{it.dataset}.{column}"] = n
            datasets = tuple(t.dataset for t in found)
        else:
            targets = self.rewrap_targets()
            with _jobs(self.data_map, SqlRewrapper) as rewrappers:
                for t in targets:
                    for column, n in rewrappers[t.store].count_under(t, kid).items():
                        left[f"{t.dataset}.{column}"] = n
            datasets = tuple(t.dataset for t in targets)
        return datasets, {name: n for name, n in left.items() if n}


class _Batch(Protocol):
    """A batch of either job (rewrap or reindex), as far as the progress goes."""

    @property
    def seen(self) -> int: ...


def _batches(dataset: str, on_batch: OnBatch | None) -> Callable[[_Batch], None] | None:
    """A job's per-batch callback that tells ``on_batch`` the rows the batch read."""
    if on_batch is None:
        return None

    def seen(result: _Batch) -> None:
        on_batch(dataset, result.seen)

    return seen


def _rewrapped(done: DatasetRewrap) -> dict[str, JsonValue]:
    """The audit entry's details of one dataset's rewrap: key ids and counts, never a value."""
    t = done.target
    return {
        "dataset": t.dataset,
        "store": t.store,
        "table": t.table,
        "columns": list(t.columns),
        "kid": done.kid,
        "rows": done.rows,
        "tokens": done.tokens,
        "remaining": done.remaining,
    }


def _reindexed(done: DatasetReindex) -> dict[str, JsonValue]:
    """The audit entry's details of one dataset's reindex: key ids and counts, never a value."""
    t = done.target
    return {
        "dataset": t.dataset,
        "store": t.store,
        "table": t.table,
        "columns": [c.index_column for c in t.columns],
        "kid": done.kid,
        "rows": done.rows,
        "indexes": done.indexes,
        "remaining": done.remaining,
    }
