"""Field protection with yinsi's library: AES-256-GCM envelope encryption of PI columns and
keyed blind indexes to find a row by phone or ID number (PIPL Art. 51)."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

from yinsi.security import (
    BlindIndex,
    FieldCipher,
    FileKeySource,
    IndexKind,
    Key,
    KeyPurpose,
    KeyRing,
    KeySet,
    KeyState,
)

__all__ = ["FieldProtection", "IndexKind"]


def _new_keys() -> KeySet:
    def ring(kid: str, purpose: KeyPurpose) -> KeyRing:
        return KeyRing([Key(kid, secrets.token_bytes(32), KeyState.ACTIVE)], purpose=purpose)

    return KeySet(
        encryption=ring("k1", KeyPurpose.ENCRYPTION),
        blind_index=ring("b1", KeyPurpose.BLIND_INDEX),
    )


class FieldProtection:
    """Encrypts and indexes the app's PI columns; contexts are ``<table>.<column>``."""

    def __init__(self, keys: KeySet) -> None:
        self._cipher = FieldCipher(keys.encryption)
        self._index = BlindIndex(keys.blind_index)

    @classmethod
    def from_file(cls, path: Path) -> FieldProtection:
        """Keys from the 0600 key file at ``path``; a new key set is made if it is missing."""
        source = FileKeySource(path)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            source.save(_new_keys())
        return cls(source.load())

    def encrypt(self, value: str | None, context: str) -> str | None:
        return None if value is None else self._cipher.encrypt(value, context=context)

    def decrypt(self, token: str | None, context: str) -> str | None:
        return None if token is None else self._cipher.decrypt(token, context=context)

    def phone_index(self, phone: str) -> str:
        return self._index.of(phone, kind=IndexKind.PHONE)

    def id_number_index(self, id_number: str) -> str:
        return self._index.of(id_number, kind=IndexKind.ID_NUMBER)

    @staticmethod
    def key_text(secret: bytes) -> str:
        return base64.b64encode(secret).decode("ascii")
