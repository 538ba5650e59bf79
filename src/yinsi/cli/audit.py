"""``yinsi audit``: prove the audit log was not altered (PIPL Art. 54).

- ``verify [--anchor FILE]``: check the hash chain (:meth:`AuditService.verify`) and,
  with FILE, that every signed anchor in it still matches the log: entries deleted at the
  end, a rewritten head (even with a recomputed chain) and a truncated table are found.
- ``anchor``: sign the chain's head with the anchor key and append it to the anchor file
  and/or POST it to the webhook (``YINSI_AUDIT__…``); run it from cron or a systemd timer.
- ``anchor-key``: make the Ed25519 signing key (0600) and its public key.

Exit codes: 0 intact / done, 1 broken, contradicted by an anchor, or a user error (every
break and anchor problem is printed; never a traceback).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from yinsi.cli.common import (
    DbUrl,
    SettingsFile,
    db_url,
    err,
    fail,
    first_line,
    out,
    show_url,
)

if TYPE_CHECKING:
    from yinsi.services.audit import AuditVerification
    from yinsi.services.root import Services

T = TypeVar("T")

audit_app = typer.Typer(help="yinsi's hash-chained audit log.", no_args_is_help=True)


def _open(url: str | None, settings_file: Path | None) -> Services:
    from yinsi.services.root import Services
    from yinsi.settings import SettingsError, load_settings

    try:
        settings = load_settings(settings_file)
    except SettingsError as exc:
        fail(str(exc))
    return Services.open(url, actor="cli", settings=settings)


def _guarded(url: str | None, settings_file: Path | None, action: Callable[[Services], T]) -> T:
    """Open the services and run ``action`` on ``services.audit``; known errors: exit 1."""
    from sqlalchemy.exc import SQLAlchemyError

    from yinsi.services.audit import AnchorError
    from yinsi.services.errors import StorageError

    target = db_url(url)
    try:
        with _open(target, settings_file) as services:
            return action(services)
    except (StorageError, AnchorError) as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        name = exc.__class__.__name__
        fail(f"cannot read {show_url(target)}: {name}: {first_line(exc)}")


@audit_app.command("verify")
def verify(
    url: DbUrl = None,
    anchor: Annotated[
        Path | None,
        typer.Option(
            "--anchor",
            help="Also check every signed anchor in this JSON Lines file.",
            show_default=False,
        ),
    ] = None,
    settings_file: SettingsFile = None,
) -> None:
    """Check every entry of the audit chain; report each edited, deleted or moved one."""
    checked = _guarded(url, settings_file, lambda s: s.audit.verify(anchor_file=anchor))
    _report(checked)


def _report(checked: AuditVerification) -> None:
    for b in checked.breaks:
        out.print(str(b), markup=False)
    report = checked.anchors
    for problem in report.problems if report else ():
        out.print(str(problem), markup=False)
    if checked.breaks:
        count = len(checked.breaks)
        err.print(
            f"audit chain broken: {count} break{'s' if count != 1 else ''} "
            f"in {checked.entries} entries",
            markup=False,
        )
    if report is not None and report.problems:
        err.print(
            f"audit log contradicts its anchors: {len(report.problems)} problem(s) "
            f"with {report.anchors} anchor(s) in {report.file}",
            markup=False,
        )
    if not checked.intact:
        raise typer.Exit(1)
    head = checked.head.hash[:12]
    anchored = f", consistent with {report.anchors} anchor(s)" if report else ""
    out.print(f"audit chain intact: {checked.entries} entries, head {head}{anchored}", markup=False)
    if checked.empty:
        out.print(
            "the audit log is empty: nothing recorded yet (a new database), or every entry "
            "was removed (only `yinsi audit verify --anchor FILE` can tell)",
            markup=False,
        )


@audit_app.command("anchor")
def anchor(url: DbUrl = None, settings_file: SettingsFile = None) -> None:
    """Sign the chain's head and append it to the anchor file (and POST it to the webhook)."""
    made, file = _guarded(
        url, settings_file, lambda s: (s.audit.anchor(), s.audit.anchor_files.anchors)
    )
    out.print(
        f"anchored seq {made.seq} ({made.entries} entries, head {made.hash[:12]}) "
        f"at {made.at} in {file}",
        markup=False,
    )


@audit_app.command("anchor-key")
def anchor_key(
    url: DbUrl = None,
    settings_file: SettingsFile = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace an existing key (keep its .pub).")
    ] = False,
) -> None:
    """Make the Ed25519 key that signs anchors (mode 0600) and its public key (.pub)."""
    made, files = _guarded(
        url,
        settings_file,
        lambda s: (s.audit.create_anchor_key(replace=replace), s.audit.anchor_files),
    )
    out.print(f"anchor key {made} written to {files.key} (0600), public key {files.public}")
    out.print("keep the key off the database host's backups; give the .pub to your auditors")
