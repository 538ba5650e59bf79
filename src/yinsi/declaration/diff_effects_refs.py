"""Effects that look things up in the declarations: consents, references, the taxonomy.

Like those of :mod:`yinsi.declaration.diff_effects`, each returns ``None`` when a change
is not material, else a detail for its reason.
"""

from __future__ import annotations

from yinsi.declaration import diff_effects as fx
from yinsi.declaration.diff_find import DiffContext
from yinsi.declaration.diff_model import Change, Json
from yinsi.declaration.schema import ConsentItem, Declaration
from yinsi.taxonomy import ConsentKind


def weaker_kind(old: Json, new: Json) -> bool:
    """Whether consent kind ``new`` leaves the user less choice than ``old``, or may.

    Kinds are ordered by :attr:`ConsentKind.strength` (deemed and opt-out < general and
    permission prompt < separate < written); only a move to a strictly stronger kind is
    safe. A move sideways (general → permission prompt: the prompt authorises a device
    capability, not the processing) is another mechanism, not the same consent, and
    guardian consent is given by someone else: both are judged weaker, as is a kind
    this version does not know.
    """
    if old == new:
        return False
    before, after = _kind(old), _kind(new)
    if before is None or after is None or ConsentKind.GUARDIAN in (before, after):
        return True
    return after.strength <= before.strength


def _kind(value: Json) -> ConsentKind | None:
    return next((k for k in ConsentKind if k.value == value), None)


def consent_item(d: Declaration, ident: Json) -> ConsentItem | None:
    return next((c for c in d.consents if c.id == ident), None)


def dominates(new: ConsentItem | None, old: ConsentItem) -> bool:
    """Whether consent ``new`` asks at least what ``old`` asked: as strong, for as much PI.

    An element list that is empty is taken as it is written, not as "everything": it is
    matched only by another empty list.
    """
    if new is None or weaker_kind(old.kind, new.kind):
        return False
    if not old.elements:
        return not new.elements
    return set(old.elements) <= set(new.elements)


def consent_kind(change: Change, ctx: DiffContext) -> str | None:
    """A consent item's kind (consents section): material when it leaves less choice."""
    return fx.arrow(change) if weaker_kind(change.old, change.new) else None


def consent_ref(change: Change, ctx: DiffContext) -> str | None:
    """One consent gating a recipient or SDK: material when dropped or replaced by a weaker one."""
    if change.old is None:
        return None
    old = consent_item(ctx.old, change.old)
    if old is None:
        return None if change.new is not None else ""
    return None if dominates(consent_item(ctx.new, change.new), old) else fx.arrow(change)


def consents_dropped(change: Change, ctx: DiffContext) -> str | None:
    """A scenario's consents: material when one it asked for is no longer asked, or not as much."""
    replacements = [consent_item(ctx.new, i) for i in fx.ids(change.new)]
    dropped_ids = []
    for ident in fx.minus(change.old, change.new):
        old = consent_item(ctx.old, ident)
        if old is not None and not any(dominates(r, old) for r in replacements):
            dropped_ids.append(ident)
    return ", ".join(dropped_ids) if dropped_ids else None


def consent_coverage(change: Change, ctx: DiffContext) -> str | None:
    """The elements a consent names.

    More elements stretch a consent already given to PI the user was not asked about;
    fewer are material while a scenario asking for this consent still collects them;
    a list becoming empty, or an empty one filled, changes what it covers either way.
    """
    before, after = fx.ids(change.old), fx.ids(change.new)
    if more_items := fx.minus(after, before):
        return ", ".join(more_items)
    if bool(before) != bool(after):
        return fx.arrow(change)
    still = {
        e
        for s in ctx.new.scenarios
        if change.key in s.consents
        for e in s.element_ids
        if e in fx.minus(before, after)
    }
    return ", ".join(sorted(still)) if still else None


def still_referenced(ident: str, d: Declaration) -> bool:
    """Whether any scenario, recipient, SDK or tracking item of ``d`` names ``ident``."""
    names: list[str | None] = []
    for s in d.scenarios:
        names += [*s.consents, s.retention]
    names += [r.consent for r in d.recipients]
    for sdk in d.sdks:
        names += [sdk.consent, *sdk.element_consents.values()]
    names += [t.retention for t in d.tracking]
    return ident in names


def still_used(change: Change, ctx: DiffContext) -> str | None:
    """A consent item or retention rule removed while the new declaration still names it."""
    return change.key if still_referenced(change.key, ctx.new) else None


def element_added(change: Change, ctx: DiffContext) -> str | None:
    """A PI element newly collected (elements section: the key; a scenario: the path)."""
    ident = _new_id(change, "elements")
    if ident is None:
        return None
    if ctx.new_tax.is_sensitive(ident):
        return f"{ident}（敏感个人信息 sensitive PI, PIPL Arts. 28-29）"
    return ident


def permission_added(change: Change, ctx: DiffContext) -> str | None:
    """A device permission newly requested (permissions section: the key; a scenario: the path)."""
    ident = _new_id(change, "permissions")
    if ident is None:
        return None
    perm = ctx.new_tax.permissions.get(ident)
    if perm is None:
        return ident
    return f"{ident}（{perm.label}{'，敏感权限 sensitive' if perm.sensitive else ''}）"


def _new_id(change: Change, section: str) -> str | None:
    """The id of what was added: the entity's key in ``section``, else the path's last step."""
    if change.section == section:
        return change.key
    if change.old is None:
        return (change.field or "").rsplit(".", 1)[-1]
    return None


def tracking_with_pi(change: Change, ctx: DiffContext) -> str | None:
    """A tracking item added: material when it collects PI."""
    return "" if isinstance(change.new, dict) and change.new.get("elements") else None
