"""The text of Word documents (``.docx``) for ``yinsi scan``: contracts, letters and
reports that hold PI as prose.

A ``.docx`` is a ZIP of XML parts. The body, headers, footers, footnotes, endnotes and
comments are read as lines: a paragraph (one in a text box is a line of its own), or a
table's row with its cells joined by tabs, so that a header row says what its columns
hold as a TSV's does; with the text of tracked deletions too: the file still holds it.
Each part is read with the standard library's XML parser (expat 2.4 and later refuses
entity expansion attacks), after refusing any part that declares a DTD, and none larger
than :data:`MAX_PART` once unpacked (a ZIP bomb).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

__all__ = ["MAX_PART", "DocumentError", "Part", "docx_parts"]

MAX_PART = 64 * 1024 * 1024
"""Bytes of one unpacked XML part at most."""

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml")
_LABELS = {
    "document": "正文",
    "header": "页眉",
    "footer": "页脚",
    "footnotes": "脚注",
    "endnotes": "尾注",
    "comments": "批注",
}
_TEXT = {f"{_W}t", f"{_W}delText"}
_OLE = b"\xd0\xcf\x11\xe0"
"""How an OLE file begins: a .doc, or a .docx Word encrypted (it wraps the ZIP in one)."""
_SPACE = {f"{_W}tab": "\t", f"{_W}br": " ", f"{_W}cr": " "}


class DocumentError(Exception):
    """The document cannot be read; the message (Chinese) says why."""


@dataclass(frozen=True, slots=True)
class Part:
    """One text part of a document: its paragraphs and table rows as lines, in order."""

    label: str
    """``正文``, ``页眉2``, ``批注`` …"""
    lines: list[str]
    """A paragraph's text, or a table row's cells joined by tabs."""
    tables: list[tuple[int, int]]
    """Each table's rows: ``lines[first:end]``, its header first."""


def docx_parts(path: Path) -> Iterator[Part]:
    """Each text part of the document, in the ZIP's order. Raises :class:`DocumentError`."""
    with path.open("rb") as file:
        if file.read(4) == _OLE:
            raise DocumentError(
                "是加密的或旧版（.doc）的 Word 文档，无法读取；请另存为未加密的 .docx"
            )
    try:
        with zipfile.ZipFile(path) as archive:
            names = [i for i in archive.infolist() if _PARTS.fullmatch(i.filename)]
            if not any(i.filename == "word/document.xml" for i in names):
                raise DocumentError("不是 Word 文档（缺少 word/document.xml）")
            for info in names:
                part = _lines(_read_part(archive, info))
                yield Part(_label(info.filename), part.lines, part.tables)
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as exc:
        # a damaged archive, a corrupt deflate stream, an unknown compression method
        raise DocumentError(f"无法作为 DOCX 文档打开（{type(exc).__name__}）") from None
    except RuntimeError as exc:  # zipfile: an encrypted member
        raise DocumentError(f"无法打开（{exc}；加密的文档需先解密）") from None


def _label(name: str) -> str:
    stem = name.removeprefix("word/").removesuffix(".xml")
    kind = stem.rstrip("0123456789")
    return _LABELS[kind] + stem[len(kind) :]


def _read_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with archive.open(info) as part:
        data = part.read(MAX_PART + 1)
    if len(data) > MAX_PART:
        raise DocumentError(f"{info.filename} 解压后超过 {MAX_PART // (1024 * 1024)} MB，未读取")
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        raise DocumentError(f"{info.filename} 声明了 DTD，未读取")
    return data


def _lines(data: bytes) -> Part:
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise DocumentError(f"XML 无法解析（{exc}）") from None
    part = Part("", [], [])
    try:
        _walk(root, part)
    except RecursionError:  # elements nested thousands deep: no document Word writes
        raise DocumentError("XML 嵌套过深，未读取") from None
    return part


def _walk(element: ElementTree.Element, part: Part) -> None:
    """Appends the lines of every paragraph and table under ``element``, in document
    order; a paragraph nested in another (a text box) comes after it, on its own."""
    for child in element:
        if child.tag == f"{_W}p":
            _walk_paragraph(child, part.lines)
        elif child.tag == f"{_W}tbl":
            first = len(part.lines)
            for row in _rows(child):
                cells = [" ".join(_cell_lines(cell)) for cell in row.iter(f"{_W}tc")]
                part.lines.append("\t".join(c.replace("\t", " ") for c in cells))
            part.tables.append((first, len(part.lines)))
        else:
            _walk(child, part)


def _rows(table: ElementTree.Element) -> Iterator[ElementTree.Element]:
    """A table's rows, also inside content controls (``w:sdt``), not its cells' tables."""
    for child in table:
        if child.tag == f"{_W}tr":
            yield child
        elif child.tag not in (f"{_W}tblPr", f"{_W}tblGrid"):
            yield from _rows(child)


def _cell_lines(cell: ElementTree.Element) -> list[str]:
    inner = Part("", [], [])
    _walk(cell, inner)
    return [line for line in inner.lines if line.strip()]


def _walk_paragraph(paragraph: ElementTree.Element, found: list[str]) -> None:
    nested: list[ElementTree.Element] = []
    found.append("".join(_text(paragraph, nested)).replace("\n", " "))
    for inner in nested:
        _walk_paragraph(inner, found)


def _text(element: ElementTree.Element, nested: list[ElementTree.Element]) -> Iterator[str]:
    """The text of ``element`` outside the paragraphs nested in it (collected in
    ``nested``)."""
    for child in element:
        if child.tag == f"{_W}p":
            nested.append(child)
        elif child.tag in _TEXT:
            yield child.text or ""
        elif child.tag in _SPACE:
            yield _SPACE[child.tag]
        else:
            yield from _text(child, nested)
