"""``yinsi audit verify``: prove the audit log was not altered (PIPL Art. 54).

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

    from yinsi.security import verify as verify_chain
    from yinsi.storage import SqlUnitOfWork, StorageError, create_engine

    target = db_url(url)
    engine = create_engine(target)
    try:
        with SqlUnitOfWork(engine) as uow:
            entries = list(uow.audit.entries())
            head = uow.audit.head()
    except StorageError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        err.print(f"cannot read {show_url(target)}: {exc.__class__.__name__}: {exc}", markup=False)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    breaks = verify_chain(entries, head)
    for b in breaks:
        out.print(str(b), markup=False)
    if breaks:
        err.print(
            f"audit chain broken: {len(breaks)} break{'s' if len(breaks) != 1 else ''} "
            f"in {len(entries)} entries",
            markup=False,
        )
        raise typer.Exit(1)
    out.print(f"audit chain intact: {len(entries)} entries, head {head.hash[:12]}", markup=False)
