"""``yinsi sources``: the register of vetted third-party sources (来源审查记录, X18).

    yinsi sources add APP SOURCE --name 百行征信有限公司 \\
        --legal-ground "个人征信业务经营许可（银征信许字…号）" \\
        --element third_party_query_results --scenario third_party_sources \\
        --authorised-by us --authorisation-ref "consent third_party_data" \\
        --vetted-by 合规部张三 --valid-until 2027-12-31
    yinsi sources list APP
    yinsi sources revoke APP SOURCE --reason "许可证被注销"

Before the app obtains PI from a provider it asks yinsi (``POST /v1/apps/{app}/subjects/
{s}/acquisitions``): a source not registered here, revoked or past ``--valid-until`` is
refused, and so is an element or scenario outside what it was vetted for. Errors print one
line and exit 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from yinsi.cli.common import Actor, DbUrl, error_line, fail, open_services, out

if TYPE_CHECKING:
    from yinsi.lifecycle.sourcing import Source
    from yinsi.services.sourcing import SourcingService

sources_app = typer.Typer(
    help="Vetted third-party sources (X18): add, list, revoke.", no_args_is_help=True
)

AppId = Annotated[str, typer.Argument(metavar="APP", help="The app id.")]
SourceId = Annotated[str, typer.Argument(metavar="SOURCE", help="The source's id.")]
_BY_ZH = {"us": "由我方取得", "provider": "由提供方取得"}


@contextmanager
def _service(url: str | None, actor: str) -> Iterator[SourcingService]:
    from yinsi.consent import UnknownName
    from yinsi.services.errors import StorageError

    known = (UnknownName, StorageError, LookupError, ValueError, OSError)
    with open_services(url, actor=actor, known=known, describe=error_line) as services:
        yield services.sourcing


def _day(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r} is not a date; write it as YYYY-MM-DD")


def _show(source: Source, today: date) -> None:
    standing = source.standing(today)
    state = "有效" if standing is None else {"source_revoked": "已撤销"}.get(standing, "已失效")
    party = f"（声明中的第三方 {source.party}）" if source.party else ""
    out.print(f"{source.source_id}  {source.name}{party}  [{state}]", markup=False)
    out.print(f"  合法性依据：{source.legal_ground}", markup=False)
    out.print(
        f"  可提供：{'、'.join(source.elements)}；场景：{'、'.join(source.scenarios)}", markup=False
    )
    out.print(
        f"  授权：{_BY_ZH[source.authorised_by.value]}（{source.authorisation_ref}）", markup=False
    )
    out.print(
        f"  审查：{source.vetted_by} {source.vetted_on.isoformat()}，"
        f"有效期至 {source.valid_until.isoformat()}",
        markup=False,
    )
    if source.revoked_at is not None:
        out.print(
            f"  撤销：{source.revoked_by} {source.revoked_at.isoformat(timespec='seconds')}"
            f"（{source.revoke_reason}）",
            markup=False,
        )


@sources_app.command()
def add(
    app_id: AppId,
    source_id: SourceId,
    name: Annotated[str, typer.Option(help="The provider's name.")],
    legal_ground: Annotated[
        str,
        typer.Option(help="Why it may hold and provide the PI: licence name and number."),
    ],
    element: Annotated[
        list[str], typer.Option("--element", help="An element it may supply (repeat).")
    ],
    scenario: Annotated[
        list[str], typer.Option("--scenario", help="A scenario it supplies (repeat).")
    ],
    authorisation_ref: Annotated[
        str, typer.Option(help="The authorisation relied on: our consent item or its agreement.")
    ],
    vetted_by: Annotated[str, typer.Option(help="Who vetted the source.")],
    valid_until: Annotated[str, typer.Option(help="The vetting holds until (YYYY-MM-DD).")],
    authorised_by: Annotated[
        str, typer.Option(help="Who obtained the subject's authorisation: us or provider.")
    ] = "us",
    vetted_on: Annotated[
        str | None, typer.Option(help="The day of the vetting (YYYY-MM-DD); default today.")
    ] = None,
    party: Annotated[
        str | None, typer.Option(help="The declaration's recipient id, if the provider is one.")
    ] = None,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Record a vetted source (audited)."""
    from yinsi.lifecycle.sourcing import AuthorisedBy

    if authorised_by not in {a.value for a in AuthorisedBy}:
        fail(f"--authorised-by {authorised_by!r}: write us or provider")
    until = _day("--valid-until", valid_until)
    assert until is not None
    with _service(url, actor) as service:
        source = service.add_source(
            app_id,
            source_id,
            name=name,
            legal_ground=legal_ground,
            elements=element,
            scenarios=scenario,
            authorised_by=AuthorisedBy(authorised_by),
            authorisation_ref=authorisation_ref,
            vetted_by=vetted_by,
            valid_until=until,
            vetted_on=_day("--vetted-on", vetted_on),
            party=party,
        )
        _show(source, service.today())


@sources_app.command(name="list")
def list_(app_id: AppId, url: DbUrl = None, actor: Actor = "cli") -> None:
    """Every vetted source of the app, with its standing today."""
    with _service(url, actor) as service:
        found = service.sources(app_id)
        if not found:
            out.print("尚无经审查登记的数据来源。", markup=False)
        for source in found:
            _show(source, service.today())


@sources_app.command()
def revoke(
    app_id: AppId,
    source_id: SourceId,
    reason: Annotated[str, typer.Option(help="Why the vetting no longer holds.")],
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Revoke a vetting: every later acquisition from the source is refused (audited)."""
    with _service(url, actor) as service:
        _show(service.revoke(app_id, source_id, reason=reason, actor=actor), service.today())
