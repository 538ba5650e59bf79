"""Property: any chain verifies; any single edit, deletion or swap breaks it at or before."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from yinsi.security import (
    AuditEntry,
    AuditHead,
    JsonValue,
    canonical,
    canonical_json,
    chain,
    chained,
    entry_hash,
    verify,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)

names = st.text("abcdefghijklmnopqrstuvwxyz_.", min_size=1, max_size=12)
json_values: st.SearchStrategy[JsonValue] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=8,
)
specs = st.fixed_dictionaries(
    {
        "at": st.integers(0, 10**9).map(lambda s: T0 + timedelta(seconds=s)),
        "actor": names,
        "action": names,
        "app_id": names,
        "subject_id": st.none() | names,
        "details": st.dictionaries(names, json_values, max_size=4),
    }
)


def build(entry_specs: list[dict[str, Any]]) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for spec in entry_specs:
        entries.append(chain(entries[-1] if entries else None, **spec))
    return entries


EDITS: dict[str, st.SearchStrategy[Any]] = {
    "seq": st.integers(-5, 500),
    "at": st.integers(0, 10**9).map(lambda s: T0 + timedelta(seconds=s)),
    "actor": names,
    "action": names,
    "app_id": names,
    "subject_id": st.none() | names,
    "details": st.dictionaries(names, json_values, max_size=3),
    "prev_hash": st.text("0123456789abcdef", min_size=64, max_size=64),
    "hash": st.text("0123456789abcdef", min_size=64, max_size=64),
}


@settings(max_examples=200, deadline=None)
@given(st.lists(specs, max_size=12))
def test_every_chain_verifies(entry_specs: list[dict[str, Any]]) -> None:
    entries = build(entry_specs)
    head = AuditHead(entries[-1].seq, entries[-1].hash) if entries else AuditHead()
    assert verify(entries, head) == []


@settings(max_examples=300, deadline=None)
@given(st.lists(specs, min_size=1, max_size=10), st.data())
def test_any_single_mutation_breaks_at_or_before_it(
    entry_specs: list[dict[str, Any]], data: st.DataObject
) -> None:
    entries = build(entry_specs)
    head = AuditHead(entries[-1].seq, entries[-1].hash)
    i = data.draw(st.integers(0, len(entries) - 1), label="position")
    mutated = list(entries)
    match data.draw(st.sampled_from(["edit", "delete", "swap"]), label="mutation"):
        case "edit":
            field = data.draw(st.sampled_from(sorted(EDITS)), label="field")
            edited = replace(entries[i], **{field: data.draw(EDITS[field], label="value")})
            assume((canonical(edited), edited.hash) != (canonical(entries[i]), entries[i].hash))
            mutated[i] = edited
        case "delete":
            del mutated[i]
        case _:
            j = data.draw(st.integers(0, len(entries) - 1).filter(lambda j: j != i), label="j")
            mutated[i], mutated[j] = mutated[j], mutated[i]
            i = min(i, j)
    breaks = verify(mutated, head)
    assert breaks, "the mutation went unnoticed"
    assert min(b.seq for b in breaks) <= entries[i].seq


@settings(max_examples=300, deadline=None)
@given(specs, st.sampled_from([tuple, list]))
def test_chained_stores_the_canonical_details_text_and_hashes_the_canonical_body(
    spec: dict[str, Any], sequence: type
) -> None:
    """``chained`` encodes the details once and splices them into the hashed body: the text
    it gives the log is ``canonical_json`` of the entry's details, and the hash is the one
    :func:`canonical` gives (tuples stored as lists, keys sorted)."""
    details = {k: sequence(v) if isinstance(v, list) else v for k, v in spec["details"].items()}
    entry, text = chained(AuditHead(7, "ab" * 32), **{**spec, "details": details})
    assert text == canonical_json(entry.details)
    assert entry.hash == entry_hash(entry)
    assert list(entry.details) == sorted(entry.details)
    assert entry == chain(AuditHead(7, "ab" * 32), **{**spec, "details": details})
