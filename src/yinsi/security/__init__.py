"""Security: the hash-chained audit log (PIPL Art. 54 compliance audits, Art. 51 measures).

Pure domain: plain data and functions, no storage. :func:`chain` makes the next entry,
:func:`verify` finds every edited, deleted or reordered one.
"""

from yinsi.security.audit import (
    AuditEntry,
    AuditHead,
    JsonValue,
    canonical,
    canonical_json,
    chain,
    entry_hash,
)
from yinsi.security.errors import AuditRecordRejected, SecurityError
from yinsi.security.verify import Break, BreakKind, verify

__all__ = [
    "AuditEntry",
    "AuditHead",
    "AuditRecordRejected",
    "Break",
    "BreakKind",
    "JsonValue",
    "SecurityError",
    "canonical",
    "canonical_json",
    "chain",
    "entry_hash",
    "verify",
]
