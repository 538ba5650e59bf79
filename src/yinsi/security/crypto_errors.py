"""Errors of field protection (keys, envelope encryption, blind indexes).

Each message says what is wrong, where, and what to do. No message ever carries a
plaintext value, a token (a column that should hold a token may hold a plaintext) or key
material; they name key ids, contexts (``table.column``) and environment variables or
files instead.

::

    SecurityError
    ├── KeyConfigError       keys missing or malformed: a variable, a file, a key ring
    │   │                    (also a ValueError)
    │   └── KeyFileExposed   a key file that its group or others may read or write
    ├── UnknownKeyId         a key id the key ring does not hold (also a LookupError)
    └── DecryptionError      a token that does not decrypt: malformed, unknown key id,
                             altered, or bound to another context
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from yinsi.security.errors import SecurityError


class KeyConfigError(SecurityError, ValueError):
    """Keys that cannot be used as given; ``where`` names the variable, file or ring."""

    def __init__(self, where: str, problem: str, fix: str) -> None:
        super().__init__(f"{where}: {problem}; {fix}")
        self.where = where


class KeyFileExposed(KeyConfigError):
    """A key file with permissions wider than 0600 (PIPL Art. 51: access control)."""

    def __init__(self, path: str, mode: int) -> None:
        super().__init__(
            f"key file {path}",
            f"its mode is {mode:04o}, so its group or other users may read or change the keys",
            f"run `chmod 600 {path}` (owner read/write only) and retry",
        )
        self.path = path
        self.mode = mode


class UnknownKeyId(SecurityError, LookupError):
    """A key id the ring does not hold; ``known`` lists the ids it does hold."""

    def __init__(self, purpose: str, kid: str, known: Iterable[str]) -> None:
        self.purpose = purpose
        self.kid = kid
        self.known = tuple(known)
        super().__init__(
            f"{purpose} key id {kid!r} is not in the key ring (it holds "
            f"{', '.join(repr(k) for k in self.known)}); load the key set that has it — a "
            "retired key must stay in the ring until rotation has rewrapped every token"
        )


class DecryptionProblem(StrEnum):
    """Why a token did not decrypt; a stable code for callers and APIs."""

    MALFORMED = "malformed"
    """Not a ``yv1.<kid>.<dek>.<data>`` token (e.g. a plaintext left in the column)."""
    UNKNOWN_KEY = "unknown_key"
    """The token's key id is not in the key ring."""
    AUTHENTICATION = "authentication"
    """AES-GCM refused the token: altered, moved from another context, or a wrong key."""


_FIX = {
    DecryptionProblem.MALFORMED: (
        "the column does not hold a yinsi token; encrypt the value with FieldCipher.encrypt "
        "(a plaintext left from before encryption must be migrated)"
    ),
    DecryptionProblem.UNKNOWN_KEY: (
        "load a key ring that still holds this key id as retired; never drop a key before "
        "rotation has rewrapped every token under it"
    ),
    DecryptionProblem.AUTHENTICATION: (
        "the token was altered, belongs to another column (context), or its key id names a "
        "different key than the one that wrapped it; restore the value from a backup"
    ),
}


class DecryptionError(SecurityError):
    """A token that does not decrypt; names the key id and context, never the value."""

    def __init__(
        self, problem: DecryptionProblem, *, context: str | None, kid: str | None, detail: str
    ) -> None:
        self.problem = problem
        self.context = context
        self.kid = kid
        what = "a token" if context is None else f"the value of context {context!r}"
        key = "" if kid is None else f" under key id {kid!r}"
        super().__init__(f"cannot decrypt {what}{key}: {detail}; {_FIX[problem]}")
