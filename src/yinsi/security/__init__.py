"""Security: the hash-chained audit log (PIPL Art. 54 compliance audits, Art. 51 measures),
field protection (envelope encryption, key rings, blind indexes) and display masking.

Pure domain: plain data and functions, no storage. :func:`chain` makes the next entry,
:func:`verify` finds every edited, deleted or reordered one; :class:`FieldCipher` encrypts
PI columns, :class:`BlindIndex` keeps them searchable, :func:`mask` shows them to staff.

The audit chain is imported at once; field protection (``cryptography``), key rings and
masking on first use (:mod:`yinsi._lazy`).
"""

from typing import TYPE_CHECKING

from yinsi._lazy import attach
from yinsi.security.audit import (
    AuditEntry,
    AuditHead,
    JsonValue,
    canonical,
    canonical_json,
    chain,
    chained,
    entry_hash,
)
from yinsi.security.errors import AuditRecordRejected, SecurityError

# eager: `verify` is also the name of its submodule (see yinsi._lazy)
from yinsi.security.verify import Break, BreakKind, verify

if TYPE_CHECKING:
    from yinsi.security.blind_index import BlindIndex, IndexKind
    from yinsi.security.crypto_errors import (
        DecryptionError,
        KeyConfigError,
        KeyFileExposed,
        UnknownKeyId,
    )
    from yinsi.security.envelope import FieldCipher, token_key_id, token_prefix
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
else:
    __getattr__, __dir__ = attach(
        __name__,
        {
            "blind_index": ("BlindIndex", "IndexKind"),
            "crypto_errors": (
                "DecryptionError",
                "KeyConfigError",
                "KeyFileExposed",
                "UnknownKeyId",
            ),
            "envelope": ("FieldCipher", "token_key_id", "token_prefix"),
            "keys": (
                "EnvKeySource",
                "FileKeySource",
                "Key",
                "KeyPurpose",
                "KeyRing",
                "KeySet",
                "KeySource",
                "KeyState",
                "generate_key",
            ),
            "masking": ("mask",),
        },
    )

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
    "chained",
    "entry_hash",
    "generate_key",
    "mask",
    "token_key_id",
    "token_prefix",
    "verify",
]
