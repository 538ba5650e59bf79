"""Clear values of the app's encrypted columns for rights requests (X35, PIPL Art. 45, 46).

An app that encrypts its PI columns (``encrypted: true`` in the data map, FieldCipher
tokens ``yv1.…``) holds tokens, not phones and ID numbers. Rights requests need the clear
values: the phone on file receives the verification code, the ID number's last six
characters are compared, an access export gives the subject their data, an answer is
sent to the phone on file. And a correction writes a new value that must be encrypted,
its blind index recomputed; an erasure of it empties its blind index too.

:func:`clear_connectors` wraps the app's connectors so that every record they find
decrypts its encrypted fields when they are read (lazily: a walk that reads only link
columns needs no key), and a correction of an encrypted field stores a token and the
blind index. The keys are the app's field keys, the ones ``yinsi keys`` manages:

    YINSI_KEY_FILE                          the key file (JSON, 0600) — as `yinsi keys`
    YINSI_KEYS (+ YINSI_BLIND_INDEX_KEYS)   else the keys in variables (EnvKeySource)

A missing key or a token that does not decrypt is a :class:`ConnectorError` naming the
store and what to configure, never carrying a value or a key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property

from yinsi.declaration.datamap import DataMap, Dataset, MappedField, Strategy
from yinsi.rights.ports import Connector, ConnectorError, EraseOutcome, Record
from yinsi.security import (
    BlindIndex,
    EnvKeySource,
    FieldCipher,
    FileKeySource,
    IndexKind,
    KeySet,
    KeySource,
    SecurityError,
)
from yinsi.security.key_sources import KEYS_VARIABLE

__all__ = ["KEY_FILE_VARIABLE", "FieldValues", "KeySource", "clear_connectors", "context_of"]

KEY_FILE_VARIABLE = "YINSI_KEY_FILE"
_NO_KEYS = (
    "数据清单中有加密字段（encrypted: true），但未配置字段加密密钥：请设置 YINSI_KEY_FILE "
    "（应用加密所用的密钥文件，同 `yinsi keys --key-file`）或 YINSI_KEYS / "
    "YINSI_BLIND_INDEX_KEYS"
)


def context_of(dataset: Dataset, field: MappedField) -> str:
    """The FieldCipher context of an encrypted column: its ``context``, else ``table.column``."""
    return field.context or f"{dataset.table}.{field.column}"


class FieldValues:
    """The app's field keys, loaded on first use from ``source`` or the environment."""

    def __init__(self, environ: Mapping[str, str], source: KeySource | None = None) -> None:
        self._environ = environ
        self._source = source

    @cached_property
    def keys(self) -> KeySet:
        source = self._source
        if source is None:
            path = self._environ.get(KEY_FILE_VARIABLE, "").strip()
            if path:
                source = FileKeySource(path)
            elif self._environ.get(KEYS_VARIABLE, "").strip():
                source = EnvKeySource(self._environ)
            else:
                raise LookupError(_NO_KEYS)
        return source.load()

    @cached_property
    def cipher(self) -> FieldCipher:
        return FieldCipher(self.keys.encryption)

    @cached_property
    def index(self) -> BlindIndex:
        return BlindIndex(self.keys.blind_index)

    def decrypt(self, store: str, token: str, context: str) -> str:
        try:
            return self.cipher.decrypt(token, context=context)
        except LookupError as exc:
            raise ConnectorError(store, str(exc)) from None
        except SecurityError as exc:
            raise ConnectorError(store, f"字段解密失败（{exc}）") from None

    def encrypt(self, store: str, value: str, context: str) -> tuple[str, BlindIndex]:
        try:
            return self.cipher.encrypt(value, context=context), self.index
        except LookupError as exc:
            raise ConnectorError(store, str(exc)) from None
        except SecurityError as exc:
            raise ConnectorError(store, f"字段加密密钥不可用（{exc}）") from None


class _ClearValues(Mapping[str, object]):
    """A record's values; encrypted ones are decrypted when read (never stored clear)."""

    def __init__(
        self, raw: Mapping[str, object], contexts: Mapping[str, str], store: str, fv: FieldValues
    ) -> None:
        self._raw = raw
        self._contexts = contexts
        self._store = store
        self._fv = fv

    def __getitem__(self, name: str) -> object:
        value = self._raw[name]
        context = self._contexts.get(name)
        if context is None or not isinstance(value, str) or not value:
            return value
        return self._fv.decrypt(self._store, value, context)

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class ClearConnector(Connector):
    """A connector whose records give clear values and whose corrections encrypt."""

    def __init__(self, inner: Connector, store: str, values: FieldValues) -> None:
        self.inner = inner
        self._store = store
        self._values = values

    def _clear(self, dataset: Dataset, records: list[Record]) -> list[Record]:
        contexts = {f.name: context_of(dataset, f) for f in dataset.fields if f.encrypted}
        if not contexts:
            return records
        return [
            Record(
                r.dataset,
                r.key,
                _ClearValues(r.values, contexts, self._store, self._values),
                r.holds,
            )
            for r in records
        ]

    def find(self, dataset: Dataset, match: Mapping[str, Sequence[str]]) -> list[Record]:
        return self._clear(dataset, self.inner.find(dataset, match))

    def find_keys(self, dataset: Dataset, keys: Sequence[str]) -> list[Record]:
        return self._clear(dataset, self.inner.find_keys(dataset, keys))

    def erase(
        self, dataset: Dataset, keys: Sequence[str], *, hash_key: bytes, idempotency_key: str
    ) -> EraseOutcome:
        """Erase as the dataset says; a field-by-field erasure also empties (NULL) the
        blind index columns of the erased encrypted fields: an index left behind would
        still find the person by phone or ID number."""
        done = self.inner.erase(dataset, keys, hash_key=hash_key, idempotency_key=idempotency_key)
        indexes = [
            MappedField(column=f.blind_index.column, element=f.element, erase=Strategy.NULL)
            for f in dataset.fields
            if f.blind_index is not None
        ]
        if dataset.erase == "fields" and indexes:
            of_index = dataset.model_copy(update={"fields": indexes})
            self.inner.erase(
                of_index, keys, hash_key=hash_key, idempotency_key=f"{idempotency_key}:index"
            )
        return done

    def correct(self, dataset: Dataset, key: str, name: str, value: str) -> int:
        """An encrypted field gets a token; its blind index column (written first, through
        a copy of the dataset declaring it) the new value's index. A crash in between is
        repaired by running the step again."""
        field = next((f for f in dataset.fields if f.name == name and f.encrypted), None)
        if field is None:
            return self.inner.correct(dataset, key, name, value)
        token, index = self._values.encrypt(self._store, value, context_of(dataset, field))
        if field.blind_index is not None:
            ref = field.blind_index
            try:
                digest = index.of(value, kind=IndexKind(ref.kind))
            except ValueError as exc:
                raise ConnectorError(self._store, f"更正值无法建立盲索引：{exc}") from None
            extra = MappedField(column=ref.column, element=field.element)
            indexed = dataset.model_copy(update={"fields": [*dataset.fields, extra]})
            self.inner.correct(indexed, key, ref.column, digest)
        return self.inner.correct(dataset, key, name, token)

    def scan(self, dataset: Dataset) -> Iterator[Record]:
        return self.inner.scan(dataset)

    def close(self) -> None:
        self.inner.close()


class _ClearConnectors(Mapping[str, Connector]):
    """The app's connectors, those of ``stores`` wrapped on access (each connected lazily)."""

    def __init__(
        self, connectors: Mapping[str, Connector], stores: set[str], values: FieldValues
    ) -> None:
        self.inner = connectors
        self._stores = stores
        self._values = values
        self._wrapped: dict[str, Connector] = {}

    def __getitem__(self, store: str) -> Connector:
        if store not in self._stores:
            return self.inner[store]
        found = self._wrapped.get(store)
        if found is None:
            found = ClearConnector(self.inner[store], store, self._values)
            self._wrapped[store] = found
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.inner)

    def __len__(self) -> int:
        return len(self.inner)


def clear_connectors(
    data_map: DataMap, connectors: Mapping[str, Connector], values: FieldValues
) -> Mapping[str, Connector]:
    """``connectors`` with the stores holding encrypted fields wrapped (the rest as they are)."""
    stores = {ds.store for ds in data_map.datasets if any(f.encrypted for f in ds.fields)}
    if not stores:
        return connectors
    return _ClearConnectors(connectors, stores, values)
