"""Security: the hash-chained audit log (PIPL Art. 54 compliance audits, Art. 51 measures),
field protection (envelope encryption, key rings, blind indexes) and display masking.

Pure domain: plain data and functions, no storage. :func:`chain` makes the next entry,
:func:`verify` finds every edited, deleted or reordered one; :class:`FieldCipher` encrypts
PI columns, :class:`BlindIndex` keeps them searchable, :func:`mask` shows them to staff.
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
from yinsi.security.blind_index import BlindIndex, IndexKind
from yinsi.security.crypto_errors import (
    DecryptionError,
    KeyConfigError,
    KeyFileExposed,
    UnknownKeyId,
)
from yinsi.security.envelope import FieldCipher, token_key_id, token_prefix
from yinsi.security.errors import AuditRecordRejected, SecurityError
from yinsi.security.keys import (
    EnvKeySource,
    FileKeySource,
    Key,
    KeyPurpose,
    KeyRing,
    KeySet,
    KeySource,
    KeyState,
    generate_key,
)
from yinsi.security.masking import mask
from yinsi.security.verify import Break, BreakKind, verify

__all__ = [
    "AuditEntry",
    "AuditHead",
    "AuditRecordRejected",
    "BlindIndex",
    "Break",
    "BreakKind",
    "DecryptionError",
    "EnvKeySource",
    "FieldCipher",
    "FileKeySource",
    "IndexKind",
    "JsonValue",
    "Key",
    "KeyConfigError",
    "KeyFileExposed",
    "KeyPurpose",
    "KeyRing",
    "KeySet",
    "KeySource",
    "KeyState",
    "SecurityError",
    "UnknownKeyId",
    "canonical",
    "canonical_json",
    "chain",
    "entry_hash",
    "generate_key",
    "mask",
    "token_key_id",
    "token_prefix",
    "verify",
]
