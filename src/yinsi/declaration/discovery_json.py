"""PI inside JSON documents, for discovery: a column whose values are JSON objects or
arrays (a ``jsonb`` column, or text holding JSON: ``profile``, ``ext_info``, a Redis
string) is read key by key.

:func:`document_leaves` turns a column's sampled documents into the values found at each
key path (``address``, ``contacts[].phone``); discovery classifies each path as it would
a column (:func:`yinsi.declaration.discovery.classify`) and names the column by its most
confident path, with the others in the evidence. The draft marks such a column
``format: json``: it is erased whole, and a correction never writes into it.

A key that looks like a value (``{"13800138000": …}``, a map keyed by phone number or
id) is not a name: it shows as ``*`` in a path, so no evidence quotes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from yinsi.declaration.discovery_model import ColumnFacts, ColumnGuess
from yinsi.taxonomy.formats import Format

__all__ = ["CJK", "DOCUMENT_SHARE", "Documents", "document_guess", "document_leaves", "leaf_name"]

DOCUMENT_SHARE = 0.8
"""Share of a column's non-empty sampled values that must be JSON objects or arrays for
the column to be read as documents."""
CJK = re.compile(r"[\u4e00-\u9fff]")
"""A name in Chinese (a key ``地址``, a column ``手机号``): read as a comment is."""
MAX_PATHS = 200
"""Key paths kept per column at most (a document of free keys has no end of them)."""
MAX_DEPTH = 8
MAX_ITEMS = 20
"""Items read from each array."""
_VALUE_LIKE = re.compile(r"\d{4}|^[0-9a-f-]{16,}$|@", re.IGNORECASE)
"""A key holding a value rather than naming one (a phone, an id, an e-mail address)."""


@dataclass(frozen=True, slots=True)
class Documents:
    """What a column's documents hold: the string and integer values met at each key
    path (distinct, in the order met), and how many of the sampled values were documents."""

    paths: dict[str, list[str]]
    documents: int
    sampled: int


def document_leaves(samples: Sequence[str]) -> Documents | None:
    """The key paths of ``samples`` and their values, or None when fewer than
    :data:`DOCUMENT_SHARE` of the non-empty samples are JSON objects or arrays."""
    sampled = documents = 0
    paths: dict[str, dict[str, None]] = {}
    for raw in samples:
        text = raw.strip()
        if not text:
            continue
        sampled += 1
        if not text.startswith(("{", "[")):
            continue
        try:
            document = json.loads(text)
        except ValueError:
            continue
        if isinstance(document, dict | list):
            documents += 1
            _walk(document, "", paths, 0)
    if not sampled or documents < DOCUMENT_SHARE * sampled:
        return None
    return Documents({p: list(v) for p, v in paths.items()}, documents, sampled)


def _walk(node: object, path: str, out: dict[str, dict[str, None]], depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            name = "*" if _VALUE_LIKE.search(str(key)) or len(str(key)) > 40 else str(key)
            _walk(value, f"{path}.{name}" if path else name, out, depth + 1)
    elif isinstance(node, list):
        for value in node[:MAX_ITEMS]:
            _walk(value, f"{path}[]", out, depth + 1)
    elif _leaf(node) and path and (path in out or len(out) < MAX_PATHS):
        out.setdefault(path, {})[str(node)] = None


def _leaf(node: object) -> bool:
    """A value the detectors read: text, or an integer (a phone kept as a number)."""
    return isinstance(node, str) or (isinstance(node, int) and not isinstance(node, bool))


def leaf_name(path: str) -> str:
    """The name a path's values are classified under: its last two keys
    (``data.contacts[].phone`` → ``contacts_phone``), so a contact's phone reads as one."""
    keys = [k for k in re.split(r"\.|\[\]", path) if k and k != "*"]
    return "_".join(keys[-2:]) if keys else path


def document_guess(
    column: ColumnFacts,
    documents: Documents,
    classify: Callable[[ColumnFacts], ColumnGuess | None],
) -> ColumnGuess | None:
    """The element a column of JSON documents holds: its most confident key path's, each
    path classified by ``classify`` as a column of its own (named by :func:`leaf_name`, a
    Chinese key as its comment), the others named in the evidence; else the column's own
    name's. ``format: json`` either way."""
    found: list[tuple[str, ColumnGuess]] = []
    for path, leaves in documents.paths.items():
        comment = path if CJK.search(path) else ""
        guess = classify(ColumnFacts(leaf_name(path), "text", comment, tuple(leaves)))
        if guess is not None:
            found.append((path, guess))
    shown = f"JSON 文档或数组（{documents.sampled} 个非空值中 {documents.documents} 个）"
    if not found:
        named = classify(replace(column, samples=()))
        if named is None:
            return None
        return replace(named, evidence=f"{named.evidence}；{shown}", format=Format.JSON.value)
    found.sort(key=lambda item: -item[1].confidence)
    path, best = found[0]
    others = "，".join(f"{p} → {g.element} ({g.confidence:.2f})" for p, g in found[1:])
    where = "各项" if path == "[]" else f"键 {path}"  # an array of values: its items
    evidence = f"{shown}{where}：{best.evidence}" + (f"；另含 {others}" if others else "")
    return replace(best, column=column.name, evidence=evidence, format=Format.JSON.value)
