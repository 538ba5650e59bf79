"""Recompute blind indexes under the active blind-index key after a rotation (W17).

The data map names, per encrypted SQL column, the column holding its blind index and the
FieldCipher context the value is encrypted with::

    - {column: phone_enc, element: mobile_number, encrypted: true,
       context: customers.phone, blind_index: {column: phone_bidx, kind: phone}}

After the blind-index key is rotated, indexes made under the retired key keep matching
(lookups ask with :meth:`~yinsi.security.BlindIndex.candidates`, one index per key of the
ring). :meth:`SqlReindexer.batch` moves them to the active key in short transactions over
key-ordered batches, like the rewrap::

    SELECT pk, enc…, bidx… WHERE pk > :after AND (bidx1 NOT LIKE '<active>.%' OR …)
    ORDER BY pk LIMIT :n FOR UPDATE SKIP LOCKED          (SQLite: a write transaction)
    UPDATE … SET bidx1 = :new … WHERE pk = :k AND enc1 = :read AND bidx1 = :read …

Each stale index is recomputed from its decrypted value; the plaintext lives only in
memory for the HMAC and is never written or shown. A row the application rewrote
meanwhile fails the compare-and-swap and keeps the application's values; a locked row is
skipped. An index whose value is not a token (NULL, or erased, e.g. ``已匿名``) cannot be
recomputed: it is left alone and counted. All of these are ``remaining`` after a pass; a
second run takes what it can, since "stale" is read from the indexes themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Table, and_, func, not_, or_, select, update

from yinsi.connectors.sql_job import SqlStoreJob
from yinsi.declaration.datamap import DataMap
from yinsi.rights.ports import ConnectorError
from yinsi.security.blind_index import BlindIndex, IndexKind
from yinsi.security.crypto_errors import DecryptionError
from yinsi.security.envelope import VERSION, FieldCipher

DEFAULT_BATCH = 500
_ANY_TOKEN = f"{VERSION}."


@dataclass(frozen=True, slots=True)
class IndexedColumn:
    """An encrypted column and the column with its value's blind index."""

    column: str
    index_column: str
    kind: IndexKind
    context: str
    """The FieldCipher context of the encrypted values."""


@dataclass(frozen=True, slots=True)
class ReindexTarget:
    """The blind-indexed encrypted columns of one SQL dataset."""

    dataset: str
    store: str
    table: str
    primary_key: str
    columns: tuple[IndexedColumn, ...]


def reindex_targets(data_map: DataMap) -> list[ReindexTarget]:
    """Every SQL dataset with encrypted columns that have a ``blind_index``, in data-map order."""
    sql = {s.id for s in data_map.stores if s.kind == "sql"}
    targets = []
    for ds in data_map.datasets:
        if ds.store not in sql or ds.table is None or ds.primary_key is None:
            continue
        columns = tuple(
            IndexedColumn(
                f.column,
                f.blind_index.column,
                IndexKind(f.blind_index.kind),
                f.context or f"{ds.table}.{f.column}",
            )
            for f in ds.fields
            if f.encrypted and f.blind_index is not None and f.column is not None
        )
        if columns:
            targets.append(ReindexTarget(ds.id, ds.store, ds.table, ds.primary_key, columns))
    return targets


@dataclass(frozen=True, slots=True)
class ReindexCount:
    """Indexes of one blind-index column not under the active key."""

    index_column: str
    stale: int
    not_tokens: int
    """Of those, indexes whose value is not a token (NULL or erased): not recomputable."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    rows: int
    """Rows rewritten."""
    indexes: int
    """Indexes recomputed in those rows."""
    seen: int
    """Rows read."""
    last: object
    """The last key read: the next batch starts after it."""
    done: bool
    """No row with a stale index is left after ``last``."""


@dataclass(frozen=True, slots=True)
class DatasetReindex:
    """The outcome of one pass over a dataset."""

    target: ReindexTarget
    kid: str
    rows: int
    indexes: int
    batches: int
    remaining: int
    """Rows still holding an index under another key (locked, rewritten meanwhile, or
    with a value that is not a token)."""


class SqlReindexer(SqlStoreJob):
    """Counts and recomputes the blind indexes of one SQL store."""

    not_sql = "has no SQL columns to reindex"

    # -- counts -----------------------------------------------------------------------

    def count(self, target: ReindexTarget, active_kid: str) -> tuple[int, list[ReindexCount]]:
        """Rows with an index to recompute, and per index column its stale indexes."""
        table = self._table(target)
        prefix = f"{active_kid}."
        counts = []
        with self._transaction(f"counting blind indexes of table {target.table!r}") as conn:
            rows = conn.execute(
                select(func.count()).select_from(table).where(_stale(table, target, prefix))
            ).scalar_one()
            for c in target.columns:
                stale = _stale_index(table.c[c.index_column], prefix)
                total = conn.execute(select(func.count()).where(stale)).scalar_one()
                value = table.c[c.column]
                not_token = or_(
                    value.is_(None), not_(value.startswith(_ANY_TOKEN, autoescape=True))
                )
                other = conn.execute(select(func.count()).where(stale, not_token)).scalar_one()
                counts.append(ReindexCount(c.index_column, int(total), int(other)))
        return int(rows), counts

    def count_under(self, target: ReindexTarget, kid: str) -> dict[str, int]:
        """Per index column, the indexes made under ``kid`` (exact, whatever LIKE's case)."""
        table = self._table(target)
        prefix = f"{kid}."
        found = {}
        with self._transaction(f"counting blind indexes of table {target.table!r}") as conn:
            for c in target.columns:
                column = table.c[c.index_column]
                matches = conn.execute(
                    select(column).where(column.startswith(prefix, autoescape=True))
                ).scalars()
                found[c.index_column] = sum(
                    1 for v in matches if isinstance(v, str) and v.startswith(prefix)
                )
        return found

    # -- recompute --------------------------------------------------------------------

    def batch(
        self,
        target: ReindexTarget,
        cipher: FieldCipher,
        index: BlindIndex,
        *,
        after: object,
        size: int,
    ) -> BatchResult:
        """Recompute the stale indexes of the next ``size`` rows after key ``after``."""
        if size < 1:
            raise ValueError("the batch size must be at least 1")
        table = self._table(target)
        pk = table.c[target.primary_key]
        values = [table.c[c.column] for c in target.columns]
        indexes = [table.c[c.index_column] for c in target.columns]
        where = [_stale(table, target, f"{index.active_kid}.")]
        if after is not None:
            where.append(pk > after)
        query = (
            select(pk, *values, *indexes)
            .where(*where)
            .order_by(pk)
            .limit(size)
            .with_for_update(skip_locked=True)
        )
        n = len(target.columns)
        rows = done_indexes = seen = 0
        last: object = after
        with self._transaction(f"recomputing blind indexes of table {target.table!r}") as conn:
            for row in conn.execute(query).all():
                seen += 1
                key, olds, old_indexes = row[0], row[1 : 1 + n], row[1 + n :]
                last = key
                news = {
                    c.index_column: self._index(target, c, key, value, cipher, index)
                    for c, value, old in zip(target.columns, olds, old_indexes, strict=True)
                    if isinstance(old, str) and index.needs_recompute(old) and _is_token(value)
                }
                if not news:
                    continue
                read = [
                    col.is_(None) if old is None else col == old
                    for col, old in zip([*values, *indexes], [*olds, *old_indexes], strict=True)
                ]
                changed = conn.execute(update(table).where(pk == key, *read).values(news)).rowcount
                if changed == 1:
                    rows += 1
                    done_indexes += len(news)
        return BatchResult(rows, done_indexes, seen, last, done=seen < size)

    def reindex(
        self,
        target: ReindexTarget,
        cipher: FieldCipher,
        index: BlindIndex,
        *,
        size: int = DEFAULT_BATCH,
        on_batch: Callable[[BatchResult], None] | None = None,
    ) -> DatasetReindex:
        """One pass over ``target`` in batches, then what is left (see the module docstring)."""
        after: object = None
        rows = indexes = batches = 0
        while True:
            result = self.batch(target, cipher, index, after=after, size=size)
            if result.seen:
                batches += 1
                rows += result.rows
                indexes += result.indexes
                if on_batch is not None:
                    on_batch(result)
            after = result.last
            if result.done:
                break
        remaining, _ = self.count(target, index.active_kid)
        return DatasetReindex(target, index.active_kid, rows, indexes, batches, remaining)

    def _index(
        self,
        target: ReindexTarget,
        column: IndexedColumn,
        key: object,
        token: object,
        cipher: FieldCipher,
        index: BlindIndex,
    ) -> str:
        where = (
            f"column {column.column!r} of table {target.table!r} (dataset {target.dataset!r}), "
            f"row {target.primary_key}={key!r}"
        )
        assert isinstance(token, str)
        try:
            return index.of(cipher.decrypt(token, context=column.context), kind=column.kind)
        except DecryptionError as exc:
            raise ConnectorError(
                self.store,
                f"the token in {where} does not decrypt under context {column.context!r}: "
                f"{exc}; check the field's `context` in the data map",
            ) from None
        except ValueError as exc:  # nothing left to index after normalisation
            raise ConnectorError(
                self.store, f"the value in {where} cannot be indexed as {column.kind}: {exc}"
            ) from None

    def _table(self, target: ReindexTarget) -> Table:
        names = [target.primary_key]
        for c in target.columns:
            names += [c.column, c.index_column]
        check = "its primary_key, the encrypted fields and their `blind_index` columns"
        return self._reflect(target.table, target.dataset, names, check)


def _is_token(value: object) -> bool:
    return isinstance(value, str) and value.startswith(_ANY_TOKEN)


def _stale(table: Table, target: ReindexTarget, prefix: str) -> ColumnElement[bool]:
    return or_(*(_stale_index(table.c[c.index_column], prefix) for c in target.columns))


def _stale_index(column: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    """An index (not NULL) that was not made under the key of ``prefix`` (``<kid>.``)."""
    return and_(column.is_not(None), not_(column.startswith(prefix, autoescape=True)))
