"""The DBAPI write path a batch's journal takes on SQLite: many rows in one ``executemany``,
each value converted as the row alone would convert it (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa

from yinsi.storage.columns import JsonType, UtcDateTime
from yinsi.storage.dbapi_writes import DbapiStatement

_T = sa.Table(
    "t",
    sa.MetaData(),
    sa.Column("n", sa.Integer, primary_key=True),
    sa.Column("doc", JsonType),
    sa.Column("at", UtcDateTime),
    sa.Column("naive", sa.DateTime),
    sa.Column("wall", sa.DateTime),  # an aware value: its wall time, as SQLite stores it
    sa.Column("flag", sa.Boolean),
)
_INSERT = sa.insert(_T).values({c.key: sa.bindparam(c.key, type_=c.type) for c in _T.c})


def test_many_rows_convert_alike_values_apart() -> None:
    """Values equal as dict keys but not as stored (``True``/``1``, one instant in two
    zones, ``{"a": 1}``/``{"a": True}``) are each converted for themselves."""
    instant = datetime(2026, 12, 6, 12, tzinfo=UTC)
    east = instant.astimezone(timezone(timedelta(hours=8)))
    docs = [{"affected": 1}, {"affected": True}, {}, [], {"a": [1, 2]}, {1: "x"}, {True: "x"}]
    rows = [
        {"n": i, "doc": d, "at": a, "naive": a.replace(tzinfo=None), "wall": a, "flag": f}
        for i, (d, a, f) in enumerate(
            zip(docs, [instant, east] * 4, [True, 1, False, 0, True, 1, 0], strict=False)
        )
    ]
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        _T.create(conn)
        dialect = conn.dialect
        cursor = conn.connection.driver_connection.cursor()
        statement = DbapiStatement(_INSERT)
        assert statement.run_many(cursor, dialect, rows) == len(rows)
        many = [tuple(r) for r in conn.execute(sa.select(_T).order_by(_T.c.n))]
        conn.execute(sa.delete(_T))
        for row in rows:
            statement.run(cursor, dialect, row)
        one_by_one = [tuple(r) for r in conn.execute(sa.select(_T).order_by(_T.c.n))]
    assert many == one_by_one
    raw = [r[1] for r in many]
    assert raw[:2] == [{"affected": 1}, {"affected": True}]
    assert many[0][4] != many[1][4]  # one instant, two wall times
    assert [r[5] for r in many[:4]] == [True, True, False, False]
