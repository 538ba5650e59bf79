"""Parent links between tables, and the subject root, found without foreign keys (issue 17).

Candidates come from declared foreign keys, from names (``user_id`` → ``users``,
``apply_id`` → the key ``apply_id`` of ``apply``, ``cust_no`` → the unique ``cust_no`` of
``users``) and from value overlap (the child's sampled values found in the parent's key,
measured by the store: only counts come back). The root is the table most linked to that
holds identities; every other table takes the best candidate that leads to the root,
preferring the most specific parent (``repay_plan`` → ``loan`` rather than → ``users``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from yinsi.declaration.discovery_model import ColumnGuess, LinkGuess, Overlap, TableFacts
from yinsi.taxonomy.column_names import tokens

GENERIC_KEYS = frozenset({"id", "code", "no", "key", "uuid", "name", "type", "value", "seq"})
SUBJECT_TABLES = frozenset({"user", "users", "member", "customer", "cust", "client", "account"})
SUBJECT_COLUMNS = frozenset(
    {"uid", "user_id", "userid", "member_id", "cust_id", "customer_id", "client_id", "u_id"}
)
IDENTITIES = frozenset({"name", "id_number", "mobile_number"})
FOUND = 0.9
"""Share of sampled values found in the parent key that confirms a link."""
MIN_SAMPLED = 3
"""Fewer distinct sampled values than this prove nothing by overlap."""


TABLE_PREFIXES = frozenset({"t", "tb", "tbl", "tab", "biz", "sys"})
TABLE_SUFFIXES = frozenset(
    {"info", "infos", "base", "basic", "detail", "details", "main", "master", "data", "tab", "tbl"}
)
"""Words a table name wraps its noun in (``t_user_info``, ``tb_customer_base``): a
reference names the noun (``user_id``, ``customer_id``)."""


def stems(table: str) -> set[str]:
    """Names a reference to ``table`` may use: ``t_loan_apply`` → loan_apply, apply, …;
    ``t_user_info`` → user_info, info and user."""
    parts = tokens(table)
    while len(parts) > 1 and parts[0] in TABLE_PREFIXES:
        parts = parts[1:]
    found = {"_".join(parts), "".join(parts), parts[-1]} if parts else set()
    noun = parts
    while len(noun) > 1 and noun[-1] in TABLE_SUFFIXES:
        noun = noun[:-1]
    if noun is not parts:
        found |= {"_".join(noun), "".join(noun), noun[-1]}
    for stem in list(found):
        if stem.endswith("ies"):
            found.add(stem[:-3] + "y")
        elif stem.endswith("ses"):
            found.add(stem[:-2])
        elif stem.endswith("s"):
            found.add(stem[:-1])
    return found


def candidates(tables: Sequence[TableFacts], overlap: Overlap | None) -> list[LinkGuess]:
    """Every plausible parent link, scored."""
    found: dict[tuple[str, str, str, str], LinkGuess] = {}
    for child in tables:
        for guess in _declared(child):
            found[(guess.table, guess.column, guess.parent, guess.parent_column)] = guess
        for parent in tables:
            if parent is child:
                continue
            for column in child.columns:
                if column.name == "id":
                    continue
                for key in parent.keys:
                    named = _by_name(child, column.name, parent, key)
                    at = (child.ref, column.name, parent.ref, key)
                    if at in found:
                        continue
                    if named is None and not _value_only(child, column.name, parent, key):
                        continue
                    scored = _scored(child, column.name, parent, key, named, overlap)
                    if scored is not None:
                        found[at] = scored
    return list(found.values())


def _declared(child: TableFacts) -> list[LinkGuess]:
    out = []
    for fk in child.foreign_keys:
        if len(fk.columns) == 1 and len(fk.references) == 1:
            parent = f"{child.store}.{fk.table}"
            out.append(
                LinkGuess(child.ref, fk.columns[0], parent, fk.references[0], 1.0, "foreign key")
            )
    return out


def _by_name(child: TableFacts, column: str, parent: TableFacts, key: str) -> str | None:
    col = column.lower()
    if col == key.lower() and col not in GENERIC_KEYS:
        where = "primary key" if parent.primary_key == (key,) else "unique key"
        return f"column name {column} = {where} {parent.name}.{key}"
    if parent.primary_key != (key,):
        return None
    names = stems(parent.name)
    if any(col in (f"{s}_id", f"{s}id", f"{s}_no") for s in names):
        return f"column name {column} names table {parent.name}"
    if col in SUBJECT_COLUMNS and names & SUBJECT_TABLES:
        return f"column name {column} names the user table {parent.name}"
    return None


def _value_only(child: TableFacts, column: str, parent: TableFacts, key: str) -> bool:
    """Columns worth a value-overlap test though no name points at ``parent.key``:
    text references (``cust_no`` kinds) to a text key; integers overlap by chance."""
    c, k = child.column(column), parent.column(key)
    if c is None or k is None or c.family != "text" or k.family != "text":
        return False
    if key.lower() in GENERIC_KEYS and parent.primary_key != (key,):
        return False
    last = tokens(column)[-1:] or [""]
    return last[0] in ("id", "no", "code", "sn", "num", "key", "uuid")


def _scored(
    child: TableFacts,
    column: str,
    parent: TableFacts,
    key: str,
    named: str | None,
    overlap: Overlap | None,
) -> LinkGuess | None:
    measured = overlap(child, column, parent, key) if overlap is not None else None
    confidence = 0.75 if named is not None else 0.0
    evidence = [named] if named is not None else []
    if measured is not None:
        hits, sampled = measured
        if sampled >= 1:
            evidence.append(f"{hits}/{sampled} sampled values found in {parent.name}.{key}")
            share = hits / sampled
            if share >= FOUND and (named is not None or sampled >= MIN_SAMPLED):
                confidence = min(0.98, confidence + 0.2) if named is not None else 0.7
            elif share < 0.5:
                return None
    if confidence <= 0:
        return None
    return LinkGuess(child.ref, column, parent.ref, key, confidence, "; ".join(evidence))


def choose_root(
    tables: Sequence[TableFacts],
    links: Sequence[LinkGuess],
    guesses: Mapping[str, Sequence[ColumnGuess]],
) -> TableFacts | None:
    """The table most linked to (directly or not) that holds identities, among those no
    other such table links down to (``客户信息.用户ID`` → ``t_user``: the table with the
    name, phone and ID number hangs off the user table, which is the root even holding
    fewer identities); if every one is below another (a cycle), among all of them."""
    children: dict[str, set[str]] = {}
    for link in links:
        children.setdefault(link.parent, set()).add(link.table)
    scored: list[tuple[float, str, TableFacts, set[str]]] = []
    for table in tables:
        below = _reach(table.ref, children)
        identities = {g.element for g in guesses.get(table.ref, ())} & IDENTITIES
        score = len(below) + 2 * len(identities) + (1 if stems(table.name) & SUBJECT_TABLES else 0)
        if score > 0 and table.row_key is not None:
            scored.append((score, table.ref, table, below))
    tops = [s for s in scored if not any(s[1] in other[3] for other in scored if other is not s)]
    pool = tops or scored
    return max(pool, key=lambda s: (s[0], s[1]))[2] if pool else None


def _reach(start: str, children: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in children.get(todo.pop(), set()):
            if nxt not in seen and nxt != start:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def assign_parents(root: str, links: Sequence[LinkGuess]) -> dict[str, LinkGuess]:
    """One parent link per table that reaches ``root``: the most confident, and among
    near-equals the deepest parent; never a cycle."""
    by_child: dict[str, list[LinkGuess]] = {}
    for link in links:
        if link.table != root:
            by_child.setdefault(link.table, []).append(link)
    level = _levels(root, links)
    chosen: dict[str, LinkGuess] = {}
    for child, options in by_child.items():
        usable = [o for o in options if o.parent in level]
        if not usable:
            continue
        top = max(o.confidence for o in usable)
        near = [o for o in usable if o.confidence >= top - 0.1]
        chosen[child] = max(near, key=lambda o: (level[o.parent], o.confidence))
    for _ in range(len(chosen) + 1):
        loop = _cycle(root, chosen)
        if loop is None:
            break
        child = loop[0]
        options = [o for o in by_child[child] if o.parent in level]
        chosen[child] = min(options, key=lambda o: (level[o.parent], -o.confidence))
    return chosen


def _levels(root: str, links: Sequence[LinkGuess]) -> dict[str, int]:
    children: dict[str, set[str]] = {}
    for link in links:
        children.setdefault(link.parent, set()).add(link.table)
    level = {root: 0}
    todo = [root]
    while todo:
        here = todo.pop(0)
        for nxt in sorted(children.get(here, set())):
            if nxt not in level:
                level[nxt] = level[here] + 1
                todo.append(nxt)
    return level


def _cycle(root: str, chosen: Mapping[str, LinkGuess]) -> list[str] | None:
    for start in chosen:
        path: list[str] = []
        at = start
        while at != root and at in chosen:
            if at in path:
                return path[path.index(at) :]
            path.append(at)
            at = chosen[at].parent
    return None
