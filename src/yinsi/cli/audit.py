"""``yinsi audit verify``: prove the audit log was not altered (PIPL Art. 54).

The check is :meth:`yinsi.services.audit.AuditService.verify` (``services.audit``).

Exit codes: 0 the chain is intact, 1 it is broken (every break is printed, with its seq,
what was expected and what was found) or the database cannot be read. User errors never
print a traceback.
"""

from __future__ import annotations

import typer

from yinsi.cli.common import DbUrl, db_url, err, out, show_url

audit_app = typer.Typer(help="yinsi's hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify(
    url: DbUrl = None,
) -> None:
    """Check every entry of the audit chain; report each edited, deleted or moved one."""
    from sqlalchemy.exc import SQLAlchemyError

    from yinsi.services.errors import StorageError
    from yinsi.services.root import Services

    target = db_url(url)
    try:
        with Services.open(target, actor="cli") as services:
            checked = services.audit.verify()
    except StorageError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        err.print(f"cannot read {show_url(target)}: {exc.__class__.__name__}: {exc}", markup=False)
        raise typer.Exit(1) from None
    for b in checked.breaks:
        out.print(str(b), markup=False)
    if checked.breaks:
        count = len(checked.breaks)
        err.print(
            f"audit chain broken: {count} break{'s' if count != 1 else ''} "
            f"in {checked.entries} entries",
            markup=False,
        )
        raise typer.Exit(1)
    head = checked.head.hash[:12]
    out.print(f"audit chain intact: {checked.entries} entries, head {head}", markup=False)
