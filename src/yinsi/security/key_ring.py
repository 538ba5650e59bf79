"""Key rings of field protection: keys, their states, and the two rings (PIPL Art. 51).

Pure values: a :class:`Key` (id, 32 secret bytes, state), a :class:`KeyRing` of one
purpose with exactly one active key, and the :class:`KeySet` of the two rings, which never
share a key. Every change returns a new ring; where keys are stored is
:mod:`yinsi.security.key_sources`. Overview and rotation: :mod:`yinsi.security.keys`.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum

from yinsi.security.crypto_errors import KeyConfigError, UnknownKeyId

KEY_BYTES = 32
"""AES-256 and HMAC-SHA256 keys are 32 bytes."""

KID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
"""A key id: it appears in every token and index, so it is short and dot-free."""


def generate_key() -> str:
    """A new random 32-byte key, base64-encoded (the form both sources read)."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def decode_key(text: str, *, where: str) -> bytes:
    """The 32 bytes of a base64 (standard or URL-safe, padding optional) key."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigError(
            where, "the key is not valid base64", "make one with yinsi.security.generate_key()"
        ) from None
    if len(raw) != KEY_BYTES:
        raise KeyConfigError(
            where,
            f"the key is {len(raw)} bytes, but AES-256 and HMAC-SHA256 keys are {KEY_BYTES}",
            "make one with yinsi.security.generate_key()",
        )
    return raw


class KeyState(StrEnum):
    ACTIVE = "active"
    """Encrypts (wraps data keys) or computes new blind indexes; one per ring."""
    RETIRED = "retired"
    """Only decrypts, or matches indexes not yet recomputed; also a key being rolled out."""


class KeyPurpose(StrEnum):
    ENCRYPTION = "encryption"
    BLIND_INDEX = "blind_index"


@dataclass(frozen=True, slots=True)
class Key:
    """One key: its id, its 32 secret bytes (hidden from ``repr``) and its state."""

    kid: str
    secret: bytes = field(repr=False)
    state: KeyState = KeyState.RETIRED

    def __post_init__(self) -> None:
        if not KID_PATTERN.fullmatch(self.kid):
            raise KeyConfigError(
                f"key id {self.kid!r}",
                "a key id is 1-32 characters of A-Z a-z 0-9 _ -",
                "rename the key (it appears in every token, so no dots or spaces)",
            )
        if len(self.secret) != KEY_BYTES:
            raise KeyConfigError(
                f"key {self.kid!r}",
                f"the key is {len(self.secret)} bytes, not {KEY_BYTES}",
                "make one with yinsi.security.generate_key()",
            )


class KeyRing:
    """The keys of one purpose, exactly one active; immutable (changes return a new ring)."""

    __slots__ = ("_active", "_keys", "purpose")

    def __init__(self, keys: Iterable[Key], *, purpose: KeyPurpose) -> None:
        self.purpose = purpose
        where = f"{purpose.value} key ring"
        self._keys: dict[str, Key] = {}
        for key in keys:
            if key.kid in self._keys:
                raise KeyConfigError(
                    where, f"key id {key.kid!r} appears twice", "give every key its own id"
                )
            self._keys[key.kid] = key
        active = [k for k in self._keys.values() if k.state is KeyState.ACTIVE]
        if len(active) != 1:
            found = ", ".join(repr(k.kid) for k in active) or "none"
            raise KeyConfigError(
                where,
                f"exactly one key must be active, found {found}",
                "mark one key active and the others retired",
            )
        self._active = active[0]
        secrets_ = [k.secret for k in self._keys.values()]
        if len(set(secrets_)) != len(secrets_):
            raise KeyConfigError(
                where, "two key ids hold the same key", "generate a new key for each id"
            )

    @property
    def active(self) -> Key:
        return self._active

    @property
    def kids(self) -> tuple[str, ...]:
        """Key ids, the active one first."""
        return (self._active.kid, *(k for k in self._keys if k != self._active.kid))

    def get(self, kid: str) -> Key:
        try:
            return self._keys[kid]
        except KeyError:
            raise UnknownKeyId(self.purpose.value, kid, self.kids) from None

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __iter__(self) -> Iterator[Key]:
        """Keys, the active one first."""
        return (self._keys[kid] for kid in self.kids)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"KeyRing({self.purpose.value}, active={self._active.kid!r}, kids={self.kids!r})"

    def add(self, kid: str, secret: bytes) -> KeyRing:
        """This ring plus a retired key (roll it out to every node, then :meth:`activate`)."""
        return KeyRing([*self, Key(kid, secret, KeyState.RETIRED)], purpose=self.purpose)

    def activate(self, kid: str) -> KeyRing:
        """This ring with ``kid`` active and the formerly active key retired."""
        self.get(kid)
        return KeyRing(
            [replace(k, state=KeyState.ACTIVE if k.kid == kid else KeyState.RETIRED) for k in self],
            purpose=self.purpose,
        )

    def drop(self, kid: str) -> KeyRing:
        """This ring without a retired key: only once no token or index names it."""
        if self.get(kid).state is KeyState.ACTIVE:
            raise KeyConfigError(
                f"{self.purpose.value} key ring",
                f"key {kid!r} is active and cannot be dropped",
                "activate another key, rewrap or recompute every value, then drop it",
            )
        return KeyRing([k for k in self if k.kid != kid], purpose=self.purpose)


@dataclass(frozen=True, slots=True)
class KeySet:
    """The two rings of field protection; they never share a key or a key id."""

    encryption: KeyRing
    blind_index: KeyRing

    def __post_init__(self) -> None:
        for ring, purpose in (
            (self.encryption, KeyPurpose.ENCRYPTION),
            (self.blind_index, KeyPurpose.BLIND_INDEX),
        ):
            if ring.purpose is not purpose:
                raise KeyConfigError(
                    "key set",
                    f"the {purpose.value} ring was built for {ring.purpose.value}",
                    "build each ring with its own purpose",
                )
        shared = set(self.encryption.kids) & set(self.blind_index.kids)
        if shared:
            raise KeyConfigError(
                "key set",
                f"key id(s) {', '.join(sorted(shared))} name both an encryption and a "
                "blind-index key",
                "give the two rings distinct ids (e.g. k1… and b1…)",
            )
        if {k.secret for k in self.encryption} & {k.secret for k in self.blind_index}:
            raise KeyConfigError(
                "key set",
                "an encryption key is also used as a blind-index key",
                "generate a separate blind-index key: one key must never serve both",
            )

    def rotate_encryption(self, kid: str, secret: bytes | None = None) -> KeySet:
        """A new active encryption key (random unless given); the old one retired.

        Tokens under the old key keep decrypting; ``FieldCipher.rewrap`` moves them over.
        """
        new = secrets.token_bytes(KEY_BYTES) if secret is None else secret
        return replace(self, encryption=self.encryption.add(kid, new).activate(kid))

    def rotate_blind_index(self, kid: str, secret: bytes | None = None) -> KeySet:
        """A new active blind-index key (random unless given); the old one retired.

        Lookups use ``BlindIndex.candidates`` until every index is recomputed.
        """
        new = secrets.token_bytes(KEY_BYTES) if secret is None else secret
        return replace(self, blind_index=self.blind_index.add(kid, new).activate(kid))

    def drop_encryption(self, kid: str) -> KeySet:
        return replace(self, encryption=self.encryption.drop(kid))

    def drop_blind_index(self, kid: str) -> KeySet:
        return replace(self, blind_index=self.blind_index.drop(kid))
