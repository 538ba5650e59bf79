"""``yinsi deliveries``: the messages whose delivery failed for now (the delivery outbox).

    yinsi deliveries pending          # per channel and purpose: waiting, given up, oldest
    yinsi deliveries retry            # try the due ones again now (what beat does every 5 min)
    yinsi deliveries retry --now      # try every waiting one once, due or not

Nothing here prints an address or a text: the outbox keeps them encrypted, and the
listing shows counts only. Errors print one line and exit 1.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from yinsi.cli.common import Actor, DbUrl, open_services, out

deliveries_app = typer.Typer(
    help="Failed deliveries kept for a later try: list them, try them again.",
    no_args_is_help=True,
)

_CHANNEL_ZH = {"sms": "短信", "email": "电子邮件", "push": "App 推送"}
_PURPOSE_ZH = {
    "request_answer": "请求答复",
    "reminder": "期限提醒",
    "incident_notice": "事件告知",
    "regulator_report": "监管报告",
    "service_end_notice": "停止运营告知",
}


def _age(oldest: datetime | None, now: datetime) -> str:
    if oldest is None:
        return "—"
    minutes = max(0, int((now - oldest).total_seconds() // 60))
    if minutes < 120:
        return f"{minutes} 分钟"
    return f"{minutes // 60} 小时" if minutes < 48 * 60 else f"{minutes // 1440} 天"


@deliveries_app.command()
def pending(url: DbUrl = None) -> None:
    """Messages waiting for a retry, and given up, per channel and purpose (no addresses)."""
    with open_services(url, actor="cli", known=(LookupError, ValueError)) as services:
        counts = services.outbox.pending()
        now = services.clock()
    if not counts:
        out.print("没有待重发的消息。", markup=False)
        return
    for c in counts:
        channel = _CHANNEL_ZH.get(c.channel, c.channel)
        purpose = _PURPOSE_ZH.get(c.purpose, c.purpose)
        waiting = f"，最早一条已等待 {_age(c.oldest, now)}" if c.pending else ""
        line = f"{channel}·{purpose}：待重发 {c.pending} 条，已放弃 {c.given_up} 条{waiting}"
        out.print(line, markup=False)


@deliveries_app.command()
def retry(
    now: Annotated[
        bool, typer.Option("--now", help="Try every waiting message once, due or not.")
    ] = False,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Try again the messages whose delivery failed for now (those due; --now: all)."""
    from yinsi.services.jobs import deliveries_retry

    with open_services(url, actor=actor, known=(LookupError, ValueError)) as services:
        done = deliveries_retry(services, every=now)
    out.print(
        f"已送达 {done['delivered']} 条，稍后重试 {done['later']} 条，已放弃 {done['given_up']} 条",
        markup=False,
    )
