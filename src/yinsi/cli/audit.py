"""``yinsi audit verify``: prove the audit log was not altered (PIPL Art. 54).

Exit codes: 0 the chain is intact, 1 it is broken (every break is printed, with its seq,
what was expected and what was found) or the database cannot be read. User errors never
print a traceback.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

audit_app = typer.Typer(help="yinsi's hash-chained audit log.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


@audit_app.command("verify")
def verify(
    url: Annotated[
        str | None,
        typer.Option(help="Database URL; default: $YINSI_DATABASE_URL or ./.yinsi/yinsi.db"),
    ] = None,
) -> None:
    """Check every entry of the audit chain; report each edited, deleted or moved one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from yinsi.security import verify as verify_chain
    from yinsi.storage import SqlUnitOfWork, StorageError, create_engine, database_url

    target = url or database_url()
    engine = create_engine(target)
    try:
        with SqlUnitOfWork(engine) as uow:
            entries = list(uow.audit.entries())
            head = uow.audit.head()
    except StorageError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        shown = make_url(target).render_as_string(hide_password=True)
        err.print(f"cannot read {shown}: {exc.__class__.__name__}: {exc}", markup=False)
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
