"""Driver errors of a SQL store turned into :class:`ConnectorError` messages that never leak PI.

SQLAlchemy's own message carries the statement and its parameters, which are the
subject's PI; it is never used. Drivers put values in the messages of constraint and
data errors (``Key (phone)=(138…) already exists``, ``Duplicate entry '138…'``), so those
are replaced by what to check; connection, schema and syntax errors name hosts,
tables and columns only, and their first line is kept.
"""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError

from yinsi.rights.ports import ConnectorError

_HINTS: tuple[tuple[type[SQLAlchemyError], str], ...] = (
    (
        IntegrityError,
        "a constraint refused the change: a foreign key still points at the row (erase "
        "the child datasets first), or a unique or NOT NULL column does not accept the "
        "field's erase strategy (use another strategy, or `erase: row`)",
    ),
    (
        DataError,
        "a value does not fit its column (type or length): check that each field's erase "
        "strategy fits its column, e.g. keyed_hash writes 35 characters and generalise "
        "turns an integer age into a text band",
    ),
)


def _orig(exc: SQLAlchemyError) -> BaseException:
    """The driver's exception (whose message has no statement or parameters)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return exc.orig
    return exc


CONFLICT_STATES = frozenset({"40001", "40P01"})
"""PostgreSQL's serialization failure and deadlock: the transaction was rolled back over a
concurrent one (nothing of it kept); running it again may succeed."""
CONFLICT_NUMBERS = frozenset({1213})
"""MariaDB's deadlock (the transaction rolled back), by error number."""


def _retryable(orig: BaseException) -> bool:
    if getattr(orig, "sqlstate", None) in CONFLICT_STATES:
        return True
    return bool(orig.args) and orig.args[0] in CONFLICT_NUMBERS


def _code(orig: BaseException) -> str:
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str):
        return f" [SQLSTATE {sqlstate}]"
    if orig.args and isinstance(orig.args[0], int):
        return f" [error {orig.args[0]}]"
    return ""


def _first_line(orig: BaseException) -> str:
    args = orig.args
    text = args[1] if len(args) >= 2 and isinstance(args[1], str) else str(orig)
    lines = text.strip().splitlines()
    return lines[0].strip() if lines else type(orig).__name__


def driver_message(exc: BaseException) -> str:
    """The first line of the driver's message for ``exc`` (of its own exception for a
    SQLAlchemy error: without the statement and its parameters), else its class name.
    For errors that name tables and columns only (catalogue reads, a condition that does
    not compile); a constraint or data error may quote values (see :func:`statement_error`)."""
    return _first_line(_orig(exc) if isinstance(exc, SQLAlchemyError) else exc)


def connect_error(store: str, shown_url: str, exc: SQLAlchemyError) -> ConnectorError:
    """The store could not be reached (or refused the login)."""
    orig = _orig(exc)
    return ConnectorError(
        store,
        f"cannot connect to {shown_url}: {_first_line(orig)}{_code(orig)}; check that the "
        "database is running and reachable from here and that the store's url (or the "
        "environment variable it names) is right",
    )


def statement_error(store: str, shown_url: str, exc: SQLAlchemyError, doing: str) -> ConnectorError:
    """A statement failed; ``doing`` says what yinsi was doing, on which table and columns."""
    orig = _orig(exc)
    retryable = _retryable(orig)
    for kind, hint in _HINTS:
        if isinstance(exc, kind):
            message = f"{doing} in {shown_url} failed{_code(orig)}: {hint}"
            return ConnectorError(store, message, retryable=retryable)
    return ConnectorError(
        store,
        f"{doing} in {shown_url} failed: {_first_line(orig)}{_code(orig)}; check the data "
        "map against the table (names of table and columns, the `while` conditions of its "
        "holds) and that the database user may read and change it",
        retryable=retryable,
    )
