"""Keys of field protection: key rings, where keys come from, and new keys (PIPL Art. 51).

Two rings, never sharing a key (:class:`KeySet`):

- the **encryption** ring holds key-encryption keys (KEKs) that wrap the data keys of
  :class:`yinsi.security.envelope.FieldCipher`;
- the **blind-index** ring holds the HMAC keys of :class:`yinsi.security.blind_index.BlindIndex`.

Each key is 32 random bytes (AES-256 / HMAC-SHA256) with a key id (``kid``: 1-32 of
``A-Z a-z 0-9 _ -``) and a state. Exactly one key per ring is **active**: it encrypts (or
computes new indexes). **Retired** keys only decrypt (or find rows not yet recomputed);
a key being rolled out is added as retired first, so every node can read its tokens
before any node writes them, then activated.

Rotation, without downtime (``yinsi keys rotate``)::

    keys = source.load()
    keys = keys.rotate_encryption("k2")                   # new k2 active, k1 retired
    FileKeySource(path).save(keys)                        # every node reloads
    ... a background job calls FieldCipher.rewrap on every token not under k2 ...
    keys = keys.drop_encryption("k1")                      # once no token names k1

Sources (:class:`KeySource`): :class:`EnvKeySource` reads two variables,
:class:`FileKeySource` a JSON file of mode 0600. Keys are never printed: ``repr`` hides
them and no error message carries one.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import stat
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from yinsi.security.crypto_errors import KeyConfigError, KeyFileExposed, UnknownKeyId

KEY_BYTES = 32
"""AES-256 and HMAC-SHA256 keys are 32 bytes."""

KID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
"""A key id: it appears in every token and index, so it is short and dot-free."""

KEYS_VARIABLE = "YINSI_KEYS"
BLIND_INDEX_KEYS_VARIABLE = "YINSI_BLIND_INDEX_KEYS"
FILE_FORMAT = "yinsi-keys/1"


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


class KeySource(ABC):
    """Port: where the key set comes from (variables, a file; a KMS adapter later)."""

    @abstractmethod
    def load(self) -> KeySet:
        """The current key set; raises :class:`KeyConfigError` naming what to fix."""


class EnvKeySource(KeySource):
    """Keys from two environment variables, each ``kid:base64key,kid:base64key``.

    The first entry is active, the rest retired::

        YINSI_KEYS=k2:<base64>,k1:<base64>
        YINSI_BLIND_INDEX_KEYS=b1:<base64>
    """

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        variable: str = KEYS_VARIABLE,
        blind_index_variable: str = BLIND_INDEX_KEYS_VARIABLE,
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self._variable = variable
        self._blind_index_variable = blind_index_variable

    def load(self) -> KeySet:
        return KeySet(
            encryption=self._ring(self._variable, KeyPurpose.ENCRYPTION),
            blind_index=self._ring(self._blind_index_variable, KeyPurpose.BLIND_INDEX),
        )

    def _ring(self, variable: str, purpose: KeyPurpose) -> KeyRing:
        value = self._environ.get(variable, "").strip()
        if not value:
            raise KeyConfigError(
                f"environment variable {variable}",
                "it is not set",
                "set it to kid:base64key[,kid:base64key…], the active key first; make a "
                "key with yinsi.security.generate_key()",
            )
        keys = []
        for n, entry in enumerate(value.split(","), start=1):
            kid, sep, encoded = entry.strip().partition(":")
            where = f"environment variable {variable}, entry {n}"
            if not sep or not kid:
                raise KeyConfigError(
                    where, "an entry is kid:base64key", "separate the key id from the key by ':'"
                )
            state = KeyState.ACTIVE if n == 1 else KeyState.RETIRED
            keys.append(Key(kid.strip(), decode_key(encoded, where=where), state))
        return KeyRing(keys, purpose=purpose)


class FileKeySource(KeySource):
    """Keys from a JSON file only its owner may read or write (mode 0600)::

        {"format": "yinsi-keys/1",
         "encryption":  [{"kid": "k2", "state": "active",  "key": "<base64>"},
                         {"kid": "k1", "state": "retired", "key": "<base64>"}],
         "blind_index": [{"kid": "b1", "state": "active",  "key": "<base64>"}]}

    A file its group or others may access is refused (:class:`KeyFileExposed`).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> KeySet:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            raise KeyConfigError(
                f"key file {self.path}",
                "it does not exist",
                "create it with FileKeySource(path).save(keys) or point to the right path",
            ) from None
        with os.fdopen(fd, "rb") as file:
            mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
            if mode & 0o077:
                raise KeyFileExposed(str(self.path), mode)
            raw = file.read()
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise KeyConfigError(
                f"key file {self.path}",
                f"it is not valid JSON ({exc.__class__.__name__})",
                "restore it from your key backup",
            ) from None
        if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
            raise KeyConfigError(
                f"key file {self.path}",
                f"it is not a {FILE_FORMAT} key file",
                f'it must be a JSON object with "format": "{FILE_FORMAT}"',
            )
        return KeySet(
            encryption=self._ring(data, KeyPurpose.ENCRYPTION),
            blind_index=self._ring(data, KeyPurpose.BLIND_INDEX),
        )

    def _ring(self, data: dict[str, Any], purpose: KeyPurpose) -> KeyRing:
        entries = data.get(purpose.value)
        if not isinstance(entries, list) or not entries:
            raise KeyConfigError(
                f"key file {self.path}",
                f'"{purpose.value}" is missing or empty',
                'list its keys as [{"kid": …, "state": "active"|"retired", "key": …}]',
            )
        keys = []
        for n, entry in enumerate(entries):
            where = f"key file {self.path}, {purpose.value}[{n}]"
            if not isinstance(entry, dict) or not all(
                isinstance(entry.get(f), str) for f in ("kid", "state", "key")
            ):
                raise KeyConfigError(
                    where, "an entry needs string kid, state and key", "complete the entry"
                )
            try:
                state = KeyState(entry["state"])
            except ValueError:
                raise KeyConfigError(
                    where, f"state {entry['state']!r} is unknown", 'use "active" or "retired"'
                ) from None
            keys.append(Key(entry["kid"], decode_key(entry["key"], where=where), state))
        return KeyRing(keys, purpose=purpose)

    def save(self, keys: KeySet) -> None:
        """Write ``keys`` atomically, mode 0600 (a crash leaves the old file or the new one)."""
        data = {
            "format": FILE_FORMAT,
            **{
                ring.purpose.value: [
                    {
                        "kid": k.kid,
                        "state": k.state.value,
                        "key": base64.b64encode(k.secret).decode("ascii"),
                    }
                    for k in ring
                ]
                for ring in (keys.encryption, keys.blind_index)
            },
        }
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(data, file, indent=2)
                file.write("\n")
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
