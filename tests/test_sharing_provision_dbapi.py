"""The provision write on SQLite's DBAPI cursor (issue 15's overhead target, W11): the same
rows the ORM writes, in the unit of work's transaction, errors as SQLAlchemy's own with the
parameters hidden; the clear-PI net of the audit log as strict as before (Art. 51)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from yinsi.lifecycle.sharing import Provision
from yinsi.security import AuditRecordRejected, JsonValue, chain, verify
from yinsi.storage import upgrade
from yinsi.storage.audit import _INSERT_ENTRY_DBAPI, entry_values
from yinsi.storage.database import create_engine
from yinsi.storage.dbapi_writes import dbapi_cursor
from yinsi.storage.lifecycle_tables import ProvisionRow
from yinsi.storage.uow import SqlUnitOfWork

APP = "xiaoying_kadai"
AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
COLUMNS = (
    "app_id, subject_id, recipient, elements, purpose, basis, consent_id, de_identified, "
    "policy_version, at, actor"
)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    found = create_engine(url)
    yield found
    found.dispose()


def provision(subject: str) -> Provision:
    return Provision(
        APP, subject, "funders", ("name", "id_number"), "loan_service", "consent", AT, "backend",
        consent_id="funder_sharing", policy_version="1.3",
    )  # fmt: skip


def stored(path: str, provision_id: int) -> tuple[object, ...]:
    with sqlite3.connect(path) as raw:
        found: tuple[object, ...] = raw.execute(
            f"SELECT {COLUMNS} FROM provisions WHERE id = ?", (provision_id,)
        ).fetchone()
    return found


def test_w11_the_dbapi_write_stores_what_the_orm_stores(database: Engine) -> None:
    with SqlUnitOfWork(database) as uow:
        fast = uow.provisions.record(provision("u1"))
        uow.commit()
    assert fast.id is not None and fast.at == AT
    with Session(database) as session:  # the same provision through the ORM
        row = ProvisionRow(
            app_id=APP, subject_id="u1", recipient="funders", elements=["name", "id_number"],
            purpose="loan_service", basis="consent", consent_id="funder_sharing",
            de_identified="no", policy_version="1.3", at=AT, actor="backend",
        )  # fmt: skip
        session.add(row)
        session.commit()
        orm_id = row.id
    path = str(database.url.database)
    assert stored(path, fast.id) == stored(path, orm_id)  # every column, byte for byte
    with SqlUnitOfWork(database) as uow:  # read back by the ORM: the values and the chain
        (mine, _orm) = uow.provisions.of_subject(APP, "u1")
        entries = list(uow.audit.entries())
        head = uow.audit.head()
    assert mine == fast
    assert verify(entries, head) == []
    (entry,) = [e for e in entries if e.action == "provision.recorded"]
    assert entry.details["provision_id"] == fast.id and entry.subject_id == "u1"


def test_w11_the_dbapi_write_belongs_to_the_unit_of_work(database: Engine) -> None:
    with SqlUnitOfWork(database) as uow:  # not committed: neither row nor entry stays
        assert uow.provisions.record(provision("u1")).id is not None
    with SqlUnitOfWork(database) as uow:
        assert uow.provisions.of_subject(APP, "u1") == []
        assert list(uow.audit.entries()) == []
        assert uow.audit.head().seq == 0


def test_w11_a_driver_error_is_sqlalchemys_with_the_parameters_hidden(database: Engine) -> None:
    with SqlUnitOfWork(database) as uow:
        uow.audit.append("backend", "x.done", APP, "u1", {"note": "secret-value-1"})
        uow.commit()
    with SqlUnitOfWork(database) as uow:
        (first,) = uow.audit.entries()
        session: Session = uow._session  # the unit of work's own session (white box)
        cursor, dialect = dbapi_cursor(session)
        with pytest.raises(sa.exc.IntegrityError) as raised:  # seq 1 exists
            _INSERT_ENTRY_DBAPI.run(cursor, dialect, entry_values(first))
        cursor.close()
    assert "secret-value-1" not in str(raised.value)
    assert "hidden" in str(raised.value)


@pytest.mark.parametrize(
    ("details", "message"),
    [
        ({"13812345678": "x"}, r"details.13812345678 is a mobile phone number"),
        ({"a": [{"b": ["ok", "zhang.san@example.com"]}]}, r"details.a\[0\].b\[1\] is an e-mail"),
        ({"a": {"b": "11010519491231002X"}}, r"details.a.b is a resident ID card number"),
    ],
)
def test_w11_pi_in_clear_anywhere_in_the_details_is_still_refused(
    details: dict[str, object], message: str
) -> None:
    with pytest.raises(AuditRecordRejected, match=message):
        chain(None, at=AT, actor="cli", action="x.done", app_id="a", details=details)  # type: ignore[arg-type]


def test_w11_ids_counts_and_hashes_pass_the_clear_pi_net() -> None:
    details: dict[str, JsonValue] = {
        "provision_id": 12,
        "elements": ["name", "id_number"],
        "sha": "ab" * 32,
    }
    entry = chain(None, at=AT, actor="backend", action="x.done", app_id="a", details=details)
    assert entry.details == details
