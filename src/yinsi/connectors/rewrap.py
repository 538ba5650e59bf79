"""Rewrap encrypted columns under the active key after a rotation (X09, X25, W17).

The data map marks the SQL columns that hold :class:`~yinsi.security.FieldCipher` tokens
(``encrypted: true``). After ``yinsi keys rotate`` a token wrapped under a retired key
still decrypts; :meth:`SqlRewrapper.batch` moves it to the active key, in short
transactions over key-ordered batches::

    SELECT pk, c1, c2 … WHERE pk > :after AND (c1 LIKE 'yv1.%' AND c1 NOT LIKE 'yv1.<active>.%'
                                               OR …)
    ORDER BY pk LIMIT :n FOR UPDATE SKIP LOCKED          (SQLite: a write transaction)
    UPDATE … SET c1 = :rewrapped … WHERE pk = :k AND c1 = :read AND c2 = :read …

Only the wrapped data key changes; the value part is copied byte for byte, so no
plaintext is ever formed or written. A row the application rewrote meanwhile fails the
compare-and-swap and keeps the application's value; a locked row is skipped. Either is
counted as ``remaining`` after the pass and found by the next run: a rewrap is resumable
by nature, since "not under the active key" is read from the tokens themselves.

Values that are not tokens (``NULL``, or what an erasure strategy wrote, such as
``已匿名``) are left alone and counted as :attr:`ColumnCount.not_tokens`.

Before a retired key is dropped, :meth:`SqlRewrapper.count_under` counts the tokens that
still name it. LIKE may ignore case (SQLite, MySQL collations), so its matches are
confirmed in Python: the count is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    func,
    not_,
    or_,
    select,
    update,
)

from yinsi.connectors.sql_job import SqlStoreJob
from yinsi.declaration.datamap import DataMap
from yinsi.rights.ports import ConnectorError
from yinsi.security.crypto_errors import DecryptionError
from yinsi.security.envelope import VERSION, FieldCipher, token_prefix

DEFAULT_BATCH = 500
_ANY_TOKEN = f"{VERSION}."


@dataclass(frozen=True, slots=True)
class RewrapTarget:
    """The encrypted columns of one SQL dataset."""

    dataset: str
    store: str
    table: str
    primary_key: str
    columns: tuple[str, ...]


def rewrap_targets(data_map: DataMap) -> list[RewrapTarget]:
    """Every SQL dataset with ``encrypted: true`` columns, in data-map order."""
    sql = {s.id for s in data_map.stores if s.kind == "sql"}
    targets = []
    for ds in data_map.datasets:
        columns = tuple(f.column for f in ds.fields if f.encrypted and f.column is not None)
        if columns and ds.store in sql and ds.table is not None and ds.primary_key is not None:
            targets.append(RewrapTarget(ds.id, ds.store, ds.table, ds.primary_key, columns))
    return targets


@dataclass(frozen=True, slots=True)
class ColumnCount:
    """Values of one encrypted column."""

    column: str
    to_rewrap: int
    """Tokens not under the active key."""
    not_tokens: int
    """Non-NULL values that are not yinsi tokens: erased values, or plaintext to migrate."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    rows: int
    """Rows rewritten."""
    tokens: int
    """Tokens rewrapped in those rows."""
    seen: int
    """Rows read (rows rewritten + rows changed meanwhile by the application)."""
    last: object
    """The last key read: the next batch starts after it."""
    done: bool
    """No row to rewrap is left after ``last``."""


@dataclass(frozen=True, slots=True)
class DatasetRewrap:
    """The outcome of one pass over a dataset."""

    target: RewrapTarget
    kid: str
    rows: int
    tokens: int
    batches: int
    remaining: int
    """Rows still holding a token under another key (locked or rewritten meanwhile by a
    process on the old key set): the next run takes them."""


class SqlRewrapper(SqlStoreJob):
    """Counts and rewraps the encrypted columns of one SQL store."""

    not_sql = "has no SQL columns to rewrap"

    # -- counts -----------------------------------------------------------------------

    def count(self, target: RewrapTarget, active_kid: str) -> tuple[int, list[ColumnCount]]:
        """Rows with a token to rewrap, and per column its tokens to rewrap and non-tokens."""
        table = self._table(target)
        prefix = token_prefix(active_kid)
        doing = f"counting tokens of table {target.table!r}"
        counts = []
        with self._transaction(doing) as conn:
            rows = conn.execute(
                select(func.count()).select_from(table).where(self._stale(table, target, prefix))
            ).scalar_one()
            for name in target.columns:
                column = table.c[name]
                stale = conn.execute(
                    select(func.count()).where(_stale_column(column, prefix))
                ).scalar_one()
                other = conn.execute(
                    select(func.count()).where(
                        column.is_not(None), not_(column.startswith(_ANY_TOKEN, autoescape=True))
                    )
                ).scalar_one()
                counts.append(ColumnCount(name, int(stale), int(other)))
        return int(rows), counts

    def count_under(self, target: RewrapTarget, kid: str) -> dict[str, int]:
        """Per column, the tokens whose data key ``kid`` wraps (exact, whatever LIKE's case)."""
        table = self._table(target)
        prefix = token_prefix(kid)
        found = {}
        with self._transaction(f"counting tokens of table {target.table!r}") as conn:
            for name in target.columns:
                column = table.c[name]
                matches = conn.execute(
                    select(column).where(column.startswith(prefix, autoescape=True))
                ).scalars()
                found[name] = sum(1 for v in matches if isinstance(v, str) and v.startswith(prefix))
        return found

    # -- rewrap -----------------------------------------------------------------------

    def batch(
        self, target: RewrapTarget, cipher: FieldCipher, *, after: object, size: int
    ) -> BatchResult:
        """Rewrap the next ``size`` rows after key ``after`` (``None``: from the start)."""
        if size < 1:
            raise ValueError("the batch size must be at least 1")
        table = self._table(target)
        pk = table.c[target.primary_key]
        columns = [table.c[name] for name in target.columns]
        where = [self._stale(table, target, token_prefix(cipher.active_kid))]
        if after is not None:
            where.append(pk > after)
        query = (
            select(pk, *columns)
            .where(*where)
            .order_by(pk)
            .limit(size)
            .with_for_update(skip_locked=True)
        )
        rows = tokens = seen = 0
        last: object = after
        with self._transaction(f"rewrapping table {target.table!r}") as conn:
            for row in conn.execute(query).all():
                seen += 1
                key, olds = row[0], row[1:]
                last = key
                news = [
                    self._rewrapped(target, name, key, old, cipher)
                    for name, old in zip(target.columns, olds, strict=True)
                ]
                changed = sum(1 for old, new in zip(olds, news, strict=True) if new != old)
                if not changed:
                    continue
                read = [
                    c.is_(None) if old is None else c == old
                    for c, old in zip(columns, olds, strict=True)
                ]
                done = conn.execute(
                    update(table)
                    .where(pk == key, *read)
                    .values({c.name: new for c, new in zip(columns, news, strict=True)})
                ).rowcount
                if done == 1:
                    rows += 1
                    tokens += changed
        return BatchResult(rows=rows, tokens=tokens, seen=seen, last=last, done=seen < size)

    def rewrap(
        self,
        target: RewrapTarget,
        cipher: FieldCipher,
        *,
        size: int = DEFAULT_BATCH,
        on_batch: Callable[[BatchResult], None] | None = None,
    ) -> DatasetRewrap:
        """One pass over ``target`` in batches, then what is left (see the module docstring)."""
        after: object = None
        rows = tokens = batches = 0
        while True:
            result = self.batch(target, cipher, after=after, size=size)
            if result.seen:
                batches += 1
                rows += result.rows
                tokens += result.tokens
                if on_batch is not None:
                    on_batch(result)
            after = result.last
            if result.done:
                break
        remaining, _ = self.count(target, cipher.active_kid)
        return DatasetRewrap(target, cipher.active_kid, rows, tokens, batches, remaining)

    def _rewrapped(
        self, target: RewrapTarget, name: str, key: object, old: object, cipher: FieldCipher
    ) -> object:
        if not isinstance(old, str) or not old.startswith(_ANY_TOKEN):
            return old
        try:
            return cipher.rewrap(old)
        except DecryptionError as exc:
            kid = exc.kid or "?"
            raise ConnectorError(
                self.store,
                f"the token in column {name!r} of table {target.table!r} (dataset "
                f"{target.dataset!r}), row {target.primary_key}={key!r}, under key id {kid!r} "
                f"cannot be rewrapped: {exc}",
            ) from None

    # -- predicates and tables --------------------------------------------------------

    def _stale(self, table: Table, target: RewrapTarget, prefix: str) -> ColumnElement[bool]:
        return or_(*(_stale_column(table.c[name], prefix) for name in target.columns))

    def _table(self, target: RewrapTarget) -> Table:
        names = [target.primary_key, *target.columns]
        check = "its primary_key and the fields marked `encrypted: true`"
        return self._reflect(target.table, target.dataset, names, check)


def _stale_column(column: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    """A token (``yv1.…``) that is not under the key of ``prefix``."""
    return and_(
        column.startswith(_ANY_TOKEN, autoescape=True),
        not_(column.startswith(prefix, autoescape=True)),
    )
