"""Finding the changes between two declarations, before they are judged.

Entities are matched by id and compared field by field as JSON (:func:`compare`);
taxonomy entries are compared only as the elements and purposes in use resolve them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel

from yinsi.declaration.diff_model import Change, Json
from yinsi.declaration.schema import Declaration
from yinsi.taxonomy import Taxonomy


@dataclass(frozen=True, slots=True)
class DiffContext:
    """The two declarations compared, with their extended taxonomies."""

    old: Declaration
    new: Declaration
    old_tax: Taxonomy
    new_tax: Taxonomy


@dataclass(frozen=True, slots=True)
class Found:
    """A change not yet judged; ``part`` names where it was found, e.g. ``rights.items``."""

    part: str
    change: Change


def find(ctx: DiffContext) -> Iterator[Found]:
    """Every change, unjudged, by section in report order and then in document order."""
    o, n = ctx.old, ctx.new
    yield from _singleton("app", o.app, n.app)
    yield from _singleton("policy", o.policy, n.policy)
    yield from _entities(
        "elements", _collected(o, ctx.old_tax), _collected(n, ctx.new_tax), context="scenarios"
    )
    yield from _entities(
        "permissions",
        _permissions(o, ctx.old_tax),
        _permissions(n, ctx.new_tax),
        context="scenarios",
    )
    yield from _entities(
        "purposes", _purposes(o, ctx.old_tax), _purposes(n, ctx.new_tax), context="used_by"
    )
    yield from _entities("scenarios", _dumps(o.scenarios), _dumps(n.scenarios))
    yield from _entities("consents", _dumps(o.consents), _dumps(n.consents))
    yield from _entities("retention", _dumps(o.retention), _dumps(n.retention))
    yield from _entities("recipients", _dumps(o.recipients), _dumps(n.recipients))
    yield from _entities("sdks", _dumps(o.sdks), _dumps(n.sdks))
    yield from _singleton("sdk_notes", o.sdk_notes, n.sdk_notes)
    yield from _entities("h5_links", _dumps(o.h5_links), _dumps(n.h5_links))
    yield from _entities("tracking", _dumps(o.tracking), _dumps(n.tracking))
    yield from _entities("pi_inventory", _dumps(o.pi_inventory), _dumps(n.pi_inventory))
    yield from _entities("app_permissions", _app_permissions(o), _app_permissions(n))
    yield from _singleton("published_elsewhere", o.published_elsewhere, n.published_elsewhere)
    unstated = _writes_free(o) and _writes_free(n)
    yield from _entities("rights", _rights(o, unstated), _rights(n, unstated), "items")
    yield from _entities(
        "rights",
        _dumps(o.rights.refusal_grounds),
        _dumps(n.rights.refusal_grounds),
        "refusal_grounds",
        prefix="refusal_grounds.",
    )
    yield from _singleton("rights", o.rights, n.rights, {"items", "refusal_grounds"})
    yield from _entities(
        "contacts", _dumps(o.contacts.channels), _dumps(n.contacts.channels), "channels"
    )
    yield from _singleton("contacts", o.contacts, n.contacts, {"channels"})
    yield from _singleton("storage", o.storage, n.storage)
    yield from _singleton("security", o.security, n.security)
    yield from _singleton("incident", o.incident, n.incident)
    yield from _others(o, n)


KNOWN: frozenset[str] = frozenset(
    {
        "yinsi",
        "app",
        "policy",
        "contacts",
        "taxonomy",
        "consents",
        "retention",
        "scenarios",
        "recipients",
        "sdks",
        "sdk_notes",
        "h5_links",
        "tracking",
        "pi_inventory",
        "app_permissions",
        "published_elsewhere",
        "rights",
        "storage",
        "security",
        "incident",
        "waivers",
    }
)
"""Top-level fields :func:`find` compares section by section, or leaves out on purpose: the
format version, the taxonomy (compared as the elements, permissions and purposes in use
resolve it) and waivers (accepted lint findings, not part of the policy)."""


def _others(old: Declaration, new: Declaration) -> Iterator[Found]:
    """Changes of top-level fields :data:`KNOWN` does not name, each in a section of its own.

    A section added to the schema is compared before its judgement is written: its
    changes reach the judge, which finds no rule for them and judges them material.
    """
    dumped = [d.model_dump(mode="json", exclude=set(KNOWN)) for d in (old, new)]
    for name in _union(dumped[0], dumped[1]):
        was, now = dumped[0].get(name), dumped[1].get(name)
        if isinstance(was, list) and isinstance(now, list) and _list_key(was, now) == "id":
            yield from _entities(name, {i["id"]: i for i in was}, {i["id"]: i for i in now})
        else:
            for path, before, after in compare(was, now, name):
                yield Found(name, Change(name, name, "changed", path, before, after, False, ""))


def _entities(
    section: str,
    old: Mapping[str, Json],
    new: Mapping[str, Json],
    part: str = "",
    prefix: str = "",
    context: str = "",
) -> Iterator[Found]:
    """Changes among entities keyed by id: whole entities added or removed, fields changed.

    ``context`` names a field shown with an added or removed entity but not compared
    (where an element is collected is compared in the scenarios themselves).
    """
    part = f"{section}.{part}" if part else section
    for ident in _union(old, new):
        key = prefix + ident
        if ident not in old:
            yield Found(part, Change(section, key, "added", None, None, new[ident], False, ""))
        elif ident not in new:
            yield Found(part, Change(section, key, "removed", None, old[ident], None, False, ""))
        else:
            for path, was, now in compare(old[ident], new[ident], ""):
                if path.split(".", 1)[0] != context:
                    yield Found(part, Change(section, key, "changed", path, was, now, False, ""))


def _singleton(
    section: str, old: BaseModel, new: BaseModel, exclude: set[str] | None = None
) -> Iterator[Found]:
    """Changes of a one-of model; each is keyed by the top-level field it falls under."""
    dumped = [m.model_dump(mode="json", exclude=exclude) for m in (old, new)]
    for path, was, now in compare(dumped[0], dumped[1], ""):
        key = path.split(".", 1)[0]
        yield Found(section, Change(section, key, "changed", path, was, now, False, ""))


def compare(old: Json, new: Json, path: str) -> Iterator[tuple[str, Json, Json]]:
    """Leaf differences of two JSON values; lists of objects with ids are matched by id."""
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for name in _union(old, new):
            yield from compare(old.get(name), new.get(name), _join(path, name))
        return
    if isinstance(old, list) and isinstance(new, list) and (key := _list_key(old, new)):
        olds = {item[key]: item for item in old}
        news = {item[key]: item for item in new}
        for ident in _union(olds, news):
            yield from compare(olds.get(ident), news.get(ident), _join(path, ident))
        return
    yield path, old, new


def _list_key(old: list[Json], new: list[Json]) -> str | None:
    """The field that identifies the items of both lists (``id``, ``permission``), if any."""
    for key in ("id", "permission"):
        ids = [
            [item.get(key) if isinstance(item, dict) else None for item in x] for x in (old, new)
        ]
        if all(
            all(isinstance(i, str) for i in side) and len(set(side)) == len(side) for side in ids
        ):
            return key
    return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    """Keys of both, in the first's order and then the second's."""
    return list(dict.fromkeys([*first, *second]))


def _dumps(items: Sequence[BaseModel]) -> dict[str, Json]:
    dumps = [item.model_dump(mode="json") for item in items]
    return {dump["id"]: dump for dump in dumps}


def _writes_free(d: Declaration) -> bool:
    """Whether ``d`` writes ``free`` on any right (else every right takes the default)."""
    return any("free" in r.model_fields_set for r in d.rights.items)


def _rights(d: Declaration, unstated: bool) -> dict[str, Json]:
    """The rights by id; with ``unstated``, ``free`` is None where a right does not write it.

    The policy promises "对于您合理的请求，我们原则上不收取费用" only when every right writes
    ``free: true`` (:mod:`yinsi.policy.rights_chapter`), so dropping the line from one
    right withdraws the promise though ``free`` is still true by default. Whether a right
    writes it is compared only when both declarations write it somewhere: a declaration
    that writes it nowhere left every fee to the default, and one read back from its own
    JSON or YAML dump (which writes every default) must not differ from it.
    """
    out = _dumps(d.rights.items)
    if unstated:
        for item in d.rights.items:
            if "free" not in item.model_fields_set:
                out[item.id]["free"] = None
    return out


def _app_permissions(d: Declaration) -> dict[str, Json]:
    """The app's device permission list, keyed by permission."""
    return {p.permission: p.model_dump(mode="json") for p in d.app_permissions}


def _collected(d: Declaration, tax: Taxonomy) -> dict[str, Json]:
    """Every element a scenario collects, as the taxonomy defines it, with its scenarios."""
    scenarios: dict[str, list[str]] = {}
    for scenario in d.scenarios:
        for element_id in scenario.element_ids:
            scenarios.setdefault(element_id, []).append(scenario.id)
    for group in d.pi_inventory:
        for element_id in group.elements:
            scenarios.setdefault(element_id, []).append(f"pi_inventory.{group.id}")
    out: dict[str, Json] = {}
    for element_id, used_by in scenarios.items():
        e = tax.elements.get(element_id)
        out[element_id] = {
            "label": e.label if e else element_id,
            "category": e.category if e else None,
            "sensitive": bool(e and e.sensitive),
            "grade": e.grade.value if e and e.grade else None,
            "scenarios": used_by,
        }
    return out


def _permissions(d: Declaration, tax: Taxonomy) -> dict[str, Json]:
    """Every device permission a scenario requests, as the taxonomy defines it."""
    scenarios: dict[str, list[str]] = {}
    for scenario in d.scenarios:
        for use in scenario.permissions:
            scenarios.setdefault(use.permission, []).append(scenario.id)
    for listed in d.app_permissions:
        scenarios.setdefault(listed.permission, []).append("app_permissions")
    out: dict[str, Json] = {}
    for permission_id, used_by in scenarios.items():
        p = tax.permissions.get(permission_id)
        out[permission_id] = {
            "label": p.label if p else permission_id,
            "android": list(p.android) if p else [],
            "ios": list(p.ios) if p else [],
            "sensitive": bool(p and p.sensitive),
            "scenarios": used_by,
        }
    return out


class _UsesPurposes(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def purposes(self) -> list[str]: ...


def _purposes(d: Declaration, tax: Taxonomy) -> dict[str, Json]:
    """Every purpose in use, with its label and the entities that use it."""
    used_by: dict[str, list[str]] = {}
    users: list[tuple[str, Sequence[_UsesPurposes]]] = [
        ("scenarios", d.scenarios),
        ("recipients", d.recipients),
        ("sdks", d.sdks),
        ("tracking", d.tracking),
    ]
    for section, items in users:
        for item in items:
            for purpose_id in item.purposes:
                used_by.setdefault(purpose_id, []).append(f"{section}.{item.id}")
    return {
        pid: {"label": p.label if (p := tax.purposes.get(pid)) else pid, "used_by": by}
        for pid, by in used_by.items()
    }
