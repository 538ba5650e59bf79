"""A store error says whether the database rolled the transaction back over a concurrent
one (:attr:`ConnectorError.retryable`), so a batch runs it again on that alone — never on
an error that running again cannot mend."""

from __future__ import annotations

import pymysql
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError, ProgrammingError

from yinsi.connectors.sql_errors import statement_error

URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_a_serialization_failure_is_retryable_and_a_missing_table_is_not() -> None:
    db = sa.create_engine(URL)
    table = f"conflict_{id(db)}"
    try:
        with db.begin() as conn:
            conn.execute(sa.text(f"CREATE TABLE {table} (id int PRIMARY KEY, v int)"))
            conn.execute(sa.text(f"INSERT INTO {table} VALUES (1, 0)"))
        with db.connect() as first, db.connect() as second:
            first.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            first.execute(sa.text(f"SELECT v FROM {table}"))  # the snapshot
            with second.begin():
                second.execute(sa.text(f"UPDATE {table} SET v = 1"))
            with pytest.raises(OperationalError) as conflict:
                first.execute(sa.text(f"UPDATE {table} SET v = 2"))
            first.rollback()
            with pytest.raises(ProgrammingError) as missing:
                second.execute(sa.text("SELECT 1 FROM no_such_table_here"))
    finally:
        with db.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        db.dispose()
    retry = statement_error("app", "postgresql://…/test", conflict.value, "erasing t")
    assert retry.retryable and "SQLSTATE 40001" in str(retry)
    never = statement_error("app", "postgresql://…/test", missing.value, "erasing t")
    assert not never.retryable


def test_a_mariadb_deadlock_is_retryable() -> None:
    driver = pymysql.err.OperationalError(1213, "Deadlock found when trying to get lock")
    error = OperationalError("DELETE …", {}, driver)
    assert statement_error("app", "mysql://…/test", error, "erasing t").retryable
    timeout = OperationalError("DELETE …", {}, pymysql.err.OperationalError(1205, "Lock wait"))
    assert not statement_error("app", "mysql://…/test", timeout, "erasing t").retryable
