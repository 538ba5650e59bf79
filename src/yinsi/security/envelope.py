"""Envelope encryption of PI columns with AES-256-GCM (PIPL Art. 51; X09, X25, W17).

A value is encrypted under a random 256-bit data key (DEK); the DEK is wrapped by the
active key-encryption key (KEK) of a :class:`~yinsi.security.keys.KeyRing`. Both steps
are AES-256-GCM with random 96-bit nonces. The result is one ASCII token that fits a
VARCHAR or TEXT column::

    yv1.<kid>.<wrapped DEK>.<value>          (URL-safe base64, no padding)
        wrapped DEK = nonce(12) ‖ AES-GCM(KEK, DEK, ad="yinsi/yv1/dek" ‖ 0 ‖ kid)       80 chars
        value       = nonce(12) ‖ AES-GCM(DEK, UTF-8 plaintext, ad="yinsi/yv1/value" ‖ 0 ‖ context)

An 11-digit phone under a 2-character kid is a 140-character token; size columns with
:func:`token_length`. ``context`` (e.g. ``"users.phone"``) is bound as associated data,
so a value copied into another column does not decrypt there.

**Rotation without downtime.** :meth:`FieldCipher.rewrap` unwraps the DEK with the
token's (retired) KEK and wraps it again under the active one; the value part is copied
byte for byte. Until a background job has rewrapped every row, old tokens keep
decrypting because retired keys stay in the ring. Rows still to do are those not
starting with :func:`token_prefix` of the active key id: in SQLAlchemy
``~column.startswith(token_prefix(kid), autoescape=True)`` (``_`` is a LIKE wildcard).
Update each row only if its token is still the one read, so a concurrent write wins.

**One DEK per batch, not per value.** A fresh DEK per value costs a key generation, a
key schedule and two AES-GCM operations: about 85 000 values/s against 460 000 for one
raw AES-GCM encryption (11-byte values, one core of a development machine). FieldCipher
therefore keeps one DEK per context and uses it for ``values_per_dek`` values (default
2**20) before drawing the next, so the hot path is one nonce and one AES-GCM operation:
about 350 000 values/s, 0.75x raw AES-GCM (the rest is base64 and the token string).
The trade-offs:

- random 96-bit nonces under one key must stay below 2**32 uses (NIST SP 800-38D §8.3);
  at 2**20 the chance of a nonce collision is below 2**-57. ``values_per_dek`` is capped
  at 2**32;
- tokens sharing a wrapped DEK show that one process wrote them in the same batch (never
  anything about their values); rewrapping keeps that grouping;
- ``values_per_dek=1`` gives one DEK per value, for columns where that linkage matters.

Every KEK wrap also draws a random nonce, so one KEK should wrap fewer than 2**32 DEKs:
with the default that is 2**52 values; with one DEK per value, rotate before 4 billion.

Decryption caches unwrapped DEKs (bounded), so a batch sharing a DEK costs one AES-GCM
operation per value too. Errors are :class:`DecryptionError`; they name the key id and
the context, never the value or the token.
"""

from __future__ import annotations

import binascii
import itertools
import os
from typing import NamedTuple, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from yinsi.security.crypto_errors import DecryptionError, DecryptionProblem, UnknownKeyId
from yinsi.security.keys import KID_PATTERN, KeyPurpose, KeyRing

VERSION = "yv1"
NONCE_BYTES = 12
TAG_BYTES = 16
DEFAULT_VALUES_PER_DEK = 1 << 20
MAX_VALUES_PER_DEK = 1 << 32
"""The NIST limit for random 96-bit nonces under one key."""
DEFAULT_CACHE_SIZE = 4096

_DEK_AD = f"yinsi/{VERSION}/dek\0".encode()
_VALUE_AD = f"yinsi/{VERSION}/value\0".encode()
_WRAPPED_CHARS = 80  # 12 + 32 + 16 bytes in unpadded base64
_K = TypeVar("_K")
_V = TypeVar("_V")


_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _b64(raw: bytes) -> str:
    """URL-safe base64 without padding (binascii directly: 2x faster than base64's)."""
    return binascii.b2a_base64(raw, newline=False).rstrip(b"=").translate(_TO_URLSAFE).decode()


def _unb64(text: str) -> bytes:
    data = text.encode("ascii").translate(_FROM_URLSAFE)
    return binascii.a2b_base64(data + b"=" * (-len(data) % 4))


def token_length(plaintext_bytes: int, *, kid_length: int = 32) -> int:
    """Characters of a token for a value of ``plaintext_bytes`` UTF-8 bytes (column size)."""
    value_bytes = NONCE_BYTES + plaintext_bytes + TAG_BYTES
    return len(VERSION) + 1 + kid_length + 1 + _WRAPPED_CHARS + 1 + (4 * value_bytes + 2) // 3


def token_prefix(kid: str) -> str:
    """What every token wrapped under ``kid`` starts with: ``yv1.<kid>.``."""
    return f"{VERSION}.{kid}."


class _Parts(NamedTuple):
    kid: str
    wrapped: str
    value: str


def _parse(token: str, context: str | None) -> _Parts:
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != VERSION or not (parts[1] and parts[2] and parts[3]):
        version = parts[0] if len(parts) == 4 and parts[0][:2] == "yv" else None
        detail = (
            f"token version {version!r} is not supported by this yinsi (it reads {VERSION})"
            if version is not None and version[2:].isdigit()
            else f"the value is not a {VERSION}.<kid>.<dek>.<data> token"
        )
        raise DecryptionError(DecryptionProblem.MALFORMED, context=context, kid=None, detail=detail)
    return _Parts(parts[1], parts[2], parts[3])


def token_key_id(token: str) -> str:
    """The id of the KEK that wraps ``token``'s data key."""
    return _parse(token, None).kid


class _DataKey:
    """A DEK in use for one context: its cipher, token prefix, AD and use counter."""

    __slots__ = ("ad", "aead", "prefix", "uses")

    def __init__(self, aead: AESGCM, prefix: str, ad: bytes) -> None:
        self.aead = aead
        self.prefix = prefix
        self.ad = ad
        self.uses = itertools.count(1)  # next() is atomic in CPython: no lock on the hot path


class FieldCipher:
    """Encrypts, decrypts and rewraps column values under an encryption key ring."""

    def __init__(
        self,
        keyring: KeyRing,
        *,
        values_per_dek: int = DEFAULT_VALUES_PER_DEK,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        if keyring.purpose is not KeyPurpose.ENCRYPTION:
            raise ValueError(
                f"FieldCipher needs the encryption key ring, got the {keyring.purpose.value} "
                "ring; pass KeySet.encryption (blind-index keys never encrypt)"
            )
        if not 1 <= values_per_dek <= MAX_VALUES_PER_DEK:
            raise ValueError(
                f"values_per_dek is {values_per_dek}; choose 1 (one data key per value) up "
                f"to {MAX_VALUES_PER_DEK} (2**32, the AES-GCM random-nonce limit)"
            )
        if cache_size < 1:
            raise ValueError(f"cache_size is {cache_size}; it must be at least 1")
        self.keyring = keyring
        self._active = keyring.active.kid
        self._keks = {key.kid: AESGCM(key.secret) for key in keyring}
        self._values_per_dek = values_per_dek
        self._cache_size = cache_size
        self._deks: dict[str, _DataKey] = {}
        self._unwrapped: dict[tuple[str, str], AESGCM] = {}
        self._rewrapped: dict[tuple[str, str], str] = {}

    @property
    def active_kid(self) -> str:
        return self._active

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """A token for ``plaintext`` that decrypts only with ``context``."""
        dek = self._deks.get(context)
        if dek is None or next(dek.uses) >= self._values_per_dek:
            dek = self._new_dek(context)
        try:
            data = plaintext.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                f"the value for context {context!r} is not valid Unicode text (it holds a "
                "lone surrogate); decode it properly before encrypting"
            ) from None
        nonce = os.urandom(NONCE_BYTES)
        return dek.prefix + _b64(nonce + dek.aead.encrypt(nonce, data, dek.ad))

    def decrypt(self, token: str, *, context: str) -> str:
        """The plaintext of a token made by :meth:`encrypt` with the same ``context``."""
        parts = _parse(token, context)
        aead = self._unwrapped.get((parts.kid, parts.wrapped))
        if aead is None:
            aead = AESGCM(self._unwrap(parts, context))
            self._remember(self._unwrapped, (parts.kid, parts.wrapped), aead)
        raw = self._decode(parts.value, parts.kid, context, "value")
        try:
            data = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _VALUE_AD + context.encode())
        except InvalidTag:
            raise DecryptionError(
                DecryptionProblem.AUTHENTICATION,
                context=context,
                kid=parts.kid,
                detail=f"the value does not authenticate under context {context!r}",
            ) from None
        return data.decode("utf-8")

    def needs_rewrap(self, token: str) -> bool:
        """Whether ``token``'s data key is wrapped by another key than the active one."""
        return _parse(token, None).kid != self._active

    def rewrap(self, token: str) -> str:
        """``token`` with its data key wrapped by the active KEK; the value part unchanged.

        A token already under the active key comes back as it is, so a rotation job can
        be stopped and rerun. Needs no context: the context binds the value part, which
        is copied as it is.
        """
        parts = _parse(token, None)
        if parts.kid == self._active:
            return token
        wrapped = self._rewrapped.get((parts.kid, parts.wrapped))
        if wrapped is None:
            wrapped = self._wrap(self._unwrap(parts, None))
            self._remember(self._rewrapped, (parts.kid, parts.wrapped), wrapped)
        return f"{VERSION}.{self._active}.{wrapped}.{parts.value}"

    def _new_dek(self, context: str) -> _DataKey:
        secret = AESGCM.generate_key(bit_length=256)
        wrapped = self._wrap(secret)
        aead = AESGCM(secret)
        dek = _DataKey(aead, f"{VERSION}.{self._active}.{wrapped}.", _VALUE_AD + context.encode())
        self._remember(self._deks, context, dek)
        self._remember(self._unwrapped, (self._active, wrapped), aead)
        return dek

    def _wrap(self, secret: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        kek = self._keks[self._active]
        return _b64(nonce + kek.encrypt(nonce, secret, _DEK_AD + self._active.encode()))

    def _unwrap(self, parts: _Parts, context: str | None) -> bytes:
        try:
            self.keyring.get(parts.kid)
        except UnknownKeyId as exc:
            if not KID_PATTERN.fullmatch(parts.kid):  # not a key id: maybe a value, never echo
                raise DecryptionError(
                    DecryptionProblem.MALFORMED,
                    context=context,
                    kid=None,
                    detail="the key id part is not a key id",
                ) from None
            held = ", ".join(repr(kid) for kid in exc.known)
            raise DecryptionError(
                DecryptionProblem.UNKNOWN_KEY,
                context=context,
                kid=parts.kid,
                detail=f"the encryption key ring holds {held}, not {parts.kid!r}",
            ) from None
        raw = self._decode(parts.wrapped, parts.kid, context, "wrapped data key")
        try:
            return self._keks[parts.kid].decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _DEK_AD + parts.kid.encode()
            )
        except InvalidTag:
            raise DecryptionError(
                DecryptionProblem.AUTHENTICATION,
                context=context,
                kid=parts.kid,
                detail=f"the data key does not unwrap under key {parts.kid!r}",
            ) from None

    @staticmethod
    def _decode(text: str, kid: str, context: str | None, what: str) -> bytes:
        try:
            raw = _unb64(text)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError(
                DecryptionProblem.MALFORMED,
                context=context,
                kid=kid,
                detail=f"the {what} part is not base64 of a nonce, ciphertext and tag",
            )
        return raw

    def _remember(self, cache: dict[_K, _V], key: _K, value: _V) -> None:
        if len(cache) >= self._cache_size:
            cache.clear()  # bounded; a miss only costs one unwrap (or one new DEK)
        cache[key] = value
