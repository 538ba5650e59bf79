"""The audit chain as pure domain: hashing, chaining, and every kind of break found."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

import yinsi.security
from yinsi.security import (
    AuditEntry,
    AuditHead,
    AuditRecordRejected,
    Break,
    BreakKind,
    JsonValue,
    canonical,
    chain,
    entry_hash,
    verify,
)
from yinsi.security.audit import GENESIS

T0 = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)


def make_chain(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for i in range(n):
        prev = entries[-1] if entries else None
        entries.append(
            chain(
                prev,
                at=T0 + timedelta(seconds=i),
                actor="key_ops",
                action="consent.granted",
                app_id="xiaoying_kadai",
                subject_id=f"subj_{i:04d}",
                details={"consent_id": "marketing", "n": i},
            )
        )
    return entries


def test_entries_chain_from_genesis_and_verify() -> None:
    entries = make_chain(5)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS == "0" * 64
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert verify(entries) == []
    assert verify(entries, AuditHead(5, entries[-1].hash)) == []
    assert verify([], AuditHead()) == []


def test_hash_is_sha256_of_prev_hash_and_canonical_json() -> None:
    beijing = timezone(timedelta(hours=8))
    entry = chain(
        None,
        at=datetime(2024, 5, 1, 16, 30, tzinfo=beijing),
        actor="cli",
        action="policy.published",
        app_id="xiaoying_kadai",
        details={"version": "1.3", "标题": "隐私政策"},
    )
    assert entry.at == T0 and entry.at.tzinfo == UTC
    assert (
        canonical(entry)
        == (
            '{"action":"policy.published","actor":"cli","app_id":"xiaoying_kadai",'
            '"at":"2024-05-01T08:30:00.000000Z","details":{"version":"1.3","标题":"隐私政策"},'
            f'"prev_hash":"{GENESIS}","seq":1,"subject_id":null}}'
        ).encode()
    )
    assert entry.hash == hashlib.sha256(GENESIS.encode() + canonical(entry)).hexdigest()
    assert entry_hash(entry) == entry.hash


def test_details_are_copied_as_plain_json() -> None:
    numbers: list[JsonValue] = [1, 2.5]
    details: dict[str, JsonValue] = {"ids": ("a", "b"), "nested": {"k": numbers}}
    entry = chain(None, at=T0, actor="cli", action="x.done", app_id="a", details=details)
    assert entry.details == {"ids": ["a", "b"], "nested": {"k": [1, 2.5]}}
    numbers.append(3)  # the entry holds its own copy
    assert verify([entry]) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"details": {"phone": "13812345678"}}, "details.phone is a mobile phone number"),
        ({"details": {"ids": ["+86 13812345678"]}}, r"details.ids\[0\] is a mobile phone"),
        ({"subject_id": "11010519491231002X"}, "subject_id is a resident ID card number"),
        ({"actor": "zhang.san@example.com"}, "actor is an e-mail address"),
        ({"details": {"at": T0}}, "details are not JSON"),
        ({"details": {"x": float("nan")}}, "details are not JSON"),
        ({"at": datetime(2024, 5, 1, 8, 30)}, "the time has no timezone"),
    ],
)
def test_personal_information_in_clear_and_bad_input_are_refused(
    kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"at": T0, "actor": "cli", "action": "x.done", "app_id": "a"}
    with pytest.raises(AuditRecordRejected, match=message):
        chain(None, **(args | kwargs))  # type: ignore[arg-type]


def test_hashes_and_opaque_ids_are_not_personal_information() -> None:
    digest = hashlib.sha256(b"13812345678").hexdigest()
    entry = chain(
        None, at=T0, actor="key_1", action="x.done", app_id="a", details={"phone_sha256": digest}
    )
    assert verify([entry]) == []


def test_an_edited_entry_is_found_at_its_seq() -> None:
    entries = make_chain(5)
    entries[2] = replace(entries[2], actor="key_evil")
    (only,) = verify(entries)
    assert (only.seq, only.kind) == (3, BreakKind.EDITED)
    assert only.expected == f"hash {entries[2].hash[:12]}"
    assert str(only).startswith("seq 3: entry edited")


def test_a_deleted_entry_is_found_at_the_missing_seq() -> None:
    entries = make_chain(5)
    del entries[1]
    assert verify(entries) == [Break(2, BreakKind.MISSING, "seq 2", "seq 3")]
    assert str(verify(entries)[0]) == "seq 2: entry missing (expected seq 2, found seq 3)"


def test_entries_deleted_from_the_end_are_found_through_the_head() -> None:
    entries = make_chain(5)
    head = AuditHead(5, entries[-1].hash)
    assert verify(entries[:3]) == []  # no later entry points back: the head is needed
    assert verify(entries[:3], head) == [
        Break(4, BreakKind.TRUNCATED, "up to seq 5", "seq 3"),
    ]


def test_reordered_entries_are_found_where_the_order_breaks() -> None:
    entries = make_chain(5)
    entries[1], entries[3] = entries[3], entries[1]
    breaks = verify(entries)
    assert breaks[0] == Break(2, BreakKind.REORDERED, "seq 2", "seq 4")
    assert {b.kind for b in breaks} == {BreakKind.REORDERED}


def test_swapped_seq_numbers_are_reported_as_moved() -> None:
    entries = make_chain(5)
    entries[1], entries[2] = replace(entries[2], seq=2), replace(entries[1], seq=3)
    breaks = verify(entries, AuditHead(5, entries[-1].hash))
    assert breaks[:2] == [
        Break(2, BreakKind.MOVED, "seq 2", "seq 3"),
        Break(3, BreakKind.MOVED, "seq 3", "seq 2"),
    ]
    assert str(breaks[0]) == "seq 2: entry moved to another seq (expected seq 2, found seq 3)"


def test_a_rehashed_edit_breaks_the_next_link() -> None:
    entries = make_chain(4)
    forged = replace(entries[1], action="consent.withdrawn")
    entries[1] = replace(forged, hash=entry_hash(forged))
    (only,) = verify(entries)
    assert (only.seq, only.kind) == (3, BreakKind.UNLINKED)


def test_a_rehashed_last_entry_is_found_through_the_head() -> None:
    entries = make_chain(3)
    head = AuditHead(3, entries[-1].hash)
    forged = replace(entries[2], details={})
    entries[2] = replace(forged, hash=entry_hash(forged))
    assert verify(entries, head) == [
        Break(
            3, BreakKind.HEAD, f"seq 3 hash {head.hash[:12]}", f"seq 3 hash {entries[2].hash[:12]}"
        )
    ]


def test_public_api_is_sorted_and_complete() -> None:
    names = yinsi.security.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(yinsi.security, name), name
