"""Security incidents (PIPL Art. 57; X26): what happened, who is affected, who was told.

An :class:`Incident` holds the facts Art. 57 requires the handler to tell the users and
the regulator: the kinds of PI involved, the cause and the possible harm, the remedial
measures taken, what users can do to reduce the harm, and how to reach the handler
(the contacts come from the declaration when the notice is rendered, see
:mod:`yinsi.lifecycle.incident_notice`).

:func:`affected_subjects` computes the subjects from the data map: every subject with a
record in an affected dataset. The records of a dataset are listed by the adapter's
``scan`` (a full read of a table or a Redis key pattern); each record is traced up to
its subject through the data map's links with the rights port
(:class:`~yinsi.rights.ports.Connector`): a child through its parent
(``repayments.loan_id`` → ``loans`` → ``users``), a root by its identity, an identity
other than the subject id (a phone hash) through the dataset that provides it.
Records that lead to no subject (a marketing lead of someone who never registered) are
counted apart: they cannot be notified by subject id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from yinsi.declaration.datamap import DataMap, Dataset
from yinsi.rights.ports import Connector, Record

__all__ = [
    "AffectedSubjects",
    "Incident",
    "IncidentStatus",
    "InvalidIncident",
    "Notification",
    "Tracer",
    "affected_subjects",
    "elements_of",
]

SUBJECT_ID = "user_id"
"""The identity that is yinsi's subject id."""

Scan = Callable[[Dataset], Iterable[Record]]
"""Every record of a dataset (the adapter reads the whole table or key pattern)."""


class IncidentStatus(StrEnum):
    OPEN = "open"
    NOTIFIED = "notified"
    CLOSED = "closed"


class InvalidIncident(ValueError):
    """An incident that cannot be recorded or moved on as asked; says what to fix."""


@dataclass(frozen=True, slots=True)
class Notification:
    """Who was told, how, when: the users (by push, or a public notice) or a regulator."""

    audience: str
    """``users``, ``public`` (a public notice) or ``regulator``."""
    channel: str
    """How: 推送通知, 公告, 网信部门, …"""
    at: datetime
    actor: str
    count: int = 0
    """Users notified individually (0 for a public notice or a regulator)."""


@dataclass(frozen=True, slots=True)
class Incident:
    """One security incident, from opening to closing. Holds no PI values."""

    id: str
    app_id: str
    title: str
    what_happened: str
    occurred_at: datetime
    discovered_at: datetime
    datasets: tuple[str, ...]
    elements: tuple[str, ...]
    possible_harm: str
    measures: str
    user_advice: str
    """What users can do to reduce the harm (Art. 57 (3))."""
    status: IncidentStatus = IncidentStatus.OPEN
    opened_at: datetime | None = None
    opened_by: str = ""
    affected_count: int | None = None
    """Subjects found affected; None until computed."""
    unlinked_records: int = 0
    """Records of affected datasets that lead to no subject."""
    notifications: tuple[Notification, ...] = ()
    closed_at: datetime | None = None
    closing_note: str = ""

    def __post_init__(self) -> None:
        for name in ("id", "app_id", "title", "what_happened"):
            if not str(getattr(self, name)).strip():
                raise InvalidIncident(f"an incident needs `{name}`; write what it is in Chinese")
        if not self.datasets and not self.elements:
            raise InvalidIncident(
                "an incident needs the affected datasets (data map ids) or the PI elements "
                "involved, so the affected subjects and PI can be named (PIPL Art. 57 (1))"
            )
        for name in ("occurred_at", "discovered_at"):
            if getattr(self, name).utcoffset() is None:
                raise InvalidIncident(f"`{name}` needs a timezone, e.g. +08:00")
        if self.discovered_at < self.occurred_at:
            raise InvalidIncident("`discovered_at` is before `occurred_at`; check both times")

    def notified(self, notifications: Sequence[Notification]) -> Incident:
        if self.status is IncidentStatus.CLOSED:
            raise InvalidIncident(f"incident {self.id} is closed; open a new one to notify again")
        return replace(
            self,
            status=IncidentStatus.NOTIFIED,
            notifications=(*self.notifications, *notifications),
        )

    def closed(self, at: datetime, note: str = "") -> Incident:
        if self.status is IncidentStatus.CLOSED:
            return self
        if not self.notifications:
            raise InvalidIncident(
                f"incident {self.id} was never notified; run `yinsi incident notify` first "
                "(PIPL Art. 57: users and the regulator are told before it is closed)"
            )
        return replace(self, status=IncidentStatus.CLOSED, closed_at=at, closing_note=note)


def elements_of(data_map: DataMap, datasets: Iterable[str]) -> tuple[str, ...]:
    """The PI elements the datasets hold, in data-map order (no repeats)."""
    wanted = set(datasets)
    unknown = wanted - {d.id for d in data_map.datasets}
    if unknown:
        raise InvalidIncident(
            f"datasets {', '.join(sorted(unknown))} are not in the data map of "
            f"{data_map.app}; known: {', '.join(d.id for d in data_map.datasets)}"
        )
    found: dict[str, None] = {}
    for ds in data_map.datasets:
        if ds.id in wanted:
            for element in [*(f.element for f in ds.fields), *ds.elements]:
                found.setdefault(element, None)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class AffectedSubjects:
    subjects: frozenset[str]
    per_dataset: Mapping[str, int] = field(default_factory=dict)
    """Subjects found per affected dataset."""
    unlinked: Mapping[str, int] = field(default_factory=dict)
    """Records per dataset that lead to no subject."""
    unscanned: tuple[str, ...] = ()
    """Datasets whose records cannot be listed (processors behind webhooks): ask them."""


_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def key_values(dataset: Dataset, key: str) -> dict[str, str] | None:
    """The identities in a Redis key made from ``dataset.key`` (None if it does not fit).

    The template's text between placeholders is a Redis glob (``sms:{phone_hash}:*``):
    ``*``, ``?``, ``[…]`` and ``\\`` escapes match as Redis ``SCAN MATCH`` does."""
    template = dataset.key or ""
    pattern = ""
    last = 0
    for m in _PLACEHOLDER.finditer(template):
        pattern += _glob(template[last : m.start()]) + f"(?P<{m.group(1)}>.+?)"
        last = m.end()
    pattern += _glob(template[last:])
    found = re.fullmatch(pattern, key, re.DOTALL)
    return None if found is None else found.groupdict()


def _glob(text: str) -> str:
    """A Redis glob as a regular expression (the same rules as Redis's ``stringmatchlen``)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "*":
            out.append(".*?")
        elif c == "?":
            out.append(".")
        elif c == "\\" and i + 1 < len(text):
            i += 1
            out.append(re.escape(text[i]))
        elif c == "[" and (end := text.find("]", i + 1)) > i + 1:
            body = text[i + 1 : end]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            escaped = "".join(ch if ch == "-" else re.escape(ch) for ch in body)
            out.append("[" + ("^" if negate else "") + escaped + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


class Tracer:
    """Traces records up to subject ids, memoising every look-up by key."""

    def __init__(self, data_map: DataMap, connectors: Mapping[str, Connector]) -> None:
        self.map = data_map
        self.connectors = connectors
        self.providers: dict[str, list[tuple[Dataset, str]]] = {}
        self._resolving: set[str] = set()
        """Identities being traced: a dataset that provides its own identity (a guest's
        ``cookie_id``) leads to no subject instead of recursing forever."""
        for ds in data_map.datasets:
            for identity, column in ds.provides.items():
                self.providers.setdefault(identity, []).append((ds, column))

    def subjects(self, dataset: Dataset, records: Sequence[Record]) -> dict[str, set[str]]:
        """Record key → subject ids."""
        if dataset.subject is not None:
            link = dataset.subject
            values = {r.key: _text(r.values.get(link.column)) for r in records}
            return self._by_identity(link.identity, values)
        if dataset.parent is not None:
            parent = self.map.dataset(dataset.parent.dataset)
            column = dataset.parent.column
            keys = {r.key: _text(r.values.get(column)) for r in records}
            wanted = sorted({v for v in keys.values() if v is not None})
            if not wanted:
                return {k: set() for k in keys}
            match_on = dataset.parent.references or parent.primary_key or ""
            found = self.connectors[parent.store].find(parent, {match_on: wanted})
            by_value: dict[str, list[Record]] = {}
            for r in found:
                value = r.key if dataset.parent.references is None else r.values.get(match_on)
                by_value.setdefault(str(value), []).append(r)
            upward = self.subjects(parent, found)
            return {
                k: {s for p in by_value.get(v or "", []) for s in upward.get(p.key, set())}
                for k, v in keys.items()
            }
        out: dict[str, set[str]] = {}
        for r in records:  # a Redis key or a processor record: identities in its values
            subjects: set[str] = set()
            for identity in dataset.placeholders:
                got = self._by_identity(identity, {r.key: _text(r.values.get(identity))})
                subjects |= got.get(r.key, set())
            out[r.key] = subjects
        return out

    def _by_identity(self, identity: str, values: Mapping[str, str | None]) -> dict[str, set[str]]:
        if identity == SUBJECT_ID:
            return {k: {v} if v else set() for k, v in values.items()}
        if identity in self._resolving:
            return {k: set() for k in values}
        wanted = sorted({v for v in values.values() if v})
        subjects_of: dict[str, set[str]] = {}
        self._resolving.add(identity)
        try:
            for provider, column in self.providers.get(identity, []):
                if not wanted:
                    break
                found = self.connectors[provider.store].find(provider, {column: wanted})
                upward = self.subjects(provider, found)
                for r in found:
                    value = _text(r.values.get(column))
                    if value is not None:
                        subjects_of.setdefault(value, set()).update(upward.get(r.key, set()))
        finally:
            self._resolving.discard(identity)
        return {k: set(subjects_of.get(v or "", set())) for k, v in values.items()}


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def affected_subjects(
    data_map: DataMap,
    datasets: Iterable[str],
    connectors: Mapping[str, Connector],
    scan: Scan,
) -> AffectedSubjects:
    """Every subject with a record in one of ``datasets`` (see the module docstring).

    ``scan`` lists a dataset's records; it returns None-free values for the link
    columns (the subject or parent column, or a Redis key's identities). Datasets of a
    webhook store are not scanned: they are reported in ``unscanned``.
    """
    wanted = list(dict.fromkeys(datasets))
    elements_of(data_map, wanted)  # raises for an unknown dataset
    tracer = Tracer(data_map, connectors)
    subjects: set[str] = set()
    per_dataset: dict[str, int] = {}
    unlinked: dict[str, int] = {}
    unscanned: list[str] = []
    for dataset_id in wanted:
        dataset = data_map.dataset(dataset_id)
        if data_map.store(dataset.store).kind == "webhook":
            unscanned.append(dataset_id)
            continue
        records = list(scan(dataset))
        traced = tracer.subjects(dataset, records)
        found = set().union(*traced.values()) if traced else set()
        subjects |= found
        per_dataset[dataset_id] = len(found)
        lost = sum(1 for s in traced.values() if not s)
        if lost:
            unlinked[dataset_id] = lost
    return AffectedSubjects(frozenset(subjects), per_dataset, unlinked, tuple(unscanned))
