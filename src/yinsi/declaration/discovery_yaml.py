"""The draft data map as YAML, every guess with its confidence and evidence in a comment.

The text is written by hand, not dumped, so the comments sit beside what they explain;
every scalar that is not a plain name is quoted as JSON (valid YAML). No sampled value
reaches this module: guesses and links carry counts and names only.
"""

from __future__ import annotations

import json
import re
from datetime import date

from yinsi.declaration.datamap import COLUMN_NAME
from yinsi.declaration.discovery import Draft, KeyDraft, TableDraft
from yinsi.declaration.discovery_model import ColumnGuess

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
_COLUMN = re.compile(COLUMN_NAME)
_TENANT = re.compile(
    r"^(tenant|org|organi[sz]ation|merchant|mch|partner|platform|corp|app|saas|租户|机构|商户)"
    r"(_?(id|code|no|编号|代码|号))?$",
    re.IGNORECASE,
)


def env_var(store: str) -> str:
    """The environment variable the draft's store URL names: ``core`` → CORE_DATABASE_URL."""
    return re.sub(r"[^A-Z0-9]+", "_", store.upper()) + "_DATABASE_URL"


def render(draft: Draft, *, today: date | None = None) -> str:
    lines = [
        f"# Draft data map written by `yinsi map draft`{' on ' + today.isoformat() if today else ''}.",
        "# Every element and link is a guess: its confidence and evidence are in the comment",
        "# above it. Review each one, set erase strategies, holds and retention, then check it",
        "# with `yinsi map check`. No sampled value is written in this file.",
        *_shared(draft),
        f"app: {_scalar(draft.app)}",
        f"identities: [{', '.join(['user_id', *sorted(draft.provides)])}]",
        "stores:",
    ]
    for store, kind in draft.stores:
        lines += [
            f"  - id: {_scalar(store)}",
            f"    kind: {kind}",
            f"    url: ${{{env_var(store)}}}",
            f"    label: {_scalar(store)}",
        ]
    lines.append("datasets:")
    for i, table in enumerate(draft.datasets):
        lines += _table(table, draft, root=i == 0)
    for table in draft.keyless:
        lines += _table(table, draft, root=False)
    for keys in draft.keys:
        lines += _keys(keys)
    if not draft.datasets and not [k for k in draft.keys if k.identity]:
        lines.append("  []  # no table or key could be tied to a subject")
    lines += _unlinked(draft)
    return "\n".join(lines) + "\n"


def _table(t: TableDraft, draft: Draft, *, root: bool) -> list[str]:
    facts = t.table
    label = facts.comment.splitlines()[0].strip() if facts.comment.strip() else facts.name
    out = [""]
    if root:
        out.append(f"  # subject root: {facts.name} (the table most linked to, holding identities)")
    if facts.row_key is None:
        out += [
            f"  # no single-column primary or unique key ({_keys_of(facts.primary_key)}):",
            "  # yinsi reads, corrects and erases the person's rows by a predicate on them",
            "  # (strategies null/delete only, no holds)",
        ]
    out += [
        f"  - id: {t.dataset}",
        f"    label: {_scalar(label)}",
        f"    store: {_scalar(facts.store)}",
        f"    table: {_scalar(facts.name)}",
    ]
    if facts.row_key is not None:
        out.append(f"    primary_key: {_scalar(facts.row_key)}")
    if root:
        out.append(f"    subject: {{column: {_scalar(facts.row_key or '')}, identity: user_id}}")
        if draft.provides:
            pairs = ", ".join(f"{k}: {_scalar(v)}" for k, v in sorted(draft.provides.items()))
            out.append(f"    provides: {{{pairs}}}")
    elif t.parent is not None:
        parent = next(d for d in draft.datasets if d.table.ref == t.parent.parent)
        refs = (
            ""
            if parent.table.row_key == t.parent.parent_column
            else f", references: {_scalar(t.parent.parent_column)}"
        )
        out.append(f"    # confidence {t.parent.confidence:.2f}: {_comment(t.parent.evidence)}")
        out.append(
            f"    parent: {{dataset: {parent.dataset}, column: {_scalar(t.parent.column)}{refs}}}"
        )
    if not t.guesses:
        out.append("    # no PI column recognised: records of the person through the link; review")
    out.append("    erase: fields")
    out += _fields(t.guesses, "column")
    return out


def _keys_of(columns: tuple[str, ...]) -> str:
    """``primary key (user_id, tag)``, or ``no primary key``, for a comment."""
    return f"primary key ({', '.join(columns)})" if columns else "no primary key"


def _keys(k: KeyDraft) -> list[str]:
    if k.identity is None:
        return []
    pattern = k.keys.pattern.replace("{}", "{" + k.identity + "}", 1)
    return [
        "",
        f"  # Redis keys like {_comment(pattern)} ({k.keys.keys} seen, type {k.keys.type}): "
        f"{_comment(k.evidence)}",
        f"  - id: {k.dataset}",
        f"    label: {_scalar(pattern)}",
        f"    store: {_scalar(k.keys.store)}",
        f"    key: {json.dumps(pattern, ensure_ascii=False)}",
        "    erase: row",
        *_fields(k.guesses, "field"),
    ]


def _fields(guesses: tuple[ColumnGuess, ...], kind: str) -> list[str]:
    usable = [g for g in guesses if kind == "field" or _COLUMN.match(g.column)]
    if not usable:
        return ["    fields: []"]
    out = ["    fields:"]
    for g in usable:
        name = _scalar(g.column) if kind == "column" else json.dumps(g.column, ensure_ascii=False)
        out.append(f"      # confidence {g.confidence:.2f}: {_comment(g.evidence)}")
        if g.not_null:
            out.append(NOT_NULL)
        fmt = f", format: {g.format}" if g.format else ""
        out.append(f"      - {{{kind}: {name}, element: {g.element}{fmt}}}")
    return out


NOT_NULL = (
    "      # NOT NULL: `erase: null` would be refused at every deletion; choose `anonymise`"
    " or `keyed_hash` if the column holds them, or `erase: row` for the dataset"
)


def _held(guesses: tuple[ColumnGuess, ...]) -> str:
    """``mobile → mobile_number (0.99), name → name (0.75)``: what a left-out table or key
    holds, for the comments after the datasets."""
    return ", ".join(f"{g.column} → {g.element} ({g.confidence:.2f})" for g in guesses)


def _shared(draft: Draft) -> list[str]:
    """A note when tables look shared by several apps (a tenant column in a composite
    primary key, ``(tenant_id, user_id)``): a person's id is then unique only within a
    tenant, and a map of the tables would match other tenants' people."""
    tables = [t.table for t in (*draft.datasets, *draft.keyless, *draft.unlinked)]
    shared = {
        c for t in tables if len(t.primary_key) > 1 for c in t.primary_key if _TENANT.match(c)
    }
    if not shared:
        return []
    holding = sorted(t.ref for t in tables if any(c.name in shared for c in t.columns))
    return [
        "#",
        f"# Several apps seem to share these tables: {_comment(', '.join(sorted(shared)))} is part of",
        "# a composite primary key, so a person's id is unique only within one of them, and a",
        "# map naming the tables would find other apps' people too. Map one view per table",
        "# keeping this app's rows (WHERE tenant = '…' WITH CHECK OPTION), by hand from this",
        "# draft's guesses (a view states no key): docs/datamap.md, \"Several apps in one",
        f'# database". Tables with the column: {_comment(", ".join(holding))}.',
    ]


def _unlinked(draft: Draft) -> list[str]:
    out: list[str] = []
    if draft.unlinked:
        out += ["", "# Tables with PI that no link ties to the subject (add them by hand):"]
        for t in draft.unlinked:
            out.append(f"#   {_comment(t.table.ref)}: {_comment(_held(t.guesses))}")
    # a key of no one subject is named only for the PI it holds (not every config key)
    loose = [
        k
        for k in draft.keys
        if k.identity is None and (k.guesses or k.keys.pattern.count("{}") == 1)
    ]
    if loose:
        out += ["", "# Redis keys not tied to the subject:"]
        for k in loose:
            holds = f"; holds {_held(k.guesses)}" if k.guesses else ""
            out.append(f"#   {_comment(k.keys.pattern)}: {_comment(k.evidence + holds)}")
    if draft.no_pi:
        out += ["", f"# No PI found in: {_comment(', '.join(draft.no_pi))}"]
    return out


def _scalar(text: str) -> str:
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)


def _comment(text: str) -> str:
    return " ".join(text.split())
