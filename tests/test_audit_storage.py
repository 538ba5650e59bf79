"""The audit log on SQL: append, read back, refuse changes, catch raw-SQL tampering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from audit_tamper import delete_rows, fill, set_field, stored_breaks, swap_seq, tamper
from yinsi.security import AuditHead, AuditRecordRejected, BreakKind, JsonValue
from yinsi.security.audit import GENESIS
from yinsi.storage import SqlUnitOfWork
from yinsi.storage.tables import AuditEntryRow

pytest_plugins = ["storage_fixtures"]

T0 = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)


def test_appends_chain_and_read_back_equal(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        assert uow.audit.head() == AuditHead(0, GENESIS)
        assert list(uow.audit.entries()) == []
    stored = fill(engine, 5)
    assert [e.seq for e in stored] == [1, 2, 3, 4, 5]
    assert stored[0].prev_hash == GENESIS
    with SqlUnitOfWork(engine) as uow:
        assert list(uow.audit.entries()) == stored
        assert list(uow.audit.entries(after_seq=2, limit=2)) == stored[2:4]
        assert uow.audit.head() == AuditHead(5, stored[-1].hash)
    assert stored_breaks(engine) == []


def test_entries_keep_time_numbers_and_unicode_exactly(engine: Engine) -> None:
    details: dict[str, JsonValue] = {
        "n": 1e100,
        "small": 0.1,
        "big": 2**62,
        "标题": "隐私政策",
        "flags": [True, None],
    }
    with SqlUnitOfWork(engine, clock=lambda: T0 + timedelta(microseconds=7)) as uow:
        entry = uow.audit.append("cli", "policy.published", "xiaoying_kadai", None, details)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        (loaded,) = uow.audit.entries()
    assert loaded == entry and loaded.at == T0 + timedelta(microseconds=7)
    assert stored_breaks(engine) == []


def test_an_uncommitted_append_leaves_no_trace(engine: Engine) -> None:
    fill(engine, 2)
    with SqlUnitOfWork(engine) as uow:
        uow.audit.append("cli", "consent.granted", "xiaoying_kadai")
    (third,) = fill(engine, 1)
    assert third.seq == 3
    assert stored_breaks(engine) == []


def test_personal_information_in_clear_is_refused(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow, pytest.raises(AuditRecordRejected, match="phone"):
        uow.audit.append("cli", "rights.requested", "xiaoying_kadai", details={"to": "13812345678"})


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entries SET actor = 'key_evil'",
        "DELETE FROM audit_entries WHERE seq = 1",
    ],
)
def test_the_table_refuses_updates_and_deletes(engine: Engine, statement: str) -> None:
    fill(engine, 2)
    with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(sa.text(statement))


EDITS: dict[str, Any] = {
    "at": T0,
    "actor": "key_evil",
    "action": "consent.withdrawn",
    "app_id": "wolai_shuke",
    "subject_id": None,
    "details": '{"consent_id":"face","policy_version":"1.3"}',
    "prev_hash": "f" * 64,
    "hash": "e" * 64,
}


@pytest.mark.parametrize(
    ("field", "seq"), [(f, 1 + 2 * (i % 3)) for i, f in enumerate(sorted(EDITS))]
)  # every field; first, middle and last entries in turn
def test_editing_any_field_in_the_database_is_found_at_its_seq(
    engine: Engine, field: str, seq: int
) -> None:
    fill(engine, 5)
    tamper(engine, set_field(seq, **{field: EDITS[field]}))
    breaks = stored_breaks(engine)
    assert breaks[0].seq == seq
    assert breaks[0].kind in (BreakKind.EDITED, BreakKind.UNLINKED)


def test_changing_an_entrys_seq_is_found(engine: Engine) -> None:
    fill(engine, 5)
    tamper(engine, set_field(3, seq=99))
    breaks = stored_breaks(engine)
    assert [(b.seq, b.kind) for b in breaks] == [
        (3, BreakKind.MISSING),
        (3, BreakKind.MOVED),
        (99, BreakKind.HEAD),
    ]
    assert str(breaks[1]) == "seq 3: entry moved to another seq (expected seq 3, found seq 99)"


@pytest.mark.parametrize("seq", [1, 3])
def test_deleting_a_row_is_found(engine: Engine, seq: int) -> None:
    fill(engine, 5)
    tamper(engine, delete_rows(AuditEntryRow.seq == seq))
    breaks = stored_breaks(engine)
    assert [str(b) for b in breaks] == [
        f"seq {seq}: entry missing (expected seq {seq}, found seq {seq + 1})"
    ]


def test_deleting_the_last_rows_is_found_through_the_head(engine: Engine) -> None:
    fill(engine, 5)
    tamper(engine, delete_rows(AuditEntryRow.seq > 3))
    assert [(b.seq, b.kind) for b in stored_breaks(engine)] == [(4, BreakKind.TRUNCATED)]
    fill(engine, 1)  # the next append still chains from the deleted head: never healed
    assert [(b.seq, b.kind) for b in stored_breaks(engine)] == [(4, BreakKind.MISSING)]


@pytest.mark.parametrize(("a", "b"), [(2, 3), (1, 5), (2, 4)])
def test_swapping_two_rows_seq_is_found(engine: Engine, a: int, b: int) -> None:
    fill(engine, 5)
    tamper(engine, *swap_seq(a, b))
    breaks = stored_breaks(engine)
    assert breaks[0].seq == a
    moved = {(x.seq, x.found) for x in breaks if x.kind == BreakKind.MOVED}
    assert moved == {(a, f"seq {b}"), (b, f"seq {a}")}
