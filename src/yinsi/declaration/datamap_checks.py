"""Cross-references of a data map, against itself and against the app's declaration.

Errors: a dataset names a store, parent, element, retention rule or recipient that does
not exist, its shape does not fit its store's kind, two datasets stand for one recipient,
or datasets form a cycle. Warnings: a hold that can never keep a row, or whose held rows
hang off a parent a deletion removes; an element the declaration collects that no dataset
holds (a rights request would miss it), an element a dataset holds that the declaration
never declares collecting (PIPL Art. 17), or an element a recipient's dataset holds that
the declaration does not declare for that recipient (PIPL Arts. 21, 23).
"""

from __future__ import annotations

import re
from pathlib import Path as FsPath

from yinsi.declaration.datamap import DataMap, DataMapCycle, Dataset, Store, walk_order
from yinsi.declaration.datamap_shapes import hold_shape, keyless_shape, retention_shape
from yinsi.declaration.errors import DeclarationError, Issue, Problem
from yinsi.declaration.loader import read_model, read_text
from yinsi.declaration.schema import Declaration
from yinsi.declaration.view import collected_elements, taxonomy_of
from yinsi.declaration.yaml_limits import DEFAULT_LIMITS, YamlLimits

_SHAPE = {"sql": "table", "redis": "key", "webhook": "elements"}
_CJK = re.compile("[\u4e00-\u9fff]")


def check_data_map(data_map: DataMap, declaration: Declaration | None = None) -> list[Issue]:
    issues: list[Issue] = []
    stores = {s.id: s for s in data_map.stores}
    ids = [d.id for d in data_map.datasets]
    for i, sid in enumerate(s.id for s in data_map.stores):
        if [s.id for s in data_map.stores].index(sid) != i:
            issues.append(Issue(("stores", i, "id"), f"store id {sid!r} is used twice"))
    for i, ds in enumerate(data_map.datasets):
        at = ("datasets", i)
        if ids.index(ds.id) != i:
            issues.append(Issue((*at, "id"), f"dataset id {ds.id!r} is used twice"))
        store = stores.get(ds.store)
        issues.extend(_store_shape(ds, at, store, stores))
        if ds.parent is not None and ds.parent.dataset not in ids:
            issues.append(
                Issue((*at, "parent", "dataset"), f"unknown parent dataset {ds.parent.dataset!r}")
            )
        used = set(ds.placeholders) | ({ds.subject.identity} if ds.subject else set())
        used |= set(ds.provides)
        for identity in sorted(used - set(data_map.identities)):
            issues.append(
                Issue(
                    at,
                    f"identity {identity!r} is not listed under `identities` "
                    f"({', '.join(data_map.identities)})",
                )
            )
        if ds.erase == "row" and store is not None and store.kind == "webhook":
            issues.append(Issue((*at, "erase"), "a webhook dataset is erased by the processor"))
        if ds.table is not None and ds.erases_nothing:
            issues.append(
                Issue(
                    (*at, "erase"),
                    f"dataset {ds.id!r} is erased field by field but lists no field: a deletion "
                    "leaves its rows, still linked to the person, as they are — list their PI "
                    "under `fields`, or set `erase: row` (PIPL Art. 47)",
                    "warning",
                )
            )
        issues.extend(_label_shape(ds, at))
        issues.extend(hold_shape(data_map, i))
        issues.extend(retention_shape(data_map, i, store.kind if store else None))
        issues.extend(keyless_shape(data_map, i))
        issues.extend(_recipient_shape(data_map, i, store.kind if store else None))
        issues.extend(_blind_indexes(data_map, i))
    provided = {"user_id"} | {i for d in data_map.datasets for i in d.provides}
    for identity in data_map.identities:
        if identity not in provided:
            issues.append(
                Issue(
                    ("identities",),
                    f"no dataset `provides` identity {identity!r}, so nothing can be found by it",
                )
            )
    for i, pre in enumerate(data_map.preconditions):
        target = next((d for d in data_map.datasets if d.id == pre.dataset), None)
        if target is None:
            issues.append(
                Issue(("preconditions", i, "dataset"), f"unknown dataset {pre.dataset!r}")
            )
        elif not any(h.rule == pre.rule and h.while_ for h in target.holds):
            issues.append(
                Issue(
                    ("preconditions", i, "rule"),
                    f"dataset {pre.dataset!r} has no hold on rule {pre.rule!r} with a `while` "
                    "condition for this precondition to test",
                )
            )
    try:
        walk_order(data_map)
    except DataMapCycle as exc:
        issues.append(Issue(("datasets",), str(exc)))
    if declaration is not None:
        issues.extend(_against_declaration(data_map, declaration))
    return issues


def _store_shape(
    ds: Dataset, at: tuple[str | int, ...], store: Store | None, stores: dict[str, Store]
) -> list[Issue]:
    """The dataset's store exists, and the dataset has the shape its kind needs."""
    issues: list[Issue] = []
    if store is None:
        issues.append(
            Issue((*at, "store"), f"unknown store {ds.store!r}; stores: {', '.join(stores)}")
        )
    else:
        shape = _SHAPE[store.kind]
        has = {"table": ds.table, "key": ds.key, "elements": ds.elements or None}
        if has[shape] is None:
            issues.append(
                Issue(at, f"store {store.id!r} is {store.kind}: this dataset needs `{shape}`")
            )
        if store.kind == "redis" and any(f.column for f in ds.fields):
            issues.append(Issue((*at, "fields"), "Redis datasets name hash `field`s, not columns"))
        if store.kind == "sql" and any(f.field for f in ds.fields):
            issues.append(Issue((*at, "fields"), "SQL datasets name `column`s, not hash fields"))
    return issues


def _against_declaration(data_map: DataMap, declaration: Declaration) -> list[Issue]:
    issues: list[Issue] = []
    if data_map.app != declaration.app.id:
        issues.append(
            Issue(
                ("app",), f"the declaration is for app {declaration.app.id!r}, not {data_map.app!r}"
            )
        )
    taxonomy = taxonomy_of(declaration)
    rules = {r.id for r in declaration.retention}
    collected = collected_elements(declaration)
    # PI the policy lists as held without a scenario (pi_inventory) is declared too.
    declared = {*collected, *(e for group in declaration.pi_inventory for e in group.elements)}
    held: set[str] = set()
    for i, ds in enumerate(data_map.datasets):
        at = ("datasets", i)
        elements: list[tuple[tuple[str | int, ...], str]] = [
            (("fields", j, "element"), f.element) for j, f in enumerate(ds.fields)
        ]
        elements += [(("elements", j), e) for j, e in enumerate(ds.elements)]
        for where, element in elements:
            held.add(element)
            if element not in taxonomy.elements:
                issues.append(
                    Issue((*at, *where), f"unknown element {element!r}; see `yinsi schema`")
                )
            elif element not in declared:
                issues.append(
                    Issue(
                        (*at, *where),
                        f"element {element!r} is held here but no scenario of the declaration "
                        "collects it and its pi_inventory does not list it (PIPL Art. 17: "
                        "declare it, or stop holding it)",
                        "warning",
                    )
                )
        for j, hold in enumerate(ds.holds):
            if hold.rule not in rules:
                issues.append(
                    Issue(
                        (*at, "holds", j, "rule"),
                        f"unknown retention rule {hold.rule!r}; rules: {', '.join(sorted(rules))}",
                    )
                )
        if ds.retention is not None:
            issues.extend(
                _retention_rule(ds.retention.rule, (*at, "retention", "rule"), declaration)
            )
        if ds.recipient is not None:
            issues.extend(_recipient(data_map, i, declaration))
    for element in sorted(set(collected) - held):
        issues.append(
            Issue(
                ("datasets",),
                f"the declaration collects {element!r} but no dataset holds it: "
                "a rights request would not find it",
                "warning",
            )
        )
    return issues


def _label_shape(ds: Dataset, at: tuple[str | int, ...]) -> list[Issue]:
    """A label with no Chinese (a table's own name, as a draft gives it when the table has
    no comment): the person reads it in the answer."""
    if _CJK.search(ds.label):
        return []
    return [
        Issue(
            (*at, "label"),
            f"dataset {ds.id!r} is labelled {ds.label!r}: the answers a person reads "
            "name kept data by its label (依法保留：…) — give it a Chinese name such as 借款合同 "
            "(PIPL Art. 17: clear and understandable language)",
            "warning",
        )
    ]


def _recipient_shape(data_map: DataMap, index: int, kind: str | None) -> list[Issue]:
    """A recipient is reached by webhook, and one dataset stands for it."""
    ds = data_map.datasets[index]
    if ds.recipient is None:
        return []
    at = ("datasets", index, "recipient")
    if kind is not None and kind != "webhook":
        return [
            Issue(
                at,
                f"`recipient` is for a processor's dataset on a webhook store; store "
                f"{ds.store!r} is {kind}: move the dataset to the processor's webhook store "
                "or remove `recipient`",
            )
        ]
    first = next(d for d in data_map.datasets if d.recipient == ds.recipient)
    if first is not ds:
        return [
            Issue(
                at,
                f"recipient {ds.recipient!r} is already the recipient of dataset {first.id!r}; "
                "one dataset stands for a recipient: list every element it holds there",
            )
        ]
    return []


def _blind_indexes(data_map: DataMap, index: int) -> list[Issue]:
    """A blind-index column is neither a mapped column nor the index of two columns."""
    ds = data_map.datasets[index]
    mapped = {f.column for f in ds.fields if f.column}
    seen: set[str] = set()
    issues: list[Issue] = []
    for j, f in enumerate(ds.fields):
        if f.blind_index is None:
            continue
        column = f.blind_index.column
        at = ("datasets", index, "fields", j, "blind_index", "column")
        if column in mapped:
            issues.append(
                Issue(
                    at,
                    f"column {column!r} is mapped as a field of this dataset; a blind index "
                    "holds no PI value: give it its own column",
                )
            )
        elif column in seen:
            issues.append(
                Issue(at, f"column {column!r} is already the blind index of another field")
            )
        seen.add(column)
    return issues


def _recipient(data_map: DataMap, index: int, declaration: Declaration) -> list[Issue]:
    """The recipient is declared, and holds no element the declaration does not give it."""
    ds = data_map.datasets[index]
    at = ("datasets", index)
    declared = {r.id: r for r in declaration.recipients}
    recipient = declared.get(ds.recipient or "")
    if recipient is None:
        return [
            Issue(
                (*at, "recipient"),
                f"recipient {ds.recipient!r} is not declared; declared recipients: "
                f"{', '.join(declared) or 'none'} — declare it under `recipients` or fix the id",
            )
        ]
    return [
        Issue(
            (*at, "elements", j),
            f"recipient {recipient.id!r} holds {element!r} here, but the declaration does not "
            "declare providing it to that recipient (PIPL Arts. 21, 23): declare it, or "
            "have the recipient delete it",
            "warning",
        )
        for j, element in enumerate(ds.elements)
        if element not in recipient.elements
    ]


def _retention_rule(
    rule_id: str, at: tuple[str | int, ...], declaration: Declaration
) -> list[Issue]:
    rule = next((r for r in declaration.retention if r.id == rule_id), None)
    if rule is None:
        rules = ", ".join(sorted(r.id for r in declaration.retention))
        return [Issue(at, f"unknown retention rule {rule_id!r}; rules: {rules}")]
    if rule.period is None:
        return [
            Issue(
                at,
                f"retention rule {rule_id!r} has no `period`, so rows never expire; "
                "give the rule a period in the declaration or name another rule",
            )
        ]
    return []


def read_data_map(
    path: str | FsPath,
    declaration: Declaration | None = None,
    *,
    limits: YamlLimits = DEFAULT_LIMITS,
) -> tuple[DataMap | None, list[Problem]]:
    """Read and check a data map file; every finding is placed as FILE:LINE:COL (the YAML
    held to ``limits``, like a declaration's)."""
    text, problems = read_text(path, limits)
    if text is None:
        return None, problems
    return read_model(
        text,
        str(path),
        DataMap,
        [lambda m: check_data_map(m, declaration)],
        "a data map",
        limits=limits,
    )


def load_data_map(
    path: str | FsPath,
    declaration: Declaration | None = None,
    *,
    limits: YamlLimits = DEFAULT_LIMITS,
) -> DataMap:
    """Like :func:`read_data_map`, raising :class:`DeclarationError` on errors."""
    data_map, problems = read_data_map(path, declaration, limits=limits)
    if data_map is None:
        raise DeclarationError(problems)
    return data_map
