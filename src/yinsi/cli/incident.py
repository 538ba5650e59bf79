"""``yinsi incident``: record a security incident, notify, close (PIPL Art. 57; X26).

Each command opens the :class:`~yinsi.services.incidents.IncidentService` of the app a
data map describes (``--map`` or ``$YINSI_DATA_MAP``) on yinsi's database (``--url``).
Errors print one line and exit 1, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from yinsi.cli.common import DELIVERY_OUTCOME_ZH, Actor, DbUrl, MapFile, err, open_app_services, out

if TYPE_CHECKING:
    from collections.abc import Sequence

    from yinsi.lifecycle.incidents import Incident
    from yinsi.services.delivery import DeliveryRecord
    from yinsi.services.incidents import IncidentService

incident_app = typer.Typer(
    help="Security incidents: open, notify users and the regulator, close.",
    no_args_is_help=True,
)

IncidentId = Annotated[str, typer.Argument(metavar="ID", help="The incident id (inc_…).")]
_STATUS_ZH = {"open": "处置中", "notified": "已告知", "closed": "已结束"}
_CHANNEL_ZH = {"sms": "短信", "email": "邮件", "push": "推送"}


@contextmanager
def _service(data_map: Path | None, url: str | None, actor: str) -> Iterator[IncidentService]:
    """The incident service of the data map's app; a known error prints ``error: …``."""
    from yinsi.lifecycle.incidents import InvalidIncident

    with open_app_services(data_map, url, actor, InvalidIncident) as services:
        yield services.incidents


def _time(text: str, what: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        err.print(f"{what} {text!r} is not a time; write it as 2025-03-01T09:30+08:00")
        raise typer.Exit(1) from None
    if at.utcoffset() is None:
        err.print(f"{what} {text!r} has no timezone; add +08:00 (Beijing time)")
        raise typer.Exit(1)
    return at


def _show(incident: Incident, subjects: int | None = None) -> None:
    out.print(f"{incident.id}  {_STATUS_ZH[incident.status.value]}  {incident.title}", markup=False)
    out.print(f"  数据集：{'、'.join(incident.datasets) or '—'}", markup=False)
    out.print(f"  个人信息：{'、'.join(incident.elements) or '—'}", markup=False)
    affected = "未计算" if incident.affected_count is None else f"{incident.affected_count} 人"
    out.print(f"  受影响用户：{affected}", markup=False)
    if incident.unlinked_records:
        out.print(f"  无法对应用户的记录：{incident.unlinked_records} 条", markup=False)
    for n in incident.notifications:
        count = f"，{n.count} 人" if n.count else ""
        out.print(f"  已告知 {n.audience}（{n.channel}{count}）{n.at.isoformat()}", markup=False)


def _deliveries(records: Sequence[DeliveryRecord]) -> None:
    """Each delivery: when, channel, purpose, to whom (masked), outcome, tries, why."""
    if not records:
        return
    outcomes = {o: sum(r.outcome == o for r in records) for o in DELIVERY_OUTCOME_ZH}
    summary = "，".join(f"{DELIVERY_OUTCOME_ZH[o]} {n}" for o, n in outcomes.items() if n)
    out.print(f"  发送记录（{len(records)} 条：{summary}）：", markup=False)
    for r in records:
        why = f"  {r.error}" if r.error else ""
        provider = f"  [{r.provider_id}]" if r.provider_id else ""
        out.print(
            f"    {r.finished_at.isoformat(timespec='seconds')}  {_CHANNEL_ZH[r.channel]}"
            f"  {r.purpose}  {r.address}  {DELIVERY_OUTCOME_ZH[r.outcome]}（{r.attempts} 次）"
            f"{provider}{why}",
            markup=False,
        )


@incident_app.command("open")
def open_(
    title: Annotated[str, typer.Option(help="A short title, in Chinese.")],
    what: Annotated[str, typer.Option(help="What happened and why (Art. 57 (1)).")],
    occurred: Annotated[str, typer.Option(help="When it happened, ISO time with zone.")],
    dataset: Annotated[list[str], typer.Option(help="An affected dataset of the data map.")],
    discovered: Annotated[str | None, typer.Option(help="When found; default: now.")] = None,
    harm: Annotated[str, typer.Option(help="Possible harm.")] = "",
    measures: Annotated[str, typer.Option(help="Remedial measures taken.")] = "",
    advice: Annotated[str, typer.Option(help="What users can do to reduce the harm.")] = "",
    incident_id: Annotated[str | None, typer.Option("--id", help="Default: inc_<hex>.")] = None,
    data_map: MapFile = None,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Record an incident and compute its affected subjects from the data map."""
    from datetime import UTC

    occurred_at = _time(occurred, "--occurred")
    discovered_at = _time(discovered, "--discovered") if discovered else datetime.now(UTC)
    with _service(data_map, url, actor) as service:
        incident = service.open(
            title=title,
            what_happened=what,
            occurred_at=occurred_at,
            discovered_at=discovered_at,
            datasets=dataset,
            possible_harm=harm,
            measures=measures,
            user_advice=advice,
            incident_id=incident_id,
        )
        _show(incident)


@incident_app.command()
def notify(
    incident_id: IncidentId,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the notice and report.")],
    fmt: Annotated[str, typer.Option("--format", help="md or html.")] = "md",
    data_map: MapFile = None,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Send the notice to the affected users and the report to the regulator (each
    delivery recorded), write both files; see docs/operations.md for the channels."""
    if fmt not in ("md", "html"):
        err.print(f"--format {fmt!r}: choose md or html", markup=False)
        raise typer.Exit(1)
    with _service(data_map, url, actor) as service:
        incident, files = service.notify(incident_id, out_dir, fmt=fmt)
        _show(incident)
        _deliveries(service.deliveries(incident.id))
        for path in files:
            out.print(f"wrote {path}", markup=False)


@incident_app.command()
def close(
    incident_id: IncidentId,
    note: Annotated[str, typer.Option(help="How the incident was resolved.")] = "",
    data_map: MapFile = None,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Close a notified incident."""
    with _service(data_map, url, actor) as service:
        _show(service.close_incident(incident_id, note))


@incident_app.command()
def show(
    incident_id: Annotated[str | None, typer.Argument(metavar="[ID]")] = None,
    data_map: MapFile = None,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Show one incident with what was sent to whom (masked), or list the app's incidents."""
    with _service(data_map, url, actor) as service:
        if incident_id is None:
            for incident in service.list():
                _show(incident)
        else:
            _show(service.get(incident_id))
            _deliveries(service.deliveries(incident_id))
