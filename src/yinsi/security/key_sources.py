"""Where the key set comes from: environment variables or a 0600 JSON file (PIPL Art. 51).

:class:`KeySource` is the port (a KMS adapter can implement it later);
:class:`EnvKeySource` reads two variables, :class:`FileKeySource` reads and atomically
writes a JSON file only its owner may access. No error message carries a key.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from yinsi.security.crypto_errors import KeyConfigError, KeyFileExposed
from yinsi.security.key_ring import Key, KeyPurpose, KeyRing, KeySet, KeyState, decode_key

KEYS_VARIABLE = "YINSI_KEYS"
BLIND_INDEX_KEYS_VARIABLE = "YINSI_BLIND_INDEX_KEYS"
FILE_FORMAT = "yinsi-keys/1"


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
