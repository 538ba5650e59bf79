"""Chapter 8, the change log (更新记录) and where earlier versions are published.

Written only from ``policy.changes`` and ``policy.archive_url``: a policy that keeps no
log says nothing about one. Entries are listed newest first, as they are dated.
"""

from __future__ import annotations

from dataclasses import dataclass

from yinsi.declaration.schema import Declaration
from yinsi.policy.phrases import chinese_date, version_label
from yinsi.policy.provenance import Statement, at, fixed, merged, said
from yinsi.policy.text import link, sentence

__all__ = ["ChangeLogView", "change_log"]


@dataclass(frozen=True)
class ChangeLogView:
    entries: list[Statement]
    """``第1.3版（2022年2月21日）：summary`` per entry, newest first."""
    archive: Statement


def change_log(d: Declaration) -> ChangeLogView:
    entries = []
    dated = sorted(enumerate(d.policy.changes), key=lambda e: e[1].date, reverse=True)
    for i, c in dated:
        path = at("policy", "changes", i)
        entries.append(
            merged(
                [
                    said(version_label(c.version), f"{path}.version"),
                    "（",
                    said(chinese_date(c.date), f"{path}.date"),
                    "）：",
                    said(sentence(c.summary), f"{path}.summary"),
                ],
                kind="fact",
            )
        )
    archive = Statement("")
    if d.policy.archive_url is not None:
        archive = merged(
            [
                fixed("您可以通过", "changes.archive", "policy.archive_url", kind="fact"),
                Statement(link(str(d.policy.archive_url)), ["policy.archive_url"]),
                "查阅本政策的历史版本。",
            ]
        )
    return ChangeLogView(entries=entries, archive=archive)
