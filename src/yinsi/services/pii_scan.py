"""Find PI in files: text, CSV, JSON, logs, Excel workbooks (XLSX, and XLS 97-2003) and
Word documents (``yinsi scan``).

Every value found is reported by kind and place with a masked snippet; no full value
leaves this module. Folders are walked in name order, skipping hidden entries; a binary
file met in a folder (an image, a PDF, an archive: by a NUL byte or its format's magic
number) is reported as skipped, since PI in it is not looked for; a file that cannot be
read is reported with the reason, and the scan goes on. Text is read as UTF-8, else
GB18030 (UTF-16 when it opens with its byte-order mark, as Excel saves 'Unicode text');
JSON with ``\\u`` escapes is read string by string (and latitude-longitude pairs among its
numbers), placed by path (``$.users[0].name``), since its raw text hides the Chinese it
holds; JSON Lines line by line, a line that is not JSON (cut off, say) read as text, its
escaped literals decoded. JSON nested deeper than the parser goes is read as text the same way.

A table (CSV, TSV, a workbook's sheet) whose first row is a header says what its columns
hold: a cell under ``客户姓名`` or ``出生日期`` is read as a name or a date of birth when
its value is one (a known surname and one or two characters; a real past date), though
free text would need a cue (``姓名：``) for either. So does the key of a value in a log
line or a JSON text (``realName=张三``, ``"birthday": "1990-05-06"``) (:mod:`.pii_cues`).
Percent-encoded text (``realName=%E5%BC%A0%E4%B8%89`` in an access log) is decoded and
read too (:mod:`.pii_encoded`).
"""

from __future__ import annotations

import codecs
import json
import os
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate
from pathlib import Path

from yinsi.security.masking import (
    mask_address,
    mask_bank_card,
    mask_coordinates,
    mask_date,
    mask_device_id,
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_text,
)
from yinsi.services.pii_cues import (
    cell_finding,
    escaped_findings,
    header_kinds,
    json_coordinates,
    json_strings,
    key_finding,
    labelled_findings,
    merged,
    table_findings,
)
from yinsi.services.pii_documents import DocumentError, docx_parts
from yinsi.services.pii_encoded import encoded_findings
from yinsi.taxonomy.detectors import DEVICE_KINDS, Finding, detect

SNIPPET_CONTEXT = 8
"""Characters of (masked) context shown on each side of a value."""

_MASKS: dict[str, Callable[[str], str]] = {
    "id_number": mask_id_number,
    "mobile": mask_phone,
    "bank_card": mask_bank_card,
    "email": mask_email,
    "person_name": mask_name,
    "address": mask_address,
    "birth_date": mask_date,
    "gps": mask_coordinates,
    **dict.fromkeys(DEVICE_KINDS, mask_device_id),
}
_ENCODINGS = ("utf-8-sig", "gb18030")
_WORKBOOKS = (".xlsx", ".xlsm")
_NEWLINE = re.compile("\n")
_JSON = (".json", ".jsonl", ".ndjson")
_TABLES = {".csv": ",", ".tsv": "\t"}
_DOCUMENTS = (".docx", ".docm")
_MAGIC = (b"%PDF-", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")
"""How binary formats a text could not be read from begin: PDF, ZIP (and the Office
formats in it), OLE (.doc, .xls), PNG, JPEG, GIF: binary even with no NUL byte early on."""


def mask_value(kind: str, value: str) -> str:
    """``value`` masked for display as a value of detector kind ``kind``."""
    return _MASKS.get(kind, mask_text)(value)


@dataclass(frozen=True, slots=True)
class Hit:
    """One value found: where (``12:5``, or ``Sheet1!B3`` in a workbook) and a snippet
    with every value in it masked."""

    where: str
    kind: str
    element: str
    confidence: float
    snippet: str


@dataclass(slots=True)
class FileReport:
    """What one file holds; ``error`` (Chinese) says why it could not be read."""

    path: Path
    hits: list[Hit] = field(default_factory=list)
    error: str | None = None
    binary: bool = False
    skipped: bool = False
    """A binary file met in a folder: not read, not an error (its PI is not looked for)."""

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(hit.kind for hit in self.hits).most_common())


def _masked(text: str, findings: Sequence[Finding]) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with each finding masked, and the findings' spans in the masked text."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = length = 0
    for f in findings:
        parts.append(text[pos : f.start])
        length += f.start - pos
        shown = mask_value(f.kind, text[f.start : f.end])
        spans.append((length, length + len(shown)))
        parts.append(shown)
        length += len(shown)
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts), spans


def _snippet(masked: str, span: tuple[int, int]) -> str:
    start, end = span
    left = max(0, start - SNIPPET_CONTEXT)
    right = min(len(masked), end + SNIPPET_CONTEXT)
    return " ".join(masked[left:right].split())


def scan_text(
    text: str, kinds: Collection[str] | None = None, extra: Sequence[Finding] = ()
) -> list[Hit]:
    """Every value in ``text`` with its ``LINE:COL`` (both from 1) and a masked snippet;
    ``extra``: findings of the caller's (a table's header), kept where no detector's is."""
    findings = merged(detect(text, kinds), extra)
    line_starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    by_line: dict[int, list[Finding]] = {}
    for f in findings:
        by_line.setdefault(bisect_right(line_starts, f.start) - 1, []).append(f)
    hits: list[Hit] = []
    for line, found in by_line.items():
        start = line_starts[line]
        stop = line_starts[line + 1] if line + 1 < len(line_starts) else len(text)
        local = [
            Finding(f.kind, f.element, f.start - start, min(f.end, stop) - start, f.confidence)
            for f in found
        ]
        masked, spans = _masked(text[start:stop], local)
        for f, span in zip(found, spans, strict=True):
            where = f"{line + 1}:{f.start - start + 1}"
            hits.append(Hit(where, f.kind, f.element, f.confidence, _snippet(masked, span)))
    return hits


def _column_name(index: int) -> str:
    name = ""
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _scan_workbook(path: Path, kinds: Collection[str] | None) -> list[Hit]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = ((s.title, s.iter_rows(values_only=True)) for s in workbook.worksheets)
        return _scan_sheets(sheets, kinds)
    finally:
        workbook.close()


def _scan_legacy_workbook(path: Path, kinds: Collection[str] | None) -> list[Hit]:
    """An Excel 97-2003 workbook (``.xls``), read with xlrd."""
    import xlrd  # type: ignore[import-untyped]  # no stubs

    book = xlrd.open_workbook(path, on_demand=True)
    try:
        sheets = (
            (sheet.name, (sheet.row_values(r) for r in range(sheet.nrows)))
            for sheet in (book.sheet_by_index(i) for i in range(book.nsheets))
        )
        return _scan_sheets(sheets, kinds)
    finally:
        book.release_resources()


def _cell_text(value: object) -> str:
    """A cell as text; a whole number stored as a float (a phone typed as a number in an
    .xls: ``13812345678.0``) without its ``.0``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e19:
        return str(int(value))
    return str(value)


def _scan_sheets(
    sheets: Iterable[tuple[str, Iterable[Sequence[object]]]], kinds: Collection[str] | None
) -> list[Hit]:
    """Every sheet's cells, placed ``Sheet1!B3``; a first row that is a header says what
    its columns hold (:func:`~.pii_cues.header_kinds`)."""
    hits: list[Hit] = []
    for title, rows in sheets:
        columns: dict[int, str] = {}
        for r, row in enumerate(rows, start=1):
            if r == 1:
                columns = header_kinds(row, kinds)
            for c, value in enumerate(row, start=1):
                if value is None or value == "":
                    continue
                cell = _cell_text(value)
                kind = columns.get(c - 1) if r > 1 else None
                by_header = cell_finding(kind, cell, 0) if kind else None
                hits += _value_hits(cell, f"{title}!{_column_name(c)}{r}", kinds, by_header)
    return hits


def _value_hits(
    value: str, where: str, kinds: Collection[str] | None, cue: Finding | None
) -> list[Hit]:
    """The hits of one value read alone (a cell, a JSON string), all placed at ``where``;
    ``cue``: the finding its header or key gives, kept where no detector's is."""
    findings = merged(detect(value, kinds), [cue] if cue else [])
    masked, spans = _masked(value, findings)
    return [
        Hit(where, f.kind, f.element, f.confidence, _snippet(masked, span))
        for f, span in zip(findings, spans, strict=True)
    ]


def _scan_document(path: Path, kinds: Collection[str] | None) -> list[Hit]:
    """A Word document's hits, placed by part and line (``正文第12段:5``); a table's header
    row says what its columns hold, as a TSV's (:func:`~.pii_cues.table_findings`)."""
    hits: list[Hit] = []
    for part in docx_parts(path):
        text = "\n".join(part.lines)
        starts = list(accumulate((len(line) + 1 for line in part.lines), initial=0))
        extra: list[Finding] = []
        for first, end in part.tables:
            rows = "\n".join(part.lines[first:end])
            extra += [
                replace(f, start=f.start + starts[first], end=f.end + starts[first])
                for f in table_findings(rows, "\t", kinds)
            ]
        for hit in scan_text(text, kinds, extra):
            line, column = hit.where.split(":")
            hits.append(replace(hit, where=f"{part.label}第{line}段:{column}"))
    return hits


def _scan_json(text: str, lines: bool, kinds: Collection[str] | None) -> list[Hit] | None:
    """Hits in the strings of a JSON document (or of each line of JSON Lines), placed by
    path: escaped text (``\\u5f20``) is read as what it says. None if it is not JSON (or
    nested deeper than the parser goes); the lines of JSON Lines that are not JSON are
    read as text, placed ``LINE:COL``."""
    documents: list[tuple[str, object]] = []
    rest: list[str] = []  # the lines that are not JSON, the others left empty
    for n, line in enumerate(text.split("\n") if lines else [text], 1):
        try:
            documents.append((f"{n}:$" if lines else "$", json.loads(line)))
            rest.append("")
        except (ValueError, RecursionError):
            rest.append(line)
    if not documents:
        return None
    hits = _json_hits(documents, kinds)
    if lines and any(line.strip() for line in rest):
        hits += _text_hits("\n".join(rest), "", kinds)
        hits.sort(key=lambda hit: int(hit.where.split(":", 1)[0]))
    return hits


def _json_hits(documents: list[tuple[str, object]], kinds: Collection[str] | None) -> list[Hit]:
    hits: list[Hit] = []
    known: dict[str, str | None] = {}
    for root, document in documents:
        for where, key, value in json_strings(document, root):
            hits += _value_hits(value, where, kinds, key_finding(key, value, 0, kinds, known))
        for where, value, gps in json_coordinates(document, root, kinds):
            hits += _value_hits(value, where, kinds, gps)
    return hits


def _scan_text_file(path: Path, kinds: Collection[str] | None) -> list[Hit]:
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix in _JSON and "\\u" in text:
        hits = _scan_json(text, suffix != ".json", kinds)
        if hits is not None:
            return hits
    return _text_hits(text, suffix, kinds)


def _text_hits(text: str, suffix: str, kinds: Collection[str] | None) -> list[Hit]:
    """A text's hits with the cues its structure gives: a table's header, keys, and
    values percent-encoded or in escaped JSON literals."""
    delimiter = _TABLES.get(suffix)
    extra = table_findings(text, delimiter, kinds) if delimiter else []
    extra += labelled_findings(text, kinds)
    if "%" in text:
        extra += encoded_findings(text, kinds)
    if "\\u" in text:
        extra += escaped_findings(text, kinds)
    return scan_text(text, kinds, extra)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's 'Unicode text'
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UnicodeError("encoding") from None
    if b"\x00" in data[:8192] or data.startswith(_MAGIC):
        raise UnicodeError("binary")
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnicodeError("encoding")


def scan_file(path: Path, kinds: Collection[str] | None = None) -> FileReport:
    """The PI in one file; a file that cannot be read gets ``error`` instead."""
    report = FileReport(path)
    try:
        if path.suffix.lower() in _WORKBOOKS:
            report.hits = _scan_workbook(path, kinds)
        elif path.suffix.lower() == ".xls":
            report.hits = _scan_legacy_workbook(path, kinds)
        elif path.suffix.lower() in _DOCUMENTS:
            report.hits = _scan_document(path, kinds)
        else:
            report.hits = _scan_text_file(path, kinds)
    except UnicodeError as exc:
        report.binary = str(exc) == "binary"
        report.error = (
            "是二进制文件，无法按文本扫描（支持文本、CSV、JSON、日志、XLSX、XLS 和 DOCX）"
            if report.binary
            else "不是 UTF-8 或 GB18030 编码的文本，无法读取"
        )
    except DocumentError as exc:
        report.error = str(exc)
    except PermissionError:
        report.error = "没有读取权限"
    except RecursionError:  # a structure nested thousands deep: read by no tool we use
        report.error = "嵌套过深，无法读取"
    except OSError as exc:
        report.error = f"无法读取（{exc.strerror or type(exc).__name__}）"
    except Exception as exc:  # openpyxl and xlrd raise many types for a damaged workbook
        suffix = path.suffix.lower()
        if suffix not in (*_WORKBOOKS, ".xls"):
            raise
        report.error = f"无法作为 {suffix[1:].upper()} 工作簿打开（{type(exc).__name__}）"
    return report


def _files(root: Path) -> Iterator[Path]:
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                yield Path(folder, name)


def scan_paths(paths: Sequence[Path], kinds: Collection[str] | None = None) -> Iterator[FileReport]:
    """A report per file under ``paths`` (files, or folders walked recursively).

    A path that does not exist gets a report with ``error``. ``kinds`` limits the
    detectors (an unknown kind raises ``ValueError`` before any file is read).
    """
    detect("", kinds)
    for path in paths:
        if path.is_dir():
            for file in _files(path):
                report = scan_file(file, kinds)
                if report.binary:  # images and archives in a folder are not errors
                    report.error, report.skipped = None, True
                yield report
        elif path.exists():
            yield scan_file(path, kinds)
        else:
            yield FileReport(path, error="不存在")
