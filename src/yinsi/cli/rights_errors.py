"""The errors a ``yinsi`` command turns into one message and exit 1 (never a traceback).

First written for ``yinsi rights``; :func:`yinsi.cli.common.open_services` uses them for
every command that opens the services.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from yinsi.cli.common import db_url, show_url
from yinsi.consent import ConsentError, UnknownName
from yinsi.declaration import DeclarationError
from yinsi.rights.calendar import CalendarError
from yinsi.rights.ports import ConnectorError
from yinsi.rights.requests import RequestError
from yinsi.rights.verification import NotOnFile
from yinsi.services.errors import StorageError, StorageNotMigrated
from yinsi.services.jobs import QueueUnavailable, RunBusy

KNOWN: tuple[type[Exception], ...] = (
    RequestError,  # InvalidRequest, InvalidTransition, VerificationFailed
    StorageError,  # RequestNotFound, RequestConflict, StorageNotMigrated, …
    ConsentError,  # UnknownName: the data map's app is not published
    DeclarationError,  # the data map does not fit the declaration
    ConnectorError,  # a store of the app cannot be reached
    CalendarError,  # a bad holiday override file
    SQLAlchemyError,  # yinsi's database cannot be reached
    ValueError,  # e.g. YINSI_ERASURE_KEY is not base64
    OSError,  # e.g. the export folder cannot be written
    RunBusy,  # another run holds the request (issue 16)
    QueueUnavailable,  # the broker did not take the job
)


def describe(exc: Exception, *, data_map: Path | None, url: str | None) -> str:
    """What went wrong and what to do, for the terminal."""
    where = f"{data_map}: " if data_map is not None else ""
    if isinstance(exc, DeclarationError):
        errors = [str(p) for p in exc.problems if p.severity == "error"]
        return "\n".join([*errors, f"{where}{len(errors)} error(s) in the data map"])
    if isinstance(exc, UnknownName) and exc.kind == "app":
        return (
            f"{where}app {exc.name!r} is not published in {show_url(db_url(url))}; "
            "publish its declaration first: yinsi publish DECLARATION.yaml"
        )
    if isinstance(exc, NotOnFile):  # the user's message, then why (for the engineer)
        return f"{exc}\n{where}{exc.detail}"
    if isinstance(exc, StorageNotMigrated):
        return f"{show_url(db_url(url))}: {exc}"
    if isinstance(exc, SQLAlchemyError):
        # the first line only: later lines carry the SQL and its parameters (PI)
        first = str(exc).splitlines()[0] if str(exc) else ""
        return f"cannot use {show_url(db_url(url))}: {exc.__class__.__name__}: {first}"
    return str(exc)
