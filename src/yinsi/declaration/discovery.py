"""Discovery: a draft data map from what the stores hold (issue 17, ``yinsi map draft``).

:func:`classify_table` guesses each column's element from its name and comment
(:mod:`yinsi.taxonomy.column_names`) and from its sampled values (a
:data:`~yinsi.declaration.discovery_model.ValueClassifier`, the detectors);
:func:`build_draft` adds the parent links and the subject root
(:mod:`yinsi.declaration.discovery_links`) and Redis key patterns. Every guess carries a
confidence and evidence that never quote a value. :mod:`.discovery_yaml` writes the draft.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from yinsi.declaration.discovery_json import CJK, document_guess, document_leaves
from yinsi.declaration.discovery_links import (
    FOUND,
    IDENTITIES,
    assign_parents,
    candidates,
    choose_root,
)
from yinsi.declaration.discovery_model import (
    ColumnFacts,
    ColumnGuess,
    KeyPatternFacts,
    LinkGuess,
    Overlap,
    TableFacts,
    ValueClassifier,
)
from yinsi.taxonomy.column_names import Guess, classify_column, tokens
from yinsi.taxonomy.formats import Format, format_of

MIN_CONFIDENCE = 0.5
"""Guesses below this are not written into the draft."""
NAME_WINS = 0.8
"""A name or comment guess at least this confident beats values that look like another
element (``login_name`` holding phone numbers is an account id)."""
VALUE_SHARE = 0.8
"""Share of sampled values a detector must recognise for a guess from values alone."""
_ID = re.compile(r"[^a-z0-9_]+")


@dataclass(frozen=True, slots=True)
class TableDraft:
    table: TableFacts
    dataset: str
    guesses: tuple[ColumnGuess, ...]
    parent: LinkGuess | None = None


@dataclass(frozen=True, slots=True)
class KeyDraft:
    keys: KeyPatternFacts
    dataset: str
    identity: str | None
    """The identity the variable part of the key holds; ``None``: not linked."""
    evidence: str
    guesses: tuple[ColumnGuess, ...]


@dataclass(frozen=True, slots=True)
class Draft:
    app: str
    stores: tuple[tuple[str, str], ...]
    """``(id, kind)`` of every store, kind ``sql`` or ``redis``."""
    datasets: tuple[TableDraft, ...] = ()
    """The root first, then parents before their children."""
    unlinked: tuple[TableDraft, ...] = ()
    """Tables with PI that no link ties to the root."""
    keyless: tuple[TableDraft, ...] = ()
    """Tables a link ties to the root's tree, PI or not, that no single-column primary or
    unique key names the rows of (a composite key, a log table with none): drafted as
    datasets without ``primary_key``, read and erased by a predicate on the subject."""
    keys: tuple[KeyDraft, ...] = ()
    no_pi: tuple[str, ...] = ()
    provides: Mapping[str, str] = field(default_factory=dict)

    @property
    def root(self) -> TableDraft | None:
        return self.datasets[0] if self.datasets else None

    def guesses(self) -> list[tuple[str, str, ColumnGuess]]:
        """``(store, table or key pattern, guess)`` of every PI column found."""
        out = [
            (t.table.store, t.table.name, g)
            for t in (*self.datasets, *self.keyless, *self.unlinked)
            for g in t.guesses
        ]
        out += [(k.keys.store, k.keys.pattern, g) for k in self.keys for g in k.guesses]
        return out


def classify_table(
    table: TableFacts, values: ValueClassifier | None, *, skip: frozenset[str] = frozenset()
) -> tuple[ColumnGuess, ...]:
    """The PI columns of ``table``; key columns in ``skip`` are judged by name only."""
    found = []
    for column in table.columns:
        guess = classify(
            column, table.name, table.comment, values, by_value=column.name not in skip
        )
        if guess is not None:
            found.append(replace(guess, not_null=not column.nullable))
    return tuple(found)


def classify(
    column: ColumnFacts,
    table: str,
    table_comment: str,
    values: ValueClassifier | None,
    *,
    by_value: bool = True,
) -> ColumnGuess | None:
    """The element ``column`` holds, from its name, comment and sampled values; for an
    element whose values have no one format (a contact), the format of the part it holds
    (a contact's phone: ``phone_cn``), from its name or comment, else its values. A column
    of JSON documents is classified by the keys inside
    (:func:`~.discovery_json.document_guess`)."""
    if column.family in ("text", "json") and column.samples and by_value:
        documents = document_leaves(column.samples)
        if documents is not None:

            def leaf(facts: ColumnFacts) -> ColumnGuess | None:
                return classify(facts, table, table_comment, values)

            return document_guess(column, documents, leaf)
    comment = column.comment or (column.name if CJK.search(column.name) else "")  # 手机号
    named = classify_column(column.name, comment, table=table, table_comment=table_comment)
    value = None  # the values' best guess: (element, share, evidence)
    if values is not None and by_value and column.family == "text" and column.samples:
        value = next(iter(values(column.samples)), None)
    guess = _classify(column.name, named[0] if named else None, value)
    if guess is None or guess.element not in CONTACTS:
        return guess
    part = named[0].part if named else None
    if part is None and value is not None and value[1] >= VALUE_SHARE:
        part = value[0]
    fmt = Format.RELATION if part == "relation" else format_of(part) if part else Format.TEXT
    return guess if fmt is Format.TEXT else replace(guess, format=fmt.value)


CONTACTS = frozenset({"emergency_contacts", "common_contacts"})
"""The elements of a contact's columns (name, phone, relation), which no one format fits."""


def _classify(
    column: str, name: Guess | None, value: tuple[str, float, str] | None
) -> ColumnGuess | None:
    """The guess from the column's name and comment (``name``) and its values' (``value``)."""
    if value is not None and value[1] < VALUE_SHARE and (name is None or name.element != value[0]):
        value = None
    if name is None and value is None:
        return None
    if value is None:
        assert name is not None
        return _guess(column, name.element, name.confidence, name.evidence)
    element, share, evidence = value
    if name is None:
        return _guess(column, element, round(0.6 + 0.35 * share, 2), evidence)
    if name.element == element:
        confidence = round(max(name.confidence, 1 - (1 - name.confidence) * (1 - share)), 2)
        return _guess(column, element, confidence, f"{name.evidence}; {evidence}")
    if name.confidence >= NAME_WINS:
        return _guess(
            column,
            name.element,
            name.confidence,
            f"{name.evidence} (values look like {element}: {evidence})",
        )
    return _guess(column, element, round(0.5 + 0.3 * share, 2), f"{evidence}; but {name.evidence}")


def _guess(column: str, element: str, confidence: float, evidence: str) -> ColumnGuess | None:
    if confidence < MIN_CONFIDENCE:
        return None
    return ColumnGuess(column, element, min(confidence, 0.99), evidence)


def build_draft(
    app: str,
    stores: Sequence[tuple[str, str]],
    tables: Sequence[TableFacts],
    patterns: Sequence[KeyPatternFacts] = (),
    *,
    values: ValueClassifier | None = None,
    overlap: Overlap | None = None,
) -> Draft:
    """The draft: classified tables, parent links, the root, Redis datasets."""
    links = candidates(tables, overlap)
    link_columns: dict[str, set[str]] = {}
    for link in links:
        link_columns.setdefault(link.table, set()).add(link.column)
        link_columns.setdefault(link.parent, set()).add(link.parent_column)
    guesses = {
        t.ref: classify_table(
            t, values, skip=frozenset(link_columns.get(t.ref, set()) | set(t.primary_key))
        )
        for t in tables
    }
    root = choose_root(tables, links, guesses)
    parents = assign_parents(root.ref, links) if root is not None else {}
    ids = _dataset_ids(tables)
    needed = _needed(root, tables, parents)
    ordered = _parents_first(root, tables, parents, needed)
    datasets = tuple(TableDraft(t, ids[t.ref], guesses[t.ref], parents.get(t.ref)) for t in ordered)
    keyless = tuple(
        TableDraft(t, ids[t.ref], guesses[t.ref], parents[t.ref])
        for t in tables
        if t.ref not in needed
        and t.row_key is None
        and _tied(t.ref, parents, needed)
        and _one_store(t, parents, tables)  # its predicate: one statement in its store
    )
    left = needed | {t.table.ref for t in keyless}
    unlinked = tuple(
        TableDraft(t, ids[t.ref], guesses[t.ref])
        for t in tables
        if t.ref not in left and guesses[t.ref]
    )
    no_pi = tuple(t.ref for t in tables if t.ref not in left and not guesses[t.ref])
    root_guesses = guesses[root.ref] if root is not None else ()
    keys, provides = _key_drafts(patterns, root, root_guesses, values, overlap, set(ids.values()))
    return Draft(
        app,
        tuple(stores),
        datasets,
        unlinked,
        keyless=keyless,
        keys=keys,
        no_pi=no_pi,
        provides=provides,
    )


def _tied(ref: str, parents: Mapping[str, LinkGuess], needed: set[str]) -> bool:
    """Whether ``ref``'s parent link leads to a table of the draft."""
    link = parents.get(ref)
    return link is not None and link.parent in needed


def _one_store(
    table: TableFacts, parents: Mapping[str, LinkGuess], tables: Sequence[TableFacts]
) -> bool:
    """Whether ``table``'s parent chain up to the root stays in its store."""
    stores = {t.ref: t.store for t in tables}
    at = parents.get(table.ref)
    seen: set[str] = set()
    while at is not None and at.parent not in seen:
        if stores.get(at.parent) != table.store:
            return False
        seen.add(at.parent)
        at = parents.get(at.parent)
    return True


def _dataset_ids(tables: Sequence[TableFacts]) -> dict[str, str]:
    """Each table's dataset id, distinct: from its name (``t_user`` → ``t_user``), with its
    store's when two stores have the name; a name with no Latin letter or digit
    (``客户信息``) gives ``dataset``, numbered ``dataset_2``… when taken."""
    names = [t.name for t in tables]
    out: dict[str, str] = {}
    taken: set[str] = set()
    for t in tables:
        base = _identifier(t.name if names.count(t.name) == 1 else f"{t.store}_{t.name}")
        ident, n = base, 1
        while ident in taken:
            n += 1
            ident = f"{base}_{n}"
        taken.add(ident)
        out[t.ref] = ident
    return out


def _identifier(text: str) -> str:
    ident = _ID.sub("_", text.lower()).strip("_") or "dataset"
    return (ident if ident[0].isalpha() else f"t_{ident}")[:64]


def _needed(
    root: TableFacts | None, tables: Sequence[TableFacts], parents: Mapping[str, LinkGuess]
) -> set[str]:
    """The root and every table linked to it, PI or not: a loan row without a PI column
    is still the person's record, and the parent of the repayments below it."""
    if root is None:
        return set()
    keyed = {t.ref for t in tables if t.row_key is not None}
    needed = {root.ref}
    for ref in parents:
        at: str | None = ref
        chain = []
        while at is not None and at not in needed and at in keyed:
            chain.append(at)
            link = parents.get(at)
            at = link.parent if link is not None else None
        if at in needed:
            needed.update(chain)
    return needed


def _parents_first(
    root: TableFacts | None,
    tables: Sequence[TableFacts],
    parents: Mapping[str, LinkGuess],
    needed: set[str],
) -> list[TableFacts]:
    if root is None:
        return []
    by_ref = {t.ref: t for t in tables}
    order = [root]
    done = {root.ref}
    while True:
        ready = [
            by_ref[r]
            for r in sorted(needed - done)
            if r in parents and parents[r].parent in done and by_ref[r].row_key is not None
        ]
        if not ready:
            return order
        order += ready
        done.update(t.ref for t in ready)


def _key_drafts(
    patterns: Sequence[KeyPatternFacts],
    root: TableFacts | None,
    root_guesses: Sequence[ColumnGuess],
    values: ValueClassifier | None,
    overlap: Overlap | None,
    taken: set[str],
) -> tuple[tuple[KeyDraft, ...], dict[str, str]]:
    drafts = []
    provides: dict[str, str] = {}
    for keys in patterns:
        identity, evidence = _key_identity(keys, root, root_guesses, overlap)
        if identity is not None and identity != "user_id" and root is not None:
            provides[identity] = identity
        words = [p for p in keys.pattern.split(":") if p != "{}" and not re.search(r"\d", p)]
        word = "_".join(tokens("_".join(words[-2:])))
        guesses = []
        for f in keys.fields:
            name = word or "value" if f.name == "value" else f.name
            facts = ColumnFacts(name, f.family, f.comment, f.samples)
            guess = classify(facts, word, "", values)
            if guess is not None:
                what = f"key {keys.pattern}" if f.name == "value" else f"field name {f.name}"
                because = guess.evidence.replace(f"column name {name}", what)
                guesses.append(replace(guess, column=f.name, evidence=because))  # + format
        dataset = _identifier(word or "keys")
        while dataset in taken:
            dataset += "_keys"
        taken.add(dataset)
        drafts.append(KeyDraft(keys, dataset, identity, evidence, tuple(guesses)))
    return tuple(drafts), provides


def _key_identity(
    keys: KeyPatternFacts,
    root: TableFacts | None,
    root_guesses: Sequence[ColumnGuess],
    overlap: Overlap | None,
) -> tuple[str | None, str]:
    """Which root column the variable part of the keys holds, by value overlap: its keys
    first, then its identity columns (phone, ID number), then any text column."""
    varying = keys.pattern.count("{}")
    if varying == 0:
        return None, "one key for many people: yinsi cannot erase one person's part of it"
    if varying > 1:
        return None, "more than one part of the keys varies: tie them to the subject by hand"
    if root is None or overlap is None or not keys.ids:
        return None, "no subject root to compare the keys with"
    probe = TableFacts(keys.store, keys.pattern, (ColumnFacts("{}", "text", "", keys.ids),))
    identities = [g.column for g in root_guesses if g.element in IDENTITIES]
    texts = [c.name for c in root.columns if c.family == "text"]
    options = list(dict.fromkeys([*root.keys, *identities, *texts]))
    best: tuple[int, int, str] = (0, 1, "")  # the largest share found below FOUND
    for column in options:
        measured = overlap(probe, "{}", root, column)
        if measured is None or measured[1] == 0:
            continue
        hits, sampled = measured
        if hits / sampled >= FOUND:
            identity = "user_id" if column == root.row_key else _identifier(column)
            where = f"{hits}/{sampled} sampled key parts found in {root.name}.{column}"
            return identity, where
        if hits / sampled > best[0] / best[1]:
            best = (hits, sampled, column)
    hits, sampled, column = best
    if hits:
        return None, (
            f"only {hits}/{sampled} sampled key parts found in {root.name}.{column} "
            f"(a link needs {FOUND:.0%})"
        )
    return None, "the variable part of the keys matches no column of the subject root"
