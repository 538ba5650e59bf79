"""Envelope encryption of PI columns: round trips, tampering, contexts, key ids, rewrap."""

from __future__ import annotations

import base64
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yinsi.security.crypto_errors import DecryptionError, DecryptionProblem
from yinsi.security.envelope import (
    MAX_VALUES_PER_DEK,
    FieldCipher,
    token_key_id,
    token_length,
    token_prefix,
)
from yinsi.security.keys import Key, KeyPurpose, KeyRing, KeyState

PHONE = "13800138000"
CONTEXT = "users.phone"
K1 = secrets.token_bytes(32)
K2 = secrets.token_bytes(32)


def ring(*keys: tuple[str, bytes]) -> KeyRing:
    """An encryption ring; the first key active."""
    return KeyRing(
        [
            Key(kid, secret, KeyState.ACTIVE if n == 0 else KeyState.RETIRED)
            for n, (kid, secret) in enumerate(keys)
        ],
        purpose=KeyPurpose.ENCRYPTION,
    )


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher(ring(("k1", K1)))


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_x25_round_trip_and_token_shape(cipher: FieldCipher) -> None:
    token = cipher.encrypt(PHONE, context=CONTEXT)
    assert cipher.decrypt(token, context=CONTEXT) == PHONE
    assert token.startswith(token_prefix("k1"))
    assert token.isascii() and " " not in token and PHONE not in token
    version, kid, wrapped, value = token.split(".")
    assert (version, kid) == ("yv1", "k1")
    assert len(unb64(wrapped)) == 12 + 32 + 16
    assert len(unb64(value)) == 12 + len(PHONE) + 16
    assert len(token) == token_length(len(PHONE), kid_length=2)
    assert token_key_id(token) == "k1"


def test_x25_same_value_gives_different_tokens(cipher: FieldCipher) -> None:
    tokens = {cipher.encrypt(PHONE, context=CONTEXT) for _ in range(50)}
    assert len(tokens) == 50


@settings(max_examples=200)
@given(plaintext=st.text(), context=st.text(min_size=1, max_size=40))
def test_x25_round_trip_any_unicode(plaintext: str, context: str) -> None:
    cipher = FieldCipher(ring(("k1", K1)), values_per_dek=3)
    token = cipher.encrypt(plaintext, context=context)
    assert token.isascii()
    assert cipher.decrypt(token, context=context) == plaintext
    assert FieldCipher(ring(("k1", K1))).decrypt(token, context=context) == plaintext


@settings(max_examples=100)
@given(data=st.data())
def test_x25_any_altered_byte_is_refused(data: st.DataObject) -> None:
    cipher = FieldCipher(ring(("k1", K1)))
    token = cipher.encrypt(PHONE, context=CONTEXT)
    version, kid, wrapped, value = token.split(".")
    part = data.draw(st.sampled_from(["wrapped", "value"]))
    raw = bytearray(unb64(wrapped if part == "wrapped" else value))
    i = data.draw(st.integers(0, len(raw) - 1))
    raw[i] ^= data.draw(st.integers(1, 255))
    altered = (
        f"{version}.{kid}.{b64(bytes(raw))}.{value}"
        if part == "wrapped"
        else f"{version}.{kid}.{wrapped}.{b64(bytes(raw))}"
    )
    fresh = FieldCipher(ring(("k1", K1)))  # no cached data key
    for c in (cipher, fresh):
        with pytest.raises(DecryptionError) as caught:
            c.decrypt(altered, context=CONTEXT)
        assert caught.value.problem is DecryptionProblem.AUTHENTICATION
        assert caught.value.kid == "k1"


def test_x09_wrong_context_is_refused_naming_it(cipher: FieldCipher) -> None:
    token = cipher.encrypt(PHONE, context="lost_phone_requests.id_photo")
    with pytest.raises(DecryptionError) as caught:
        cipher.decrypt(token, context="users.phone")
    error = caught.value
    assert error.problem is DecryptionProblem.AUTHENTICATION
    assert (error.context, error.kid) == ("users.phone", "k1")
    assert "'users.phone'" in str(error) and "'k1'" in str(error)
    assert PHONE not in str(error) and token not in str(error)


def test_unknown_key_id_is_named(cipher: FieldCipher) -> None:
    token = FieldCipher(ring(("k9", K2))).encrypt(PHONE, context=CONTEXT)
    with pytest.raises(DecryptionError) as caught:
        cipher.decrypt(token, context=CONTEXT)
    assert caught.value.problem is DecryptionProblem.UNKNOWN_KEY
    assert caught.value.kid == "k9"
    assert "'k9'" in str(caught.value) and "'k1'" in str(caught.value)


def test_key_id_swapped_for_another_known_key_is_refused() -> None:
    both = FieldCipher(ring(("k1", K1), ("k2", K2)))
    token = both.encrypt(PHONE, context=CONTEXT)
    forged = token.replace("yv1.k1.", "yv1.k2.", 1)
    with pytest.raises(DecryptionError) as caught:
        FieldCipher(ring(("k1", K1), ("k2", K2))).decrypt(forged, context=CONTEXT)
    assert caught.value.problem is DecryptionProblem.AUTHENTICATION


@pytest.mark.parametrize(
    "stored",
    [
        PHONE,  # a plaintext left from before encryption
        "",
        "yv1.k1.abc",
        "yv1..abc.def",
        "yv1.k1.@@@@.####",
        "yv1.k1.abcd.ef",
        "yv1.k1.汉字.汉字",
        "yv2.k1.aaaa.bbbb",
        "yv1.k1.AAAA.AAAA.AAAA",
        "yv1.13800138000 张三.AAAA.AAAA",  # never echoed as a key id
    ],
)
def test_malformed_token_is_refused_without_echoing_it(cipher: FieldCipher, stored: str) -> None:
    with pytest.raises(DecryptionError) as caught:
        cipher.decrypt(stored, context=CONTEXT)
    assert caught.value.problem is DecryptionProblem.MALFORMED
    if stored:
        assert stored not in str(caught.value)
    assert PHONE not in str(caught.value)
    assert CONTEXT in str(caught.value)


def test_newer_token_version_is_named(cipher: FieldCipher) -> None:
    with pytest.raises(DecryptionError, match="version 'yv2' is not supported"):
        cipher.decrypt("yv2.k1.aaaa.bbbb", context=CONTEXT)


def test_lone_surrogate_is_refused_without_echoing(cipher: FieldCipher) -> None:
    with pytest.raises(ValueError, match="not valid Unicode") as caught:
        cipher.encrypt("138\ud800", context=CONTEXT)
    assert "138" not in str(caught.value)


def test_x25_rewrap_changes_only_the_wrapped_key() -> None:
    old = FieldCipher(ring(("k1", K1)))
    tokens = [old.encrypt(f"1380013{n:04d}", context=CONTEXT) for n in range(20)]
    rotated = ring(("k1", K1)).add("k2", K2).activate("k2")
    new = FieldCipher(rotated)
    assert new.active_kid == "k2" and new.keyring.get("k1").state is KeyState.RETIRED
    assert all(new.needs_rewrap(t) for t in tokens)
    rewrapped = [new.rewrap(t) for t in tokens]
    for n, (before, after) in enumerate(zip(tokens, rewrapped, strict=True)):
        assert token_key_id(after) == "k2" and not new.needs_rewrap(after)
        assert after.split(".")[3] == before.split(".")[3]  # ciphertext untouched
        assert after.split(".")[2] != before.split(".")[2]
        assert new.decrypt(before, context=CONTEXT) == f"1380013{n:04d}"  # old keeps working
        assert new.decrypt(after, context=CONTEXT) == f"1380013{n:04d}"
        assert new.rewrap(after) is after  # idempotent: a stopped job can rerun
    without_k1 = FieldCipher(rotated.drop("k1"))
    assert [without_k1.decrypt(t, context=CONTEXT) for t in rewrapped] == [
        f"1380013{n:04d}" for n in range(20)
    ]


def test_rewrap_of_an_altered_key_is_refused() -> None:
    token = FieldCipher(ring(("k1", K1))).encrypt(PHONE, context=CONTEXT)
    version, kid, wrapped, value = token.split(".")
    raw = bytearray(unb64(wrapped))
    raw[20] ^= 1
    new = FieldCipher(ring(("k1", K1)).add("k2", K2).activate("k2"))
    with pytest.raises(DecryptionError) as caught:
        new.rewrap(f"{version}.{kid}.{b64(bytes(raw))}.{value}")
    assert caught.value.kid == "k1" and caught.value.context is None


def test_data_key_is_shared_for_values_per_dek_values() -> None:
    cipher = FieldCipher(ring(("k1", K1)), values_per_dek=3)
    wrapped = [cipher.encrypt(PHONE, context=CONTEXT).split(".")[2] for _ in range(7)]
    assert wrapped[0] == wrapped[1] == wrapped[2] != wrapped[3]
    assert wrapped[3] == wrapped[4] == wrapped[5] != wrapped[6]
    other = cipher.encrypt(PHONE, context="users.id_number").split(".")[2]
    assert other not in wrapped  # one data key per context


def test_one_data_key_per_value_when_asked() -> None:
    cipher = FieldCipher(ring(("k1", K1)), values_per_dek=1)
    wrapped = {cipher.encrypt(PHONE, context=CONTEXT).split(".")[2] for _ in range(20)}
    assert len(wrapped) == 20


def test_caches_stay_bounded() -> None:
    cipher = FieldCipher(ring(("k1", K1)), values_per_dek=1, cache_size=4)
    tokens = [cipher.encrypt(str(n), context=f"t.c{n}") for n in range(10)]
    assert [cipher.decrypt(t, context=f"t.c{n}") for n, t in enumerate(tokens)] == [
        str(n) for n in range(10)
    ]
    assert len(cipher._deks) <= 4 and len(cipher._unwrapped) <= 4


@pytest.mark.parametrize("values_per_dek", [0, MAX_VALUES_PER_DEK + 1])
def test_values_per_dek_is_bounded_by_the_nonce_limit(values_per_dek: int) -> None:
    with pytest.raises(ValueError, match="2\\*\\*32"):
        FieldCipher(ring(("k1", K1)), values_per_dek=values_per_dek)


def test_blind_index_ring_never_encrypts() -> None:
    index_ring = KeyRing([Key("b1", K2, KeyState.ACTIVE)], purpose=KeyPurpose.BLIND_INDEX)
    with pytest.raises(ValueError, match=r"KeySet\.encryption"):
        FieldCipher(index_ring)


def test_token_length_bounds_real_tokens(cipher: FieldCipher) -> None:
    for text in ["", "a", "张三", "x" * 255]:
        token = cipher.encrypt(text, context=CONTEXT)
        assert len(token) == token_length(len(text.encode()), kid_length=2)
    assert token_length(11) <= 255  # a phone fits VARCHAR(255) under any key id
