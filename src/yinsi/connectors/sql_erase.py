"""Erasure by predicate on SQL stores: a subject's rows erased without reading them first.

:meth:`SqlConnector.erase_where <yinsi.connectors.sql.SqlConnector.erase_where>` builds
its statements here, with SQLAlchemy Core (never by formatting strings), the same on
PostgreSQL, MariaDB and SQLite:

* a root dataset: ``WHERE <subject column> IN (:subjects)``;
* a child: ``WHERE <parent column> IN (SELECT <referenced column> FROM <parent table>
  WHERE …)`` up its parent chain, every table in the same store; a child whose parent
  link holds the subject itself (``orders.user_id`` → ``users.id`` matched by ``id``)
  is matched directly, with no subquery. A chain never reads the table it erases, so
  MariaDB's refusal of ``DELETE … WHERE x IN (SELECT … FROM the same table)`` never
  applies.

``erase: row`` → one ``DELETE … WHERE``. ``erase: fields`` whose strategies only empty
values (``delete``, ``null``) → one ``UPDATE … SET c = NULL WHERE … AND (c IS NOT NULL
…)``, so a re-run counts 0; other strategies read the rows ``FOR UPDATE`` through the
predicate and apply each field's strategy (the connector's key-based path).

A statement is built once per connector, dataset and form (the subjects one parameter:
``= ANY(:array)`` on PostgreSQL, an expanding ``IN`` elsewhere), not per call. For many
subjects each gets its own count without every erased row crossing the network:

* PostgreSQL, :data:`REPEATABLE_FROM` subjects or more, in a transaction this module opened
  ``REPEATABLE READ`` (when such a set is its first statement, whatever the form, see
  :func:`_repeatable`; the rest of the transaction then runs so too): ``WITH gone AS
  (DELETE … WHERE p) SELECT subject, count(*) FROM t WHERE p GROUP BY subject``. Exact:
  every part of one statement reads the same snapshot, and in ``REPEATABLE READ`` the
  ``DELETE`` removes exactly the snapshot's rows matching ``p`` — a row another
  transaction deleted or changed after the snapshot makes it fail (``could not serialize
  access``: nothing is erased, the caller runs again), never skips the row as ``READ
  COMMITTED`` would; rows inserted after the snapshot are seen by neither part. The
  count is an index-only scan, run before the ``DELETE``: server CPU +13% of a bare
  ``DELETE`` on a vacuumed table, +50% on rows just inserted (their heap visited for
  visibility); counting the rows that ``DELETE … RETURNING`` gives costs +115-135% (it visits
  each row's heap tuple again), a ``ctid`` join more still (micro-benchmarks, 1,000
  subjects × 6 tables × 100 rows, chunks of 250).
* PostgreSQL otherwise (a transaction already begun ``READ COMMITTED``, few subjects):
  ``WITH gone AS (DELETE … RETURNING subject) SELECT subject, count(*) … GROUP BY``.
* MariaDB (MySQL): ``SELECT subject, count(*) … GROUP BY … LOCK IN SHARE MODE``, then
  the statement, whose row count must equal the counts' sum (:func:`_locked_count`; no
  ``UPDATE … RETURNING`` there). Exact: the ``SELECT`` is a locking read of the rows'
  latest versions (not a snapshot), and its shared locks keep each row it counted from
  being deleted or leaving ``p`` until the transaction ends, so the statement changes
  all of them (counted set ``S`` ⊆ changed set ``D``). A row it did not count is one
  written after it — none in ``REPEATABLE READ``, the default, whose gap locks keep new
  rows of the subjects out; possible in ``READ COMMITTED`` —, so ``D`` = ``S`` + those
  and equal totals mean ``D`` = ``S``, subject by subject; unequal ones raise
  :class:`CountsChanged` (rolled back, run again). Server CPU over a bare ``DELETE``:
  +12%, where ``FOR UPDATE`` cost +28% (it also locks each row's clustered record, which
  the statement then visits anyway) and ``DELETE … RETURNING`` +9% but +50% of wall
  time (every row sent). Two such erasures of the same rows at once may deadlock on the
  upgrade to exclusive locks: one fails, nothing of it kept. A count on the snapshot
  checked against the row count is not exact (a row deleted and another inserted after
  it keep the total) unless ``innodb_snapshot_isolation`` (MariaDB 10.6.18+, in
  ``REPEATABLE READ``) fails the ``DELETE`` on any row changed since: +5%, but any
  concurrent write then fails the erasure instead of waiting, and older servers lack it.
* SQLite: ``RETURNING``, in process.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Table,
    and_,
    any_,
    bindparam,
    cast,
    func,
    or_,
)
from sqlalchemy import delete as sql_delete
from sqlalchemy import select as sql_select
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import NullType

from yinsi.connectors.sql_types import SqlKind, sql_kind
from yinsi.connectors.sql_values import coerce_all
from yinsi.declaration.datamap import EMPTYING, Dataset
from yinsi.rights.ports import EraseOutcome

__all__ = ["Cache", "CountsChanged", "erase_where", "in_values", "subject_filter", "untouched"]

FieldEraser = Callable[[Connection, Table, Dataset, ColumnElement[bool]], list[str]]
"""Applies the dataset's field strategies to the rows a clause selects; the changed keys."""


def in_values(conn: Connection, column: Column[Any], values: list[object]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``, one parameter,
    which psycopg parses once (a long IN list is parsed again on every call)."""
    plain = not isinstance(column.type, (NullType, ARRAY))  # a type PostgreSQL can cast to
    if conn.dialect.name == "postgresql" and plain:
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


REPEATABLE_FROM = 32
"""Subjects from which PostgreSQL counts on the ``DELETE``'s snapshot in ``REPEATABLE
READ`` (the transaction's first statement sets it): a batch's sets. Fewer (one request's
identities) keep ``READ COMMITTED``, where a concurrent write never fails the run."""
_REPEATABLE = "yinsi.repeatable_read"
"""Key in the connection's ``info``: the transaction :func:`_repeatable` made so."""
_IDLE = 0
"""psycopg's ``TransactionStatus.IDLE``: no transaction begun on the connection yet."""

SUBJECTS = "yinsi_subjects"
"""The one parameter of a cached statement: the subjects' values, as the matched column
takes them."""

Cache = dict[tuple[object, ...], tuple[Any, Column[Any], Column[Any] | None]]
"""Statements built once per connector: by dataset, fields, chain and form, the statement
(its subjects a parameter), the column its values are coerced to, and the column holding
the subject when the rows tell it."""


def _subjects_in(
    conn: Connection, column: Column[Any], subjects: Sequence[str] | None
) -> ColumnElement[bool]:
    """``column IN (subjects)``; ``subjects`` None: the values are one parameter,
    :data:`SUBJECTS` (``= ANY(:array)`` on PostgreSQL, parsed once; an expanding ``IN``
    elsewhere)."""
    if subjects is not None:
        return in_values(conn, column, coerce_all(column, subjects))
    plain = not isinstance(column.type, (NullType, ARRAY))
    if conn.dialect.name == "postgresql" and plain:
        return column == any_(bindparam(SUBJECTS, type_=ARRAY(column.type)))
    return column.in_(bindparam(SUBJECTS, expanding=True))


def subject_filter(
    conn: Connection,
    dataset: Dataset,
    table: Table,
    chain: Sequence[tuple[Dataset, Table]],
    subjects: Sequence[str] | None = None,
) -> tuple[ColumnElement[bool], Column[Any], Column[Any] | None]:
    """The clause selecting the subjects' rows of ``table`` (``subjects`` None: they are
    the parameter :data:`SUBJECTS`), the column whose type the subjects' values take, and the column of
    ``table`` whose value is the subject (None when the rows link to it through a
    subquery)."""
    if not chain:
        if dataset.subject is None:
            raise ValueError(f"dataset {dataset.id!r} has no `subject`: it cannot be a root")
        column = table.c[dataset.subject.column]
        return _subjects_in(conn, column, subjects), column, column
    if dataset.parent is None:
        raise ValueError(f"dataset {dataset.id!r} has no `parent` to match it through")
    parent, parent_table = chain[0]
    link = table.c[dataset.parent.column]
    referenced = dataset.parent.references or parent.primary_key or ""
    direct = parent.subject is not None and referenced == parent.subject.column
    if len(chain) == 1 and direct:
        return _subjects_in(conn, link, subjects), link, link
    inner, typed, _ = subject_filter(conn, parent, parent_table, chain[1:], subjects)
    near, far = _comparable(conn, link, parent_table.c[referenced])
    return near.in_(sql_select(far).where(inner)), typed, None


def _comparable(
    conn: Connection, link: Column[Any], referenced: Column[Any]
) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """``link`` and the parent column it references, as PostgreSQL compares them. A
    schema without foreign keys may keep a key as text in one table and as a number in
    the other (``repay.loan_id VARCHAR`` → ``loan.loan_id INTEGER``), which PostgreSQL
    refuses to compare (``character varying = integer``); MariaDB and SQLite convert on
    their own. The parent's number is then compared as text (a cast that cannot fail,
    and the child's index on its link still serves); a text key referenced by a number
    column casts the number column to text."""
    if conn.dialect.name != "postgresql":
        return link, referenced
    near, far = sql_kind(link.type), sql_kind(referenced.type)
    if near == far or SqlKind.TEXT not in (near, far):
        return link, referenced
    if near is SqlKind.TEXT:
        return link, cast(referenced, link.type)
    return cast(link, referenced.type), referenced


def erase_where(
    conn: Connection,
    dataset: Dataset,
    table: Table,
    chain: Sequence[tuple[Dataset, Table]],
    subjects: Sequence[str],
    erase_fields: FieldEraser,
    cache: Cache | None = None,
) -> EraseOutcome:
    """Erase the subjects' rows of ``dataset`` as it says (see the module docstring);
    the outcome counts them, per subject when the store can tell. ``cache``: the
    connector's statements, built once per dataset and form (no rebuild per call)."""
    unique = list(dict.fromkeys(subjects))
    single = unique[0] if len(unique) == 1 else None
    nulling = dataset.erase == "fields" and all(f.erase in EMPTYING for f in dataset.fields)
    if dataset.erases_nothing:
        return EraseOutcome(0, by_subject={s: 0 for s in unique})
    form = "row" if dataset.erase == "row" else "null" if nulling else "fields"
    key = (
        dataset.id,
        dataset.table,
        form,
        tuple(f.name for f in dataset.fields),
        tuple((d.id, t.name) for d, t in chain),
    )
    built = None if cache is None else cache.get(key)
    if built is None:
        built = _build(conn, dataset, table, chain, form)
        if cache is not None:
            cache[key] = built
    statement, typed, own = built
    repeatable = (  # a batch's set: its transaction made REPEATABLE READ when it can be
        single is None
        and len(unique) >= REPEATABLE_FROM
        and conn.dialect.name == "postgresql"
        and _repeatable(conn)
    )
    if single is None and (own is None or form == "fields"):
        # rows that do not tell their subject: one statement per subject, same transaction
        by = {
            s: erase_where(conn, dataset, table, chain, [s], erase_fields, cache).affected
            for s in unique
        }
        return EraseOutcome(sum(by.values()), by_subject=by)
    if form == "fields":  # the strategies read the rows: a clause with the values in it
        where, _, _ = subject_filter(conn, dataset, table, chain, unique)
        return _total(len(erase_fields(conn, table, dataset, where)), single)
    values = {SUBJECTS: coerce_all(typed, unique)}
    if single is not None:
        return _total(conn.execute(statement, values).rowcount, single)
    assert own is not None
    # many subjects: each one's count, not each row's subject (a batch erases 1000s of rows)
    dialect = conn.dialect
    if repeatable:
        where = statement.whereclause  # counted on the DELETE's own snapshot (docstring)
        counted = sql_select(own, func.count()).where(where).group_by(own)
        both = counted.add_cte(statement.cte("gone"))
        return _grouped(conn.execute(both, values).all(), unique)
    if dialect.name == "postgresql":  # one statement: WITH gone AS (… RETURNING) GROUP BY
        gone = statement.returning(own).cte("gone")
        subject = gone.c[own.name]
        counted = sql_select(subject, func.count()).group_by(subject)
        return _grouped(conn.execute(counted, values).all(), unique)
    returning = dialect.delete_returning if form == "row" else dialect.update_returning
    if returning and dialect.name == "sqlite":  # in process: nothing crosses a network
        return _counted(conn.execute(statement.returning(own), values).scalars().all(), unique)
    return _locked_count(conn, statement, own, values, unique)


class CountsChanged(Exception):
    """The statement changed other rows than the locking count counted (a concurrent
    write, ``READ COMMITTED``): the transaction must roll back and run again."""


def _locked_count(
    conn: Connection,
    statement: Any,
    own: Column[Any],
    values: dict[str, list[object]],
    subjects: list[str],
) -> EraseOutcome:
    """MariaDB's per-subject counts: read under shared locks, then the statement, whose
    row count proves they are its own (module docstring); :class:`CountsChanged` if not."""
    counting = sql_select(own, func.count()).where(statement.whereclause).group_by(own)
    counts = conn.execute(counting.with_for_update(read=True), values).all()
    affected = conn.execute(statement, values).rowcount
    outcome = _grouped(counts, subjects)
    if affected >= 0 and affected != outcome.affected:
        raise CountsChanged(
            f"{affected} rows matched where {outcome.affected} were counted under lock: "
            "another transaction wrote rows of these subjects meanwhile"
        )
    return outcome


def untouched(conn: Connection) -> bool:
    """Whether nothing has run yet in ``conn``'s transaction on PostgreSQL (psycopg begins
    it with the first statement): its isolation level can still be chosen."""
    if conn.dialect.name != "postgresql":
        return False
    driver = conn.connection.driver_connection
    status = getattr(getattr(driver, "info", None), "transaction_status", None)
    return status is not None and status == _IDLE


def _repeatable(conn: Connection) -> bool:
    """Whether ``conn``'s transaction is ``REPEATABLE READ``: made so here when nothing has
    run in it yet (``SET TRANSACTION`` as its first statement), or made so earlier here;
    False for a transaction already begun otherwise (``READ COMMITTED``)."""
    transaction = conn.get_transaction()
    if transaction is None:
        return False
    if conn.info.get(_REPEATABLE) is transaction:
        return True
    if not untouched(conn):
        return False
    conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    conn.info[_REPEATABLE] = transaction
    return True


def _build(
    conn: Connection,
    dataset: Dataset,
    table: Table,
    chain: Sequence[tuple[Dataset, Table]],
    form: str,
) -> tuple[Any, Column[Any], Column[Any] | None]:
    """The statement of ``form`` (``row``: ``DELETE``; ``null``: ``UPDATE … SET c = NULL``
    where a column is not yet empty; ``fields``: none, the strategies run per row)."""
    where, typed, own = subject_filter(conn, dataset, table, chain)
    if form == "row":
        return sql_delete(table).where(where), typed, own
    if form == "null":
        columns = [table.c[f.name] for f in dataset.fields]
        changing = and_(where, or_(*(c.is_not(None) for c in columns)))
        update = sql_update(table).where(changing).values({c.name: None for c in columns})
        return update, typed, own
    return None, typed, own


def _counted(returned: Sequence[object], subjects: list[str]) -> EraseOutcome:
    """The outcome of a statement that returned each erased row's subject."""
    by = Counter(str(s) for s in returned)
    return EraseOutcome(len(returned), by_subject={s: by.get(s, 0) for s in subjects})


def _grouped(counts: Sequence[Any], subjects: list[str]) -> EraseOutcome:
    """The outcome from ``(subject, rows)`` pairs, one per subject with rows erased."""
    by = {str(s): int(n) for s, n in counts}
    return EraseOutcome(sum(by.values()), by_subject={s: by.get(s, 0) for s in subjects})


def _total(affected: int, single: str | None) -> EraseOutcome:
    """The outcome of a statement that gave only its row count (per subject if one)."""
    count = max(affected, 0)
    return EraseOutcome(count, by_subject=None if single is None else {single: count})
