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
and ``new`` values are JSON. It is symmetric: ``diff(b, a)`` is ``diff(a, b)`` mirrored
(the verdicts are not: adding is material where removing is not). The order of
entities is not a change; taxonomy entries are compared only as the elements,
permissions and purposes in use resolve them; a top-level section this module does not
know is compared as it is.

Each change is then judged by its effect (:mod:`.diff_judge`, one line per field in
:data:`yinsi.declaration.diff_rules.TABLE`):

material
    it widens *what* is collected (an element or permission added to a scenario, an
    optional element or permission made required, a new scenario or collection method;
    a sensitive element says so, PIPL Arts. 28-29); *why* (a purpose added, Art. 14);
    *how long* (a period longer or no longer stated, a maximum made a fixed period, a
    start moved later — from collection to account cancellation — or no longer stated,
    a weaker end action, a minimum added, Art. 19); *who receives it* (a recipient, SDK
    or H5 page added, or receiving more elements or for more purposes, another party
    named as recipient, SDK provider or joint handler, a method changed, a new source of
    indirectly obtained PI, cross-border transfer or public disclosure, Arts. 20-21, 23,
    25, 38-39); or it narrows the user's *choice* (a weaker consent kind — written >
    separate > general and permission prompt > deemed and opt-out, guardian apart —, a
    consent item no longer asked by a scenario, a harsher or reworded effect of refusing,
    consent asked less often, fewer ways to withdraw, Arts. 14-16). Also material, as
    the seeds promise: the handler (X03 B, Art. 22), the service model (X03 A), a right
    or its exercise narrowed (a right, channel, self-service path or deletion trigger
    removed, a deadline longer, hedged or promising less — 处理完成 → 答复 —, a
    precondition, fee or refusal ground added, free of charge no longer promised: X03 C,
    W19), a security measure removed or reworded beyond wording (Art. 51), a contact or
    complaint channel, the PI protection officer or the responsible department changed,
    a slower reply (X03 D, Art. 52), a high-risk impact assessment (X03 E), a new
    version no longer waiting for acceptance (W19, X02), an automated decision (Art.
    24); and any change of a field or section the table does not know.
editorial
    everything else: wording (labels, notes, descriptions; a party's name spelled
    otherwise), the policy's version and dates, less processing (elements, permissions,
    purposes, scenarios, recipients or sources removed, required made optional), shorter
    deadlines and retention, stronger consent, new rights and channels to exercise them.

Free text that states an effect on the user (the effect of refusing, a recipient's
processing method, an SDK's function) cannot be ranked by a machine, so any change of
it is material; free text that only describes is wording. Names of parties, lists of
sources and lists of promises are read a little further (:mod:`.diff_effects_text`):
the same party's name with ``有限公司`` added, a source list that only shrinks or a
measure that only loses a comma are wording; another party, a new source, a measure
removed or hedged are not.

The text report (:func:`format_text`) counts once a change listed in two sections — a
purpose new to the declaration and new to its scenario (:mod:`.diff_repeats`) — and
shows long values from a little before their first difference.
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
