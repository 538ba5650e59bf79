"""The Redis adapter of the rights executor (redis-py).

A dataset's ``key`` is a pattern such as ``session:{user_id}`` or ``sms:{phone_hash}:*``.
Each ``{identity}`` is replaced by the subject's values; a key without wildcards is read
directly, one with ``*`` (or ``?``, ``[``) is found with ``SCAN MATCH``, and glob
characters in the values are escaped so a value never widens the match.

One record per Redis key: a hash gives its declared fields, a string ``{"value": …}``,
a set, list or sorted set ``{"members": [...]}``. Erasing ``row`` deletes the key;
erasing ``fields`` of a hash applies each field's strategy in a ``WATCH``/``MULTI``
transaction (``delete`` and ``null`` remove the field, as Redis has no null). Both are
idempotent: a missing key or field is skipped.

Holds: ``since`` names a hash field holding an ISO date; ``while`` is SQL and is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import product
from typing import Any

import redis
from redis.client import Pipeline

from yinsi.connectors.sql_values import as_date
from yinsi.connectors.urls import display_url
from yinsi.declaration.datamap import EMPTYING, Dataset, MappedField, Store
from yinsi.lifecycle.deidentify import DeidentificationError, apply
from yinsi.lifecycle.incidents import key_values
from yinsi.rights.ports import Connector, ConnectorError, EraseOutcome, HoldFacts, Record

SCAN_COUNT = 1000
"""The ``COUNT`` hint of each SCAN call."""
CHUNK_SIZE = 500
"""Keys per DEL and per pipeline of reads."""

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_GLOB = re.compile(r"([\\*?\[\]])")
_WILDCARDS = ("*", "?", "[")
_MEMBERS = {"set", "list", "zset"}


class RedisConnector(Connector):
    """A Redis of the data map, reached through a redis-py client."""

    def __init__(
        self,
        store: Store,
        client: redis.Redis,
        *,
        scan_count: int = SCAN_COUNT,
        chunk_size: int = CHUNK_SIZE,
        owned: bool = False,
    ) -> None:
        """``owned``: :meth:`close` closes the client (the factory's clients are owned)."""
        self.store = store.id
        self._client = client
        self._scan_count = scan_count
        self._chunk = chunk_size
        self._owned = owned
        kwargs = client.connection_pool.connection_kwargs
        if kwargs.get("path"):
            self._shown = f"unix://{kwargs['path']}"
        else:
            where = f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
            self._shown = display_url(f"redis://{where}/{kwargs.get('db', 0)}")

    # -- the port ---------------------------------------------------------------------

    def find(self, dataset: Dataset, match: Mapping[str, Sequence[str]]) -> list[Record]:
        if any(h.while_ for h in dataset.holds):
            raise ConnectorError(
                self.store,
                f"dataset {dataset.id!r}: a hold's `while` is a SQL condition and Redis has "
                "none; give the hold a `since` hash field, or keep the data in SQL",
            )
        exact, patterns = self._keys(dataset, match)
        with self._guard(f"reading keys of dataset {dataset.id!r}"):
            found = dict.fromkeys(exact)  # an ordered set
            for pattern in patterns:
                scan = self._client.scan_iter(match=pattern, count=self._scan_count)
                found.update(dict.fromkeys(map(_text, scan)))
            return self._read_keys(dataset, list(found))

    def find_keys(self, dataset: Dataset, keys: Sequence[str]) -> list[Record]:
        """The records of these Redis keys (the keys :meth:`find` returned)."""
        with self._guard(f"reading keys of dataset {dataset.id!r}"):
            return self._read_keys(dataset, list(dict.fromkeys(keys)))

    def _read_keys(self, dataset: Dataset, keys: list[str]) -> list[Record]:
        records: list[Record] = []
        for chunk in _chunks(keys, self._chunk):
            with self._client.pipeline(transaction=False) as pipe:
                for key in chunk:
                    pipe.type(key)
                kinds = [_text(t) for t in pipe.execute()]
            present = [(k, t) for k, t in zip(chunk, kinds, strict=True) if t != "none"]
            if not present:
                continue
            with self._client.pipeline(transaction=False) as pipe:
                for key, kind in present:
                    self._read(pipe, dataset, key, kind)
                raws = pipe.execute()
            for (key, kind), raw in zip(present, raws, strict=True):
                records.append(self._record(dataset, key, kind, raw))
        return records

    def erase(
        self,
        dataset: Dataset,
        keys: Sequence[str],
        *,
        hash_key: bytes,
        idempotency_key: str,
    ) -> EraseOutcome:
        unique = list(dict.fromkeys(keys))
        affected = 0
        if dataset.erase == "row":
            with self._guard(f"deleting keys of dataset {dataset.id!r}"):
                for chunk in _chunks(unique, self._chunk):
                    affected += int(self._client.delete(*chunk))
            return EraseOutcome(affected)
        if not dataset.fields:
            return EraseOutcome(0)
        with self._guard(f"erasing hash fields of dataset {dataset.id!r}"):
            for key in unique:
                affected += self._erase_hash(dataset, key, hash_key)
        return EraseOutcome(affected)

    def correct(self, dataset: Dataset, key: str, name: str, value: str) -> int:
        declared = [f.name for f in dataset.fields]
        if name not in declared:
            raise ConnectorError(
                self.store,
                f"field {name!r} is not a declared field of dataset {dataset.id!r} "
                f"(declared: {', '.join(declared) or 'none'}); only declared PI can be "
                "corrected — add it under `fields` in the data map",
            )

        def set_field(pipe: Pipeline) -> int:
            if self._hash_type(dataset, _text(pipe.type(key))) is None:
                return 0
            pipe.multi()
            pipe.hset(key, name, value)
            return 1

        with self._guard(f"correcting field {name!r} of dataset {dataset.id!r}"):
            return self._atomically(key, set_field)

    def scan(self, dataset: Dataset) -> Iterator[Record]:
        """Every key of the dataset's pattern (each ``{identity}`` a wildcard), with the
        identities the key names (``session:{user_id}`` → ``{"user_id": …}``); no value is
        read. A key the SCAN matched but the template does not fit is skipped."""
        if dataset.key is None:
            raise ConnectorError(
                self.store, f"dataset {dataset.id!r} has no `key` pattern, which Redis needs"
            )
        pattern = _PLACEHOLDER.sub("*", dataset.key)
        with self._guard(f"listing the keys of dataset {dataset.id!r}"):
            for key in self._client.scan_iter(match=pattern, count=self._scan_count):
                values = key_values(dataset, _text(key))
                if values is not None:
                    yield Record(dataset.id, _text(key), values)

    def close(self) -> None:
        if self._owned:
            self._client.close()

    # -- keys and values --------------------------------------------------------------

    def _keys(
        self, dataset: Dataset, match: Mapping[str, Sequence[str]]
    ) -> tuple[list[str], list[str]]:
        """The exact keys and the SCAN patterns for the subject's values."""
        template = dataset.key
        if template is None:
            raise ConnectorError(
                self.store, f"dataset {dataset.id!r} has no `key` pattern, which Redis needs"
            )
        names = list(dict.fromkeys(dataset.placeholders))
        choices = [list(dict.fromkeys(match.get(n, ()))) for n in names]
        is_pattern = any(w in _PLACEHOLDER.sub("", template) for w in _WILDCARDS)
        exact: list[str] = []
        patterns: list[str] = []
        for combination in product(*choices):
            values = dict(zip(names, combination, strict=True))
            if is_pattern:
                patterns.append(
                    _fill(template, {n: _GLOB.sub(r"\\\1", v) for n, v in values.items()})
                )
            else:
                exact.append(_fill(template, values))
        return exact, patterns

    def _names(self, dataset: Dataset) -> list[str]:
        names = [f.name for f in dataset.fields]
        names += dataset.provides.values()
        names += [h.since for h in dataset.holds if h.since]
        return list(dict.fromkeys(names))

    def _read(self, pipe: Pipeline, dataset: Dataset, key: str, kind: str) -> None:
        if kind == "hash":
            names = self._names(dataset)
            if names:
                pipe.hmget(key, names)
            else:
                pipe.hgetall(key)
        elif kind == "string":
            pipe.get(key)
        elif kind == "set":
            pipe.smembers(key)
        elif kind == "list":
            pipe.lrange(key, 0, -1)
        elif kind == "zset":
            pipe.zrange(key, 0, -1)
        else:
            pipe.exists(key)

    def _record(self, dataset: Dataset, key: str, kind: str, raw: Any) -> Record:
        values: dict[str, object]
        if kind == "hash" and isinstance(raw, dict):
            values = {_text(k): _text(v) for k, v in raw.items()}
        elif kind == "hash":
            values = dict(zip(self._names(dataset), map(_text, raw), strict=True))
        elif kind == "string":
            values = {"value": _text(raw)}
        elif kind in _MEMBERS:
            members = [_text(m) for m in raw]
            values = {"members": sorted(members) if kind == "set" else members}
        else:
            values = {}
        holds: dict[str, HoldFacts] = {}
        for hold in dataset.holds:
            since = values.get(hold.since) if hold.since else None
            try:
                holds[hold.rule] = HoldFacts(since=as_date(since))
            except ValueError:
                raise ConnectorError(
                    self.store,
                    f"hash field {hold.since!r} of a key of dataset {dataset.id!r} (the `since` of hold "
                    f"{hold.rule!r}) is not an ISO date",
                ) from None
        shown = {n: v for n, v in values.items() if n not in self._since_only(dataset)}
        return Record(dataset=dataset.id, key=key, values=shown, holds=holds)

    def _since_only(self, dataset: Dataset) -> set[str]:
        kept = {f.name for f in dataset.fields} | set(dataset.provides.values())
        return {h.since for h in dataset.holds if h.since and h.since not in kept}

    def _erase_hash(self, dataset: Dataset, key: str, hash_key: bytes) -> int:
        names = [f.name for f in dataset.fields]

        def erase(pipe: Pipeline) -> int:
            if self._hash_type(dataset, _text(pipe.type(key))) is None:
                return 0
            current = [_text(v) for v in pipe.hmget(key, names)]
            removed: list[str] = []
            updated: dict[str, str] = {}
            for field, old in zip(dataset.fields, current, strict=True):
                new = self._erased(dataset, field, old, hash_key)
                if new is None and old is not None:
                    removed.append(field.name)
                elif new is not None and new != old:
                    updated[field.name] = str(new)
            if not removed and not updated:
                return 0
            pipe.multi()
            if removed:
                pipe.hdel(key, *removed)
            for name, value in updated.items():
                pipe.hset(key, name, value)
            return 1

        return self._atomically(key, erase)

    def _atomically(self, key: str, work: Callable[[Pipeline], int]) -> int:
        """Run ``work`` under ``WATCH key`` (it reads, then queues writes after ``multi()``);
        another client changing the key in between makes redis-py run it again."""
        result: list[int] = []

        def run(pipe: Pipeline) -> None:
            result[:] = [work(pipe)]

        self._client.transaction(run, key)
        return result[0]

    def _erased(self, dataset: Dataset, field: MappedField, old: str | None, key: bytes) -> object:
        if field.erase in EMPTYING:
            return None
        try:
            return apply(field.erase.value, old, element=field.element, key=key)
        except DeidentificationError as exc:
            raise ConnectorError(
                self.store, f"hash field {field.name!r} of dataset {dataset.id!r}: {exc}"
            ) from None

    def _hash_type(self, dataset: Dataset, kind: str | None) -> str | None:
        """``"hash"``, or None when the key is gone; any other type is refused."""
        if kind in (None, "none"):
            return None
        if kind != "hash":
            raise ConnectorError(
                self.store,
                f"a key of dataset {dataset.id!r} is a {kind}, not a hash: only hash "
                "fields can be erased or corrected one by one; use `erase: row`",
            )
        return kind

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise ConnectorError(
                self.store,
                f"cannot reach {self._shown}: {_first_line(exc)}; check that Redis is running "
                "and reachable from here and that the store's url is right",
            ) from None
        except redis.RedisError as exc:
            raise ConnectorError(
                self.store, f"{doing} in {self._shown} failed: {_first_line(exc)}"
            ) from None


def _fill(template: str, values: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def _text(value: object) -> Any:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
