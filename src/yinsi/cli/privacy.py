"""``yinsi privacy link APP SUBJECT``: a link that opens the privacy center as SUBJECT.

For support staff and testing; apps ask the service (``POST /v1/apps/{app}/subjects/
{subject}/privacy-link``). The link is signed with the same secret ``yinsi serve`` uses
(``YINSI_WEB_SECRET``, else ``$YINSI_HOME/web-secret``) and is valid for ten minutes;
issuing it is audited (:class:`~yinsi.services.privacy_links.PrivacyLinkService`).
Exit 1 on a user error (unknown app, unusable secret), never with a traceback.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from yinsi.cli.common import DbUrl, db_url, err, first_line, show_url

privacy_app = typer.Typer(
    help="The privacy center (/privacy) of yinsi serve.", no_args_is_help=True
)


@privacy_app.callback()
def _group() -> None:
    """The privacy center (/privacy) of yinsi serve."""


@privacy_app.command("link")
def link(
    app_id: Annotated[str, typer.Argument(metavar="APP", help="The app id of the declaration.")],
    subject: Annotated[str, typer.Argument(help="The subject's user id.")],
    base_url: Annotated[
        str, typer.Option(help="Where users reach yinsi serve, e.g. https://privacy.example.com.")
    ] = "http://127.0.0.1:8000",
    url: DbUrl = None,
) -> None:
    """Print a signed link (valid ten minutes) opening the privacy center as SUBJECT of APP."""
    from sqlalchemy.exc import SQLAlchemyError

    from yinsi.consent import UnknownName
    from yinsi.services.errors import StorageError
    from yinsi.services.root import Services
    from yinsi.web.secret import WebSecretError, load_secret

    where = show_url(db_url(url))
    try:
        secret = load_secret(os.environ)
        with Services.open(url, actor="cli") as services:
            link = services.privacy_links.issue(app_id, subject, secret=secret, base_url=base_url)
    except WebSecretError as exc:
        err.print(f"yinsi privacy link: {exc}", markup=False)
        raise typer.Exit(1) from None
    except UnknownName as exc:
        err.print(
            f"{where}: 应用 {exc.name!r} 尚未发布；请先发布其声明：yinsi publish DECLARATION.yaml",
            markup=False,
        )
        raise typer.Exit(1) from None
    except (StorageError, SQLAlchemyError) as exc:
        err.print(f"{where}: {first_line(exc)}", markup=False)
        raise typer.Exit(1) from None
    typer.echo(link.url)
