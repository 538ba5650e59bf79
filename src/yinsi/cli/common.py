"""What every ``yinsi`` command shares: the consoles and the ``--url`` option."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

out = Console(highlight=False, soft_wrap=True, emoji=False)
"""Standard output. ``emoji=False``: ``FILE:100:9`` must never print as an emoji."""
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

DbUrl = Annotated[
    str | None,
    typer.Option(help="Database URL; default: $YINSI_DATABASE_URL or ./.yinsi/yinsi.db"),
]


def db_url(url: str | None) -> str:
    """The URL given on the command line, else the configured one."""
    from yinsi.storage import database_url

    return url or database_url()


def show_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
