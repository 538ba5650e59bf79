"""Checking an audit chain: every break, where it is, what was expected and found.

A break is reported at the seq where the chain stops holding:

- an **edited** entry: its content no longer hashes to its stored hash;
- a **deleted** entry: a seq gap (reported at the missing seq), or, at the end, the log
  stops before the head recorded with the last append;
- a **reordered** entry: seq not increasing, a seq found out of place, or an entry whose
  content hashes correctly only under another seq (reported at that seq: moved away);
- a broken **link**: ``prev_hash`` is not the hash of the entry before.

Verification is how an operator shows, in a compliance audit (PIPL Art. 54), that the
record of processing was not altered after the fact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from yinsi.security.audit import GENESIS, AuditEntry, AuditHead, entry_hash


class BreakKind(StrEnum):
    EDITED = "entry edited: its content does not match its hash"
    MISSING = "entry missing"
    MOVED = "entry moved to another seq"
    REORDERED = "entry out of order"
    UNLINKED = "chain link broken: prev_hash is not the previous entry's hash"
    TRUNCATED = "entries missing at the end"
    HEAD = "last entry is not the recorded head"


@dataclass(frozen=True, slots=True)
class Break:
    seq: int
    kind: BreakKind
    expected: str
    found: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.kind} (expected {self.expected}, found {self.found})"


def verify(entries: Iterable[AuditEntry], head: AuditHead | None = None) -> list[Break]:
    """Every break of the chain ``entries`` (in stored order), by seq; ``[]`` when intact.

    ``head``, the seq and hash recorded with the last append, also catches entries
    deleted from the end, which no later entry points back to.
    """
    listed = list(entries)
    context = _Context(listed, head)
    breaks: list[Break] = []
    prev = AuditHead()
    for entry in listed:
        breaks.extend(context.check(entry, prev))
        prev = AuditHead(entry.seq, entry.hash)
    if head is not None:
        breaks.extend(_check_head(prev, head))
    return sorted(breaks, key=lambda b: b.seq)


class _Context:
    """Lookups over the whole list, to tell a moved or reordered entry from a lost one."""

    def __init__(self, entries: list[AuditEntry], head: AuditHead | None) -> None:
        self.seqs = {e.seq for e in entries}
        self.seq_of_hash = {e.hash: e.seq for e in entries} | {GENESIS: 0}
        self.seq_before = {e.prev_hash: e.seq - 1 for e in entries}
        if head is not None:
            self.seq_before.setdefault(head.hash, head.seq)

    def check(self, entry: AuditEntry, prev: AuditHead) -> list[Break]:
        actual = entry_hash(entry)
        if actual != entry.hash:
            origin = self._origin(entry)
            if origin is not None:  # reported where it belongs; the hole there is reported too
                return [Break(origin, BreakKind.MOVED, f"seq {origin}", f"seq {entry.seq}")]
            edited = Break(entry.seq, BreakKind.EDITED, _h(entry.hash), _h(actual))
            return [edited, *self._order(entry, prev)]
        return self._order(entry, prev)

    def _origin(self, entry: AuditEntry) -> int | None:
        """The seq under which the entry's content hashes to its stored hash, if any."""
        candidates = {self.seq_of_hash.get(entry.prev_hash, -2) + 1}
        candidates.add(self.seq_before.get(entry.hash, -1))
        for seq in sorted(candidates - {entry.seq}):
            if seq > 0 and entry_hash(replace(entry, seq=seq)) == entry.hash:
                return seq
        return None

    def _order(self, entry: AuditEntry, prev: AuditHead) -> list[Break]:
        expected = prev.seq + 1
        found = f"seq {entry.seq}"
        if entry.seq > expected and expected not in self.seqs:
            return [Break(expected, BreakKind.MISSING, f"seq {expected}", found)]
        if entry.seq != expected:
            return [Break(expected, BreakKind.REORDERED, f"seq {expected}", found)]
        if entry.prev_hash != prev.hash:
            return [Break(entry.seq, BreakKind.UNLINKED, _h(prev.hash), _h(entry.prev_hash))]
        return []


def _check_head(last: AuditHead, head: AuditHead) -> list[Break]:
    if head.seq > last.seq:
        return [
            Break(last.seq + 1, BreakKind.TRUNCATED, f"up to seq {head.seq}", f"seq {last.seq}")
        ]
    if head != last:
        return [
            Break(
                last.seq,
                BreakKind.HEAD,
                f"seq {head.seq} {_h(head.hash)}",
                f"seq {last.seq} {_h(last.hash)}",
            )
        ]
    return []


def _h(digest: str) -> str:
    return f"hash {digest[:12]}"
