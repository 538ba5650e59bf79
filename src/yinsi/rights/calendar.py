"""Chinese working days: chinese_calendar, then an override file, then plain weekdays.

Whether a date is a working day (工作日) is answered, first match wins, by:

1. the override file's entry for that exact date (``holidays`` or ``workdays``): a
   correction of the library, or a year it does not know yet;
2. ``chinese_calendar`` for the years its data covers (1.11: 2004-2026), which holds the
   State Council's statutory holidays and adjusted working weekends (调休上班);
3. a year the override file declares, on a date it does not list: Monday-Friday work, the
   weekend does not (the notice lists every exception);
4. any other year: Monday-Friday work — **not authoritative**. A due date counted through
   such a year is provisional (:mod:`yinsi.rights.deadlines`).

The override file is YAML, one key per year of the State Council notice
(国务院办公厅关于××年部分节假日安排的通知)::

    2027:
      source: 国办发明电〔2026〕X号
      holidays: [2027-01-01, ...]     # days off, weekends inside a holiday included
      workdays: [2027-02-07, ...]     # adjusted working weekends (调休上班)

A date stays under the key of the year it falls in, even when another year's notice sets
it (the 2012 notice made 2011-12-31 a working day: it goes under ``2011:``). An entry for
a year chinese_calendar knows takes precedence over the library, date by date.

:meth:`WorkingCalendar.default` reads the packaged ``yinsi/rights/data/holidays.yaml``,
then the file named by the ``YINSI_HOLIDAYS_FILE`` environment variable if it is set; a
year in the later file replaces the same year of the earlier one.

Errors::

    CalendarError
    └── HolidayFileError     an override file that cannot be used; carries every Problem
                             (FILE:LINE:COL: path: message), also a ValueError
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import chinese_calendar  # type: ignore[import-untyped]  # 1.11 ships no py.typed marker
import yaml

from yinsi.declaration.errors import Problem
from yinsi.declaration.loader import read_text

ENV_VAR = "YINSI_HOLIDAYS_FILE"
"""Names a further override file, read after the packaged one."""

LIBRARY_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
"""The years chinese_calendar has the State Council's schedule for."""

LIBRARY_SOURCE = f"chinese_calendar {chinese_calendar.__version__}"

_KEYS = ("source", "holidays", "workdays")
_YEAR = re.compile(r"\d{4}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class CalendarError(Exception):
    """Base of the working-calendar errors."""


class HolidayFileError(CalendarError, ValueError):
    """An override file has errors; ``problems`` lists all of them, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems) or "invalid holiday file")


@dataclass(frozen=True, slots=True)
class HolidayYear:
    """One year's schedule from the State Council notice, as an override file states it."""

    year: int
    source: str
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    origin: str = ""
    """``FILE:LINE`` of the year's key, shown when the calendar names its sources."""


def require_date(value: object, name: str) -> dt.date:
    """``value`` if it is a plain date; a datetime is refused (which day depends on the zone)."""
    if isinstance(value, dt.datetime):
        raise TypeError(
            f"{name} is a datetime ({value.isoformat()}); pass the date in China Standard Time,"
            " e.g. datetime.now(ZoneInfo('Asia/Shanghai')).date()"
        )
    if not isinstance(value, dt.date):
        raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__}")
    return value


class WorkingCalendar:
    """Knows, for every date, whether it is a working day and whether that is authoritative.

    Immutable once built; answers are cached, so build one and keep it.
    """

    __slots__ = ("_cache", "_days", "_years")

    def __init__(self, overrides: Iterable[HolidayYear] = ()) -> None:
        years: dict[int, HolidayYear] = {}
        for entry in overrides:
            years[entry.year] = entry  # a later year replaces an earlier one
        days: dict[dt.date, bool] = {}
        for entry in years.values():
            days.update(dict.fromkeys(entry.holidays, False))
            days.update(dict.fromkeys(entry.workdays, True))
        self._years: Mapping[int, HolidayYear] = MappingProxyType(years)
        self._days = days
        self._cache: dict[dt.date, bool] = {}

    @classmethod
    def from_files(cls, *paths: str | os.PathLike[str]) -> WorkingCalendar:
        """A calendar with the override files ``paths`` (later files win, year by year)."""
        return cls(load_overrides(*paths))

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None) -> WorkingCalendar:
        """The packaged override file, then ``$YINSI_HOLIDAYS_FILE`` if set."""
        env = os.environ if environ is None else environ
        packaged = resources.files("yinsi.rights") / "data" / "holidays.yaml"
        years = list(parse_overrides(packaged.read_text(encoding="utf-8"), str(packaged)))
        extra = env.get(ENV_VAR, "").strip()
        if extra:
            years.extend(load_overrides(extra))
        return cls(years)

    @property
    def overrides(self) -> Mapping[int, HolidayYear]:
        """The override years, by year."""
        return self._years

    @property
    def authoritative_years(self) -> tuple[int, ...]:
        """Every year whose working days come from an official schedule, ascending."""
        return tuple(sorted(set(LIBRARY_YEARS) | set(self._years)))

    def is_authoritative(self, year: int) -> bool:
        """Whether ``year``'s working days are known, not assumed to be Monday-Friday."""
        return year in self._years or year in LIBRARY_YEARS

    def source(self, year: int) -> str | None:
        """Where ``year``'s schedule comes from; ``None`` when it is assumed."""
        if year in self._years:
            entry = self._years[year]
            origin = f" ({entry.origin})" if entry.origin else ""
            base = f"; otherwise {LIBRARY_SOURCE}" if year in LIBRARY_YEARS else ""
            return f"{entry.source}{origin}{base}"
        return LIBRARY_SOURCE if year in LIBRARY_YEARS else None

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day; see :meth:`is_authoritative` for its year."""
        cached = self._cache.get(day)
        if cached is None:
            cached = self._cache[day] = self._answer(require_date(day, "day"))
        return cached

    def _answer(self, day: dt.date) -> bool:
        if day in self._days:
            return self._days[day]
        if day.year in LIBRARY_YEARS:
            try:
                return bool(chinese_calendar.is_workday(day))
            except NotImplementedError:  # pragma: no cover - LIBRARY_YEARS is its own range
                pass
        return day.weekday() < 5


# ------------------------------------------------------------------ the override file


def load_overrides(*paths: str | os.PathLike[str]) -> tuple[HolidayYear, ...]:
    """Read override files; raise :class:`HolidayFileError` with every problem of all of them."""
    years: list[HolidayYear] = []
    problems: list[Problem] = []
    for path in paths:
        name = str(Path(path))
        text, unreadable = read_text(Path(path))
        if text is None:
            problems.extend(
                Problem(p.file, p.line, p.column, p.path, f"holiday file: {p.message}")
                for p in unreadable
            )
            continue
        try:
            years.extend(parse_overrides(text, name))
        except HolidayFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise HolidayFileError(problems)
    return tuple(years)


def parse_overrides(text: str, filename: str = "<string>") -> tuple[HolidayYear, ...]:
    """Parse override YAML; raise :class:`HolidayFileError` naming file, line and entry."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        detail = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise HolidayFileError(
            [Problem(filename, line, col, (), f"YAML syntax error: {detail}")]
        ) from None
    except yaml.YAMLError as exc:
        raise HolidayFileError([Problem(filename, 1, 1, (), f"YAML error: {exc}")]) from None
    parser = _Parser(filename)
    years = parser.document(root)
    if parser.problems:
        raise HolidayFileError(sorted(parser.problems, key=lambda p: (p.line, p.column)))
    return years


class _Parser:
    """Walks the composed node tree, so every finding keeps its line."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []

    def fail(self, node: yaml.Node, path: tuple[str | int, ...], message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.filename, mark.line + 1, mark.column + 1, path, message))

    def document(self, root: yaml.Node | None) -> tuple[HolidayYear, ...]:
        if root is None or _is_null(root):
            return ()  # only comments: the packaged template
        if not isinstance(root, yaml.MappingNode):
            self.fail(root, (), "a holiday file is a mapping of years, e.g. `2027:` at the top")
            return ()
        years: list[HolidayYear] = []
        seen: dict[int, int] = {}
        for key, value in root.value:
            if not (isinstance(key, yaml.ScalarNode) and _YEAR.fullmatch(key.value)):
                self.fail(key, (), f"{_shown(key)} is not a year; write four digits, e.g. `2027:`")
                continue
            year = int(key.value)
            if year in seen:
                self.fail(
                    key,
                    (key.value,),
                    f"year {year} appears twice (first on line {seen[year]});"
                    " merge the two entries",
                )
                continue
            seen[year] = key.start_mark.line + 1
            entry = self.year(year, key, value)
            if entry is not None:
                years.append(entry)
        return tuple(years)

    def year(self, year: int, key: yaml.Node, node: yaml.Node) -> HolidayYear | None:
        path = (str(year),)
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, path, "a year is a mapping with `source`, `holidays` and `workdays`")
            return None
        fields: dict[str, yaml.Node] = {}
        for field, value in node.value:
            name = field.value if isinstance(field, yaml.ScalarNode) else _shown(field)
            if name not in _KEYS:
                self.fail(field, path, f"unknown key {name!r}; expected one of {', '.join(_KEYS)}")
            elif name in fields:
                self.fail(field, (*path, name), f"{name!r} appears twice under {year}")
            else:
                fields[name] = value
        source = self.source(year, key, fields.get("source"))
        before = len(self.problems)
        holidays = self.dates(year, "holidays", fields.get("holidays"))
        workdays = self.dates(year, "workdays", fields.get("workdays"))
        if not holidays and not workdays and len(self.problems) == before:
            self.fail(key, path, f"year {year} lists neither holidays nor workdays")
        for day in sorted(holidays.keys() & workdays.keys()):
            self.fail(
                workdays[day],
                (*path, "workdays"),
                f"{day} is both a holiday (line"
                f" {holidays[day].start_mark.line + 1}) and a workday; keep the one the notice"
                " states",
            )
        if source is None:
            return None
        return HolidayYear(
            year,
            source,
            frozenset(holidays),
            frozenset(workdays),
            f"{self.filename}:{key.start_mark.line + 1}",
        )

    def source(self, year: int, key: yaml.Node, node: yaml.Node | None) -> str | None:
        if node is None or not isinstance(node, yaml.ScalarNode) or not node.value.strip():
            self.fail(
                node or key,
                (str(year), "source"),
                f"year {year} needs a `source`: the State"
                " Council notice it copies (e.g. 国办发明电〔2026〕X号), so it can be checked",
            )
            return None
        return str(node.value).strip()

    def dates(self, year: int, field: str, node: yaml.Node | None) -> dict[dt.date, yaml.Node]:
        if node is None or _is_null(node):
            return {}
        path = (str(year), field)
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, path, f"`{field}` is a list of dates, e.g. [{year}-01-01]")
            return {}
        found: dict[dt.date, yaml.Node] = {}
        for index, item in enumerate(node.value):
            day = self.date(item, (*path, index))
            if day is None:
                continue
            if day.year != year:
                self.fail(
                    item,
                    (*path, index),
                    f"{day} is listed under {year}; put it under"
                    f" `{day.year}:` (a date stays under the year it falls in)",
                )
            elif day in found:
                self.fail(
                    item,
                    (*path, index),
                    f"{day} is listed twice in `{field}` (first on line"
                    f" {found[day].start_mark.line + 1})",
                )
            else:
                found[day] = item
        return found

    def date(self, node: yaml.Node, path: tuple[str | int, ...]) -> dt.date | None:
        if not (isinstance(node, yaml.ScalarNode) and _ISO_DATE.fullmatch(node.value)):
            self.fail(node, path, f"{_shown(node)} is not a date; write YYYY-MM-DD")
            return None
        try:
            return dt.date.fromisoformat(node.value)
        except ValueError as exc:
            self.fail(node, path, f"{node.value} is not a calendar date ({exc})")
            return None


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _shown(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return repr(node.value)
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
