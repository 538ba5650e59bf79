"""The user notice and the regulator report of a security incident (PIPL Art. 57; X26).

Both carry the Art. 57 contents: the PI involved, what happened and why, the possible
harm, the remedial measures, what individuals can do, and the handler's contacts (the
declaration's channels for incidents, else its PI protection officer's and complaint
channels). Markdown is the source; HTML is that Markdown in the policy's page.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from yinsi.declaration.schema import ContactChannel, Declaration
from yinsi.declaration.view import taxonomy_of
from yinsi.lifecycle.incidents import Incident, Notification
from yinsi.policy.html import to_html
from yinsi.taxonomy.timezone import CHINA

__all__ = ["FORMATS", "contacts_for", "render_notice", "render_report"]

FORMATS = ("md", "html")
_STATUS_ZH = {"open": "处置中", "notified": "已告知", "closed": "已结束"}
_AUDIENCE_ZH = {"users": "已逐一告知用户", "public": "已发布公告", "regulator": "已报告监管部门"}


@cache
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("yinsi.lifecycle"),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def _page_env() -> Environment:
    return Environment(
        loader=PackageLoader("yinsi.policy"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",)),
        undefined=StrictUndefined,
    )


def contacts_for(declaration: Declaration) -> list[ContactChannel]:
    """The channels named by ``incident.contacts``, else those for incidents, else the PI
    protection officer's and the complaint channels."""
    channels = declaration.contacts.channels
    named = set(declaration.incident.contacts)
    if named:
        return [c for c in channels if c.id in named]
    for wanted in ({"incident"}, {"pi_officer", "complaint"}):
        found = [c for c in channels if wanted & set(c.purposes)]
        if found:
            return found
    return list(channels)


def _when(at: datetime) -> str:
    return at.astimezone(CHINA).strftime("%Y年%m月%d日 %H:%M（北京时间）")


def _notification(n: Notification) -> str:
    who = _AUDIENCE_ZH.get(n.audience, n.audience)
    count = f"，{n.count} 人" if n.count else ""
    return f"{_when(n.at)} {who}（{n.channel}{count}）"


def _context(incident: Incident, declaration: Declaration) -> dict[str, object]:
    taxonomy = taxonomy_of(declaration)
    labels = [
        taxonomy.elements[e].label if e in taxonomy.elements else e for e in incident.elements
    ]
    return {
        "incident": incident,
        "app_name": declaration.app.name,
        "handler": declaration.app.handler.name,
        "occurred": _when(incident.occurred_at),
        "discovered": _when(incident.discovered_at),
        "elements": labels,
        "datasets": "、".join(incident.datasets) or "—",
        "status": _STATUS_ZH[incident.status.value],
        "contacts": contacts_for(declaration),
        "notifications": [_notification(n) for n in incident.notifications],
    }


def _render(template: str, incident: Incident, declaration: Declaration, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: choose md or html")
    markdown = _env().get_template(template).render(**_context(incident, declaration))
    markdown = markdown.strip() + "\n"
    if fmt == "md":
        return markdown
    body, _ = to_html(markdown)
    header, h2, rest = body.partition("<h2")
    title = markdown.split("\n", 1)[0].removeprefix("# ")
    return (
        _page_env()
        .get_template("page.html.j2")
        .render(title=title, header=Markup(header), body=Markup(h2 + rest), toc=[])
    )


def render_notice(incident: Incident, declaration: Declaration, fmt: str = "md") -> str:
    """The notice to affected users (push, or a public notice), Markdown or HTML."""
    return _render("incident_notice.md.j2", incident, declaration, fmt)


def render_report(incident: Incident, declaration: Declaration, fmt: str = "md") -> str:
    """The report to the regulator (网信部门 and the financial regulator), Markdown or HTML."""
    return _render("regulator_report.md.j2", incident, declaration, fmt)
