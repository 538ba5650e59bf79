"""Text from the port (keys, match values, corrections) as the Python type of a column.

The port speaks text: a record's key is ``str(primary key)``, a subject's identities are
strings. Binding ``'42'`` to an integer column works on SQLite and MariaDB but not on
PostgreSQL, so values are converted to the column's type before they are bound.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import Column

_PARSERS: dict[type, Callable[[str], object]] = {
    int: int,
    float: float,
    Decimal: Decimal,
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
    uuid.UUID: uuid.UUID,
}


class NotOfType(ValueError):
    """The text is not a value of the column's type."""

    def __init__(self, column: str, kind: str) -> None:
        super().__init__(f"the value is not a valid {kind} for column {column!r}")


def python_type(column: Column[object]) -> type | None:
    try:
        kind: type = column.type.python_type
    except NotImplementedError:
        return None
    return kind


def coerce(column: Column[object], text: str) -> object:
    """``text`` as a value of ``column``; raises :class:`NotOfType`."""
    kind = python_type(column)
    parse = _PARSERS.get(kind) if kind is not None else None
    if parse is None:
        return text
    try:
        return parse(text.strip())
    except (ValueError, InvalidOperation):
        raise NotOfType(column.name, kind.__name__ if kind else "value") from None


def coerce_all(column: Column[object], texts: Iterable[str]) -> list[object]:
    """The texts that are values of ``column``, converted, in order, without repeats.

    A text of the wrong type cannot match any row, so it is dropped rather than refused.
    """
    seen: set[object] = set()
    out: list[object] = []
    for text in texts:
        try:
            value = coerce(column, text)
        except NotOfType:
            continue
        if value not in seen:
            seen.add(value)
            out.append(value)
    return out


def as_date(value: object) -> date | None:
    """A hold's ``since`` value as a date; raises ``ValueError`` for anything else."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        return datetime.fromisoformat(text).date() if len(text) > 10 else date.fromisoformat(text)
    raise ValueError(f"a {type(value).__name__} is not a date")
