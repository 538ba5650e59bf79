"""What every ``yinsi`` command shares: the consoles, the common options, and
:func:`open_services`, the one way a command reaches the services.

Importing this module loads Typer and Rich only: the services and their adapters are
imported when a command runs (``yinsi --help`` stays fast).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from yinsi.declaration.yaml_limits import YamlLimits
    from yinsi.services.root import Services

out = Console(highlight=False, soft_wrap=True, emoji=False)
"""Standard output. ``emoji=False``: ``FILE:100:9`` must never print as an emoji."""
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

DbUrl = Annotated[
    str | None,
    typer.Option(help="Database URL; default: $YINSI_DATABASE_URL or ./.yinsi/yinsi.db"),
]
MapFile = Annotated[
    Path | None,
    typer.Option(
        "--map",
        envvar="YINSI_DATA_MAP",
        help="The app's data map (YAML); default: $YINSI_DATA_MAP.",
        show_default=False,
    ),
]
Actor = Annotated[str, typer.Option(help="Who the audit log names for this action.")]
SettingsFile = Annotated[
    Path | None,
    typer.Option(
        "--settings",
        envvar="YINSI_SETTINGS_FILE",
        help="Settings file (TOML or YAML, see docs/operations.md); default: $YINSI_SETTINGS_FILE.",
        show_default=False,
    ),
]

NO_DATA_MAP = "no data map: pass --map FILE or set YINSI_DATA_MAP"
DELIVERY_OUTCOME_ZH = {"delivered": "已送达", "failed": "失败", "no_channel": "无可用渠道"}
"""A delivery record's outcome as the commands print it (incident and service-end notices)."""


def fail(message: str) -> NoReturn:
    """Print ``message`` (red on a terminal) and exit 1: a user error, never a traceback."""
    err.print(message, style="red", markup=False)
    raise typer.Exit(1)


def first_line(exc: Exception) -> str:
    """The first line of an error (later lines of a database error carry the SQL and its
    parameters: PI), else its class name."""
    text = str(exc)
    return text.splitlines()[0] if text else exc.__class__.__name__


def db_url(url: str | None) -> str:
    """The URL given on the command line, else the configured one."""
    from yinsi.services.database import database_url

    return url or database_url()


def show_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def yaml_limits() -> YamlLimits:
    """The limits YAML files are read with, from the settings (``YINSI_INPUTS__YAML_…``,
    ``YINSI_SETTINGS_FILE``); bad settings print what is wrong and exit 1."""
    from yinsi.declaration.yaml_limits import YamlLimits
    from yinsi.settings import SettingsError, load_settings

    try:
        return YamlLimits.of(load_settings().inputs)
    except SettingsError as exc:
        fail(str(exc))


@contextmanager
def open_services(
    url: str | None,
    *,
    actor: str,
    data_map: Path | None = None,
    needs_map: bool = False,
    known: tuple[type[Exception], ...] | None = None,
    describe: Callable[[Exception], str] | None = None,
) -> Iterator[Services]:
    """The composition root on yinsi's database (``url``) and, with ``data_map``, the
    app's stores; closed on leaving.

    Every ``known`` error (default: :data:`yinsi.cli.rights_errors.KNOWN`), raised while
    opening or inside the block, becomes one line (``describe``; default:
    :func:`yinsi.cli.rights_errors.describe`) and exit 1. With ``needs_map`` and no
    ``data_map``, says how to give one and exits 1.
    """
    from yinsi.cli import rights_errors
    from yinsi.services.root import Services

    if needs_map and data_map is None:
        fail(NO_DATA_MAP)
    expected = rights_errors.KNOWN if known is None else known

    def message(exc: Exception) -> str:
        if describe is not None:
            return describe(exc)
        return rights_errors.describe(exc, data_map=data_map, url=url)

    try:
        services = Services.open(url, data_map=data_map, actor=actor)
    except expected as exc:
        fail(message(exc))
    try:
        yield services
    except expected as exc:
        fail(message(exc))
    finally:
        services.close()


def error_line(exc: Exception) -> str:
    """``error: `` and the first line of ``exc`` (:func:`first_line`: no SQL, no values)."""
    return f"error: {first_line(exc)}"


@contextmanager
def open_app_services(
    data_map: Path | None, url: str | None, actor: str, *also: type[Exception]
) -> Iterator[Services]:
    """:func:`open_services` on the app's data map (required) for a command whose known
    errors are the ones of reading the map and its stores (declaration, consent name,
    connector, storage, ``OSError``, ``ValueError``) and ``also`` its own: each prints as
    :func:`error_line` and exits 1."""
    from yinsi.consent import UnknownName
    from yinsi.declaration import DeclarationError
    from yinsi.rights.ports import ConnectorError
    from yinsi.services.errors import StorageError

    known = (
        DeclarationError,
        UnknownName,
        ConnectorError,
        StorageError,
        OSError,
        ValueError,
        *also,
    )
    with open_services(
        url, actor=actor, data_map=data_map, needs_map=True, known=known, describe=error_line
    ) as services:
        yield services
