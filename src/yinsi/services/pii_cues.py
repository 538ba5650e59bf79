"""Cues a file's structure gives the PI detectors (:mod:`.pii_scan`): a table's header
(``客户姓名``, ``出生日期``) and a value's key (``realName=``, ``"birthday":``) say what a
cell or a value is, where free text would need a cue (``姓名：``) before a name or a date of
birth; and a CSV cell starts as a sentence does, so a name that opens it is found.

A cell or value is taken only when it passes the checks a column's sampled values pass
(:func:`~yinsi.taxonomy.detectors.text.is_name`: a known surname and one or two more, not a
common word; a real date not after today). Each function gives findings with their offsets
in the text it was given; :func:`merged` keeps those no detector's finding overlaps.

A header or key names a person when :func:`~yinsi.taxonomy.column_names.classify_column`
says so, and also when it is a role's name followed by ``Name`` (``contactName``,
``spouse_name``, ``accountName``, ``userName``: a handle there is PI too), a role noun
alone (``cardHolder``, ``borrower``, ``lxr``) or a Chinese role (``借款人``, ``联系人2``,
``紧急联系人（配偶）``, ``配偶``, ``户主``). A key or header naming a device identifier
(``imsi``, ``androidId``) takes a value of its shape; two naming a latitude and a longitude
(``lat``/``lng``, ``纬度``/``经度``, also JSON numbers) take a pair with 4 decimals, where
free text with no cue needs 5 (:mod:`~yinsi.taxonomy.detectors.locations`). JSON string
literals with ``\\u`` escapes met in text that is not read as JSON (a log line's body, a
broken JSON Lines line) are decoded and read too (:func:`escaped_findings`).
"""

from __future__ import annotations

import csv
import io
import re
from bisect import bisect_right
from collections.abc import Collection, Iterator, Sequence

from yinsi.taxonomy.column_names import classify_column, tokens
from yinsi.taxonomy.detectors import KINDS, Finding, detect
from yinsi.taxonomy.detectors.devices import DEVICE_KINDS, device_id_valid
from yinsi.taxonomy.detectors.locations import axis, names_a_place, pair_valid
from yinsi.taxonomy.detectors.text import BARE_DATE, date_valid, is_name

__all__ = [
    "cell_finding",
    "coordinate_columns",
    "coordinate_findings",
    "escaped_findings",
    "header_kinds",
    "json_coordinates",
    "json_strings",
    "key_finding",
    "labelled_findings",
    "merged",
    "table_findings",
]

_CJK = re.compile("[\u4e00-\u9fa5]")
_BY_HEADER = {
    "name": "person_name",
    "recipient_name": "person_name",
    "emergency_contacts": "person_name",
    "common_contacts": "person_name",
    "birth_date": "birth_date",
    **{kind: kind for kind in DEVICE_KINDS},
}
"""Elements a header names (``classify_column``) → the detector kind its cells are read as
(each device identifier's element has the id of its kind)."""
_ROLES = frozenset({
    "contact", "linkman", "emergency", "spouse", "mate", "holder", "cardholder", "account",
    "acct", "cust", "customer", "client", "user", "member", "real", "true", "full", "person",
    "borrower", "applicant", "guarantor", "surety", "payer", "payee", "consignee", "recipient",
    "receiver", "sender", "buyer", "owner", "father", "mother", "parent", "relative", "kin",
    "family", "guardian", "beneficiary", "insured", "driver", "student", "employee", "staff",
    "operator", "handler",
})  # fmt: skip
"""Words before ``Name`` that make the header a person's name (``spouseName``)."""
_ROLE_NOUNS = frozenset({
    "holder", "cardholder", "borrower", "applicant", "guarantor", "surety", "spouse", "payee",
    "payer", "consignee", "recipient", "beneficiary", "insured", "policyholder", "linkman",
    "contact", "guardian", "lxr", "jjlxr", "jkr", "sqr", "dbr", "bzr", "skr", "ckr",
})  # fmt: skip
"""Last words of a header that hold a person's name alone (``cardHolder``, pinyin ``lxr``)."""
_CN_ROLE = re.compile("[\u4e00-\u9fa5]{0,6}(?:人|配偶|户主|父亲|母亲|子女|亲属|客户|用户)")
_CN_NOT_ROLE = frozenset({"个人", "他人", "别人", "本人", "成人", "机器人"})
_CN_TRIM = re.compile(r"[（(][^）)]*[）)]|[0-9一二三四五\s:：_-]+$")


def merged(findings: Sequence[Finding], extra: Sequence[Finding]) -> list[Finding]:
    """``findings`` (in text order, never overlapping, as :func:`detect` gives them) and
    those of ``extra`` that overlap none of them, in text order."""
    if not extra:
        return list(findings)
    starts = [f.start for f in findings]
    kept: list[Finding] = []
    for e in sorted(extra, key=lambda f: f.start):
        i = bisect_right(starts, e.start)  # findings[i - 1] starts at or before e
        before = i > 0 and findings[i - 1].end > e.start
        after = i < len(findings) and findings[i].start < e.end
        if not (before or after or (kept and kept[-1].end > e.start)):
            kept.append(e)
    return sorted([*findings, *kept], key=lambda f: f.start)


def header_kinds(header: Sequence[object], kinds: Collection[str] | None = None) -> dict[int, str]:
    """The columns (by index) whose header names a person's name or date of birth, and
    the detector kind their cells are read as."""
    out: dict[int, str] = {}
    for i, title in enumerate(header):
        text = str(title or "").strip()
        guesses = classify_column(text, text) if 0 < len(text) <= 40 else []
        kind = _BY_HEADER.get(guesses[0].element) if guesses else None
        if kind is None and 0 < len(text) <= 40 and _names_a_person(text):
            kind = "person_name"
        if kind is not None and (kinds is None or kind in kinds):
            out[i] = kind
    return out


def _names_a_person(title: str) -> bool:
    """A header naming a person by a role (``contactName``, ``cardHolder``, ``借款人``)."""
    words = [t for t in tokens(title) if not t.isdigit()]
    if words:
        last = words[-1]
        if last in _ROLE_NOUNS or (len(last) <= 8 and last.endswith("xm")):  # pinyin 姓名
            return True
        return last == "name" and not _ROLES.isdisjoint(words[:-1])
    role = _CN_TRIM.sub("", title).strip()
    return role not in _CN_NOT_ROLE and _CN_ROLE.fullmatch(role) is not None


def cell_finding(kind: str, cell: str, offset: int) -> Finding | None:
    """A finding for ``cell`` (at ``offset``) under a header of ``kind``, if its value is
    one: a name with a known surname, a real date not after today, a device identifier's
    shape (:func:`~yinsi.taxonomy.detectors.devices.device_id_valid`)."""
    value = cell.strip()
    if kind == "person_name":
        found = is_name(value)
    elif kind in DEVICE_KINDS:
        found = device_id_valid(kind, value)
    else:
        m = BARE_DATE.fullmatch(value)
        found = m is not None and date_valid(m)
    if not found:
        return None
    start = offset + cell.index(value)
    return Finding(kind, KINDS[kind], start, start + len(value), 0.8)


_LABELLED = re.compile(
    r"""(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,40})["']?\s*[:=]\s*["']?"""
    r"""(?P<value>[^\s"',;，；:=&}\]]{2,20})(?![^\s"',;，；:=&}\]])(?!\s*[:=])"""
)
"""``key=value``, ``key: value`` and ``"key": "value"`` in logs, JSON and query strings;
every pair of a line (``a=1&b=2``, ``a=1 b=2``, ``a=1, b=2``). A value is read whole and is
no key of its own: in ``verify: name=李娜`` the pair is ``name=李娜``, not ``verify: name``."""


def key_finding(
    key: str,
    value: str,
    offset: int,
    kinds: Collection[str] | None,
    known: dict[str, str | None],
) -> Finding | None:
    """A finding for ``value`` (at ``offset``) when its ``key`` (its last dotted part:
    ``a.b.realName``) names a person's name or date of birth and the value is one;
    ``known`` remembers what each key named."""
    if key not in known:
        known[key] = header_kinds([key.rsplit(".", 1)[-1]], kinds).get(0)
    kind = known[key]
    return None if kind is None else cell_finding(kind, value, offset)


def json_strings(value: object, root: str) -> Iterator[tuple[str, str, str]]:
    """Every string in a parsed JSON value, in order, with its path (``$.users[0].name``)
    and its key (``name``; a list's items have the list's). Walked with a stack, not
    recursion, however deep the value is nested."""
    stack: list[tuple[str, str, object]] = [(root, "", value)]
    while stack:
        where, key, value = stack.pop()
        if isinstance(value, str):
            yield where, key, value
        elif isinstance(value, dict):
            stack += reversed([(f"{where}.{k}", str(k), item) for k, item in value.items()])
        elif isinstance(value, list):
            stack += reversed([(f"{where}[{i}]", key, item) for i, item in enumerate(value)])


def coordinate_columns(header: Sequence[object], kinds: Collection[str] | None) -> list[int]:
    """The columns of a table whose header names a latitude and a longitude (``lat``,
    ``lng``; ``纬度``, ``经度``), latitude first; empty unless it names both."""
    axes: dict[str, int] = {}
    if kinds is None or "gps" in kinds:
        for i, title in enumerate(header):
            named = axis(str(title or "").strip()[:40])
            if named is not None:
                axes.setdefault(named, i)
    return [axes["lat"], axes["lng"]] if len(axes) == 2 else []


def coordinate_findings(cells: Sequence[tuple[str, int]]) -> list[Finding]:
    """Findings for two cells or values, each (text, offset), that a header or a key names
    a latitude and a longitude, if they are a pair in mainland China."""
    values = [(text.strip(), offset + text.find(text.strip())) for text, offset in cells]
    if len(values) != 2 or not pair_valid(values[0][0], values[1][0]):
        return []
    return [Finding("gps", KINDS["gps"], at, at + len(v), 0.9) for v, at in values]


_PAIR_TEXT = re.compile(r"\s*([0-9.]+)\s*[,，;\s]\s*([0-9.]+)\s*")


def _as_text(value: object) -> str:
    """A JSON number or string as text; anything else as nothing."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return ""
    return value.strip() if isinstance(value, str) else repr(value)


def _pair_of(value: object) -> list[str]:
    """The two numbers of a pair held in one value: ``[116.3971, 39.9165]``, ``"116.3971,
    39.9165"`` (not a string the detectors find a pair in alone: it is read as a string)."""
    if isinstance(value, list) and len(value) == 2:
        return [_as_text(item) for item in value]
    m = _PAIR_TEXT.fullmatch(value) if isinstance(value, str) else None
    return list(m.groups()) if m and not detect(m.string, ("gps",)) else []


def json_coordinates(
    value: object, root: str, kinds: Collection[str] | None
) -> Iterator[tuple[str, str, Finding]]:
    """Each GPS coordinate in a parsed JSON value, as text with its path and its finding
    (the whole text): two members of one object named a latitude and a longitude
    (``{"lat": 39.916527, "lng": 116.397128}``, numbers or strings), or both in one value
    under a key naming a place (``"location": [116.397128, 39.916527]``, placed at the
    key). Walked with a stack, not recursion."""
    if kinds is not None and "gps" not in kinds:
        return
    stack: list[tuple[str, str, object]] = [(root, "", value)]
    while stack:
        where, key, value = stack.pop()
        pair = _pair_of(value) if names_a_place(key) else []
        if len(pair) == 2 and pair_valid(pair[0], pair[1]):
            yield _gps(where, ",".join(pair))
        elif isinstance(value, dict):
            axes: dict[str, tuple[str, str]] = {}
            for k, item in value.items():
                named, text = axis(str(k)), _as_text(item)
                if named is not None and text:
                    axes.setdefault(named, (f"{where}.{k}", text))
            if len(axes) == 2 and pair_valid(axes["lat"][1], axes["lng"][1]):
                yield from (_gps(*axes["lat"]), _gps(*axes["lng"]))
            stack += reversed([(f"{where}.{k}", str(k), item) for k, item in value.items()])
        elif isinstance(value, list):
            stack += reversed([(f"{where}[{i}]", key, item) for i, item in enumerate(value)])


def _gps(where: str, text: str) -> tuple[str, str, Finding]:
    return where, text, Finding("gps", KINDS["gps"], 0, len(text), 0.9)


def labelled_findings(text: str, kinds: Collection[str] | None) -> list[Finding]:
    """Findings of the values whose key names a person's name or date of birth."""
    known: dict[str, str | None] = {}
    found: list[Finding] = []
    for m in _LABELLED.finditer(text):
        finding = key_finding(m.group("key"), m.group("value"), m.start("value"), kinds, known)
        if finding is not None:
            found.append(finding)
    return found


_LITERAL = re.compile(r'"(?P<body>(?:[^"\\\n]|\\.)*)(?:"|$)', re.MULTILINE)
"""A JSON string literal, or one cut off at the end of its line."""
_LITERAL_KEY = re.compile(r'"(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,40})"\s*:\s*$')
_ESCAPE = re.compile(r"\\u(?P<hex>[0-9A-Fa-f]{4})|\\(?P<char>.)|(?P<plain>[^\\])", re.DOTALL)
_ESCAPED = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def escaped_findings(text: str, kinds: Collection[str] | None) -> list[Finding]:
    """Findings in the JSON string literals of ``text`` that hold ``\\u`` escapes (text
    that was not read as JSON: a log line's body, a broken line of JSON Lines), by their
    offsets in ``text``: each literal decoded, read by the detectors and by its key
    (``"xm": "\\u5f20\\u4e09"``), each finding placed on the escapes it came from."""
    known: dict[str, str | None] = {}
    found: list[Finding] = []
    for m in _LITERAL.finditer(text):
        if "\\u" not in m.group("body"):
            continue
        value, starts, ends = _unescaped(m.group("body"), m.start("body"))
        key = _LITERAL_KEY.search(text, max(0, m.start() - 48), m.start())
        found += decoded_findings(value, starts, ends, key and key.group("key"), kinds, known)
    return found


def decoded_findings(
    value: str,
    starts: list[int],
    ends: list[int],
    key: str | None,
    kinds: Collection[str] | None,
    known: dict[str, str | None],
) -> list[Finding]:
    """Findings in a value decoded from escapes (``\\u``, ``%XX``), read by the detectors
    or else by its ``key``, each placed on the escapes it came from (``starts[i]`` and
    ``ends[i]``: where decoded character ``i`` starts and ends in the text)."""
    findings = detect(value, kinds)
    if key is not None and not findings:
        by_key = key_finding(key, value, 0, kinds, known)
        findings = [by_key] if by_key is not None else []
    return [
        Finding(f.kind, f.element, starts[f.start], ends[f.end - 1], f.confidence) for f in findings
    ]


def _unescaped(body: str, offset: int) -> tuple[str, list[int], list[int]]:
    """A literal's text decoded, with each character's start and end in the text."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for piece in _ESCAPE.finditer(body):
        if piece.group("hex") is not None:
            chars.append(chr(int(piece.group("hex"), 16)))
        elif piece.group("char") is not None:
            chars.append(_ESCAPED.get(piece.group("char"), piece.group("char")))
        else:
            chars.append(piece.group("plain"))
        starts.append(offset + piece.start())
        ends.append(offset + piece.end())
    return "".join(chars), starts, ends


def table_findings(text: str, delimiter: str, kinds: Collection[str] | None) -> list[Finding]:
    """Findings of a CSV or TSV's cells, by their offsets in ``text``: under a header that
    names what they hold (its first row; a latitude and a longitude, as a pair), and names
    that open a cell (``李雷来电``: a cell starts as a sentence does, which a comma in
    running text does not). A row spread over lines (a quoted line break) is left to the
    scan of the whole text."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for text_line in lines:
        starts.append(starts[-1] + len(text_line))
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return []
    columns, place = header_kinds(header, kinds), coordinate_columns(header, kinds)
    names = kinds is None or "person_name" in kinds
    found: list[Finding] = []
    last = reader.line_num
    try:
        for row in reader:
            line, last, single = reader.line_num - 1, reader.line_num, reader.line_num == last + 1
            raw = lines[line] if single and line < len(lines) else ""
            at = 0
            pair: list[tuple[str, int]] = []
            for i, cell in enumerate(row):
                # the cell's text after the previous cell's (a quoted cell with an escaped ""
                # is not found as read: it is left to the scan of the whole text)
                offset = raw.find(cell, at)
                if offset >= 0:
                    at = offset + len(cell)
                if not raw or offset < 0 or not cell.strip():
                    continue
                base = starts[line] + offset
                if i in place:
                    pair.append((cell, base))
                kind = columns.get(i)
                by_header = cell_finding(kind, cell, base) if kind is not None else None
                if by_header is not None:
                    found.append(by_header)
                elif names and _CJK.search(cell):
                    found += [
                        Finding(f.kind, f.element, base + f.start, base + f.end, f.confidence)
                        for f in detect(cell, ("person_name",))
                    ]
            found += coordinate_findings(pair)
    except csv.Error:
        pass  # a malformed row ends the table: what was read is kept
    return found
