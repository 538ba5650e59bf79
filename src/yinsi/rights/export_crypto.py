"""An encrypted copy a subject can open: a ZIP with WinZip AES-256 encryption (AE-2).

The standard encrypted ZIP that 7-Zip, WinRAR, Bandizip, 360压缩, Keka and most phone
file managers open with a password; plain :mod:`zipfile` cannot write it, so the entries
of the archive :func:`yinsi.rights.export.archive` made are re-written here with
:mod:`cryptography` (WinZip "AES Encryption Information", AE-2):

- per entry a random 16-byte salt; PBKDF2-HMAC-SHA1 (1,000 iterations, as the format
  fixes) derives a 32-byte AES key, a 32-byte HMAC key and a 2-byte password check;
- the deflated data is encrypted with AES-256 in CTR mode (little-endian counter from 1)
  and authenticated with HMAC-SHA1 over the ciphertext (10 bytes kept);
- CRC-32 is stored as 0 (AE-2), compression method 99 with the real one (deflate) in the
  0x9901 extra field.

The passphrase is random (:func:`passphrase`: 24 characters from an alphabet without
look-alikes, ~120 bits), shown to the subject in the privacy center next to the download.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import struct
import zipfile
import zlib

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = ["encrypt_zip", "passphrase"]

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
_ITERATIONS = 1000
_SALT = 16
_KEY = 32
_AES_EXTRA = struct.pack("<HHH2sBH", 0x9901, 7, 2, b"AE", 3, zipfile.ZIP_DEFLATED)
_FLAGS = 0x0001 | 0x0800  # encrypted, UTF-8 names
_METHOD = 99
_VERSION = 51
_DOS_1980 = (0, (1 << 5) | 1)  # time 00:00:00, date 1980-01-01


def passphrase(length: int = 24) -> str:
    """A random passphrase, grouped in fours for reading aloud (``abcd-efgh-…``)."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(length))
    return "-".join(raw[i : i + 4] for i in range(0, length, 4))


def _keystream_xor(key: bytes, data: bytes) -> bytes:
    blocks = (len(data) + 15) // 16
    counters = b"".join(i.to_bytes(16, "little") for i in range(1, blocks + 1))
    # ECB over the counter blocks is CTR with the little-endian counter WinZip uses
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    stream = encryptor.update(counters) + encryptor.finalize()
    mixed = int.from_bytes(data, "little") ^ int.from_bytes(stream[: len(data)], "little")
    return mixed.to_bytes(len(data), "little")


def _encrypt(data: bytes, secret: bytes) -> bytes:
    """salt + password check + AES-256-CTR(deflate(data)) + HMAC-SHA1[:10]."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = packer.compress(data) + packer.flush()
    salt = secrets.token_bytes(_SALT)
    derived = hashlib.pbkdf2_hmac("sha1", secret, salt, _ITERATIONS, 2 * _KEY + 2)
    aes_key, mac_key, check = derived[:_KEY], derived[_KEY : 2 * _KEY], derived[2 * _KEY :]
    cipher = _keystream_xor(aes_key, deflated)
    mac = hmac.new(mac_key, cipher, hashlib.sha1).digest()[:10]
    return salt + check + cipher + mac


def encrypt_zip(plain_zip: bytes, secret: str) -> bytes:
    """``plain_zip`` with every entry encrypted under ``secret`` (same names, same order)."""
    key = secret.encode("utf-8")
    out = io.BytesIO()
    central: list[bytes] = []
    with zipfile.ZipFile(io.BytesIO(plain_zip)) as source:
        for info in source.infolist():
            name = info.filename.encode("utf-8")
            body = _encrypt(source.read(info), key)
            common = struct.pack(
                "<HHHHHIIIHH",
                _VERSION,
                _FLAGS,
                _METHOD,
                *_DOS_1980,
                0,
                len(body),
                info.file_size,
                len(name),
                len(_AES_EXTRA),
            )
            offset = out.tell()
            out.write(b"PK\x03\x04" + common + name + _AES_EXTRA + body)
            central.append(
                b"PK\x01\x02"
                + struct.pack("<H", (3 << 8) | _VERSION)  # made by: Unix, so modes apply
                + common
                + struct.pack("<HHHII", 0, 0, 0, (0o100600 << 16), offset)
                + name
                + _AES_EXTRA
            )
    start = out.tell()
    for record in central:
        out.write(record)
    size = out.tell() - start
    count = len(central)
    out.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, count, count, size, start, 0))
    return out.getvalue()
