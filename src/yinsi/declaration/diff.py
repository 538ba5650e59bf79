"""What changed between two declarations, and which changes are material.

A policy change must be told to users (PIPL Art. 17, second paragraph); a change of the
purposes, methods or kinds of PI processed needs fresh consent (PIPL Art. 14, second
paragraph); a change of handler by merger or transfer must be told with the new
handler's name and contact (PIPL Art. 22). The 小赢卡贷 policy promises that *material*
changes are flagged for prominent notice (X03): A the service model, B ownership (the
handler), C user rights and how to exercise them, D the responsible department,
contact or complaint channel, E a high-risk impact assessment. 我来数科 promises that
rights are never narrowed without explicit consent (W19).

:func:`diff` matches entities by id and compares them field by field, so every change
is one of *added*, *removed* or *changed* (with a dotted field path), and its ``old``
and ``new`` values are JSON. It is symmetric: ``diff(b, a)`` is ``diff(a, b)`` mirrored.
The order of entities is not a change; taxonomy entries are compared only as the
elements and purposes in use resolve them. Each change is then judged:

material
    a new purpose, anywhere (Art. 14); a PI element newly collected, anywhere, above all
    a sensitive one (Art. 29); a new business scenario; a new recipient, SDK or H5 page,
    or one receiving more elements or for more purposes (Art. 23); a scenario's recipient
    added; a legal basis changed (Art. 13); a consent weakened (written > separate >
    general); a retention period lengthened or removed (Art. 19); a new automated
    decision (Art. 24); PI sent abroad (Arts. 38-39); the handler's name or address
    (X03 B, Art. 22); the service model (X03 A); a right removed, its deadline
    lengthened, a channel, a self-service path or a deletion trigger taken away, a
    precondition, a fee or a refusal ground added (X03 C, W19); a contact or complaint
    channel added, removed or changed, the PI protection officer or the responsible
    department changed, a slower reply (X03 D, Art. 52); a high-risk impact assessment
    (X03 E); a new version no longer waiting for the user's acceptance (W19, X02).
editorial
    everything else: wording and labels, the policy's version and dates, less processing
    (elements, purposes, scenarios, recipients removed), shorter deadlines and
    retention, new rights.
"""

from __future__ import annotations

from yinsi.declaration.diff_find import DiffContext, find
from yinsi.declaration.diff_judge import judge
from yinsi.declaration.diff_model import SECTIONS, Change, mirror
from yinsi.declaration.diff_report import format_text, to_json
from yinsi.declaration.schema import Declaration
from yinsi.declaration.view import taxonomy_of

__all__ = ["SECTIONS", "Change", "diff", "format_text", "mirror", "to_json"]


def diff(old: Declaration, new: Declaration) -> list[Change]:
    """Every change from ``old`` to ``new``, judged; ordered by section, then document."""
    ctx = DiffContext(old, new, taxonomy_of(old), taxonomy_of(new))
    return [judge(found, ctx) for found in find(ctx)]
