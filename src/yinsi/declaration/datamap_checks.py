"""Cross-references of a data map, against itself and against the app's declaration.

Errors: a dataset names a store, parent, element or retention rule that does not exist,
its shape does not fit its store's kind, or datasets form a cycle. Warnings: an element
the declaration collects that no dataset holds (a rights request would miss it), or an
element a dataset holds that the declaration never declares collecting (PIPL Art. 17).
"""

from __future__ import annotations

from pathlib import Path as FsPath

from yinsi.declaration.datamap import DataMap, DataMapCycle, walk_order
from yinsi.declaration.errors import DeclarationError, Issue, Problem
from yinsi.declaration.loader import read_model, read_text
from yinsi.declaration.schema import Declaration
from yinsi.declaration.view import collected_elements, taxonomy_of

_SHAPE = {"sql": "table", "redis": "key", "webhook": "elements"}


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
                issues.append(
                    Issue((*at, "fields"), "Redis datasets name hash `field`s, not columns")
                )
            if store.kind == "sql" and any(f.field for f in ds.fields):
                issues.append(
                    Issue((*at, "fields"), "SQL datasets name `column`s, not hash fields")
                )
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
        issues.extend(_retention_shape(data_map, i, store.kind if store else None))
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
            elif element not in collected:
                issues.append(
                    Issue(
                        (*at, *where),
                        f"element {element!r} is held here but no scenario of the declaration "
                        "collects it (PIPL Art. 17: declare it, or stop holding it)",
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


def _retention_shape(data_map: DataMap, index: int, kind: str | None) -> list[Issue]:
    """A retention reference needs a SQL dataset; a swept-away row must have no children."""
    ds = data_map.datasets[index]
    if ds.retention is None:
        return []
    at = ("datasets", index, "retention")
    if kind is not None and kind != "sql":
        return [
            Issue(
                at,
                f"`retention` is for SQL datasets (a date column to count from); store "
                f"{ds.store!r} is {kind}: remove it (Redis keys expire by TTL)",
            )
        ]
    children = [d.id for d in data_map.datasets if d.parent and d.parent.dataset == ds.id]
    if ds.erase == "row" and children:
        return [
            Issue(
                at,
                f"rows of {ds.id!r} are deleted when they expire, but datasets "
                f"{', '.join(children)} hang off them by foreign key; give those their own "
                "`retention` and use `erase: fields` here, or remove `retention`",
            )
        ]
    return []


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
    path: str | FsPath, declaration: Declaration | None = None
) -> tuple[DataMap | None, list[Problem]]:
    """Read and check a data map file; every finding is placed as FILE:LINE:COL."""
    text, problems = read_text(path)
    if text is None:
        return None, problems
    return read_model(
        text, str(path), DataMap, [lambda m: check_data_map(m, declaration)], "a data map"
    )


def load_data_map(path: str | FsPath, declaration: Declaration | None = None) -> DataMap:
    """Like :func:`read_data_map`, raising :class:`DeclarationError` on errors."""
    data_map, problems = read_data_map(path, declaration)
    if data_map is None:
        raise DeclarationError(problems)
    return data_map
