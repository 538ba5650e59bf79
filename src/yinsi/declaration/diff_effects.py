"""The effects a changed field can have, as small comparators for the judgement table.

An :data:`Effect` looks at one change (with both declarations at hand) and answers
whether it widens processing or narrows the user's choice: ``None`` when it does not
(the change is editorial), else a short detail for the reason (``""`` when the reason
says it all). :mod:`yinsi.declaration.diff_rules` pairs each field with one effect; the
effects that look up consents and the taxonomy are in :mod:`.diff_effects_refs`.

Conventions, so that every comparator reads the same way:

* An *order* maps values to ranks, higher meaning more processing or less choice; a
  move up is material, a move down or sideways within a rank is not (values share a
  rank only when they mean the same for the user). A move to or from a value the order
  does not know is material: a change we cannot place is judged conservatively.
* ``None`` (not stated) promises nothing, so dropping a stated value is material and
  stating one where there was none is not — except for a minimum, where stating one
  takes something from the user.
* Free text is either wording (never material) or a stated effect on the user (the
  consequence of refusing, a provision method), which a machine cannot rank: any change
  of the latter is material.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from yinsi.declaration.diff_find import DiffContext
from yinsi.declaration.diff_model import Change, Json
from yinsi.declaration.schema import Duration

Effect = Callable[[Change, DiffContext], str | None]
"""``None`` when the change is not material, else a detail for the reason."""


def _show(value: Json) -> str:
    return "—" if value is None or value == "" else str(value)


def arrow(change: Change) -> str:
    """``old → new``, for a reason's detail (``—`` for nothing)."""
    return f"{_show(change.old)} → {_show(change.new)}"


# ---------------------------------------------------------------- plain values


def never(change: Change, ctx: DiffContext) -> str | None:
    """Wording: never material."""
    return None


def always(change: Change, ctx: DiffContext) -> str | None:
    """Any change is material (a handler, a channel, a legal basis)."""
    return ""


changed_text = always
"""A stated effect on the user in free text (the effect of refusing): any change is material."""


def reworded_promise(change: Change, ctx: DiffContext) -> str | None:
    """A promise in free text: changing or withdrawing it is material, stating one is not."""
    return "" if change.old not in (None, "") else None


def stated_text(change: Change, ctx: DiffContext) -> str | None:
    """Free text that widens when stated (a new source, a new country): material unless cleared."""
    return "" if change.new not in (None, "") else None


def cleared_text(change: Change, ctx: DiffContext) -> str | None:
    """Free text the user relies on (a self-service path): material only when withdrawn."""
    return "" if change.old not in (None, "") and change.new in (None, "") else None


def dropped(change: Change, ctx: DiffContext) -> str | None:
    """A stated value (a deadline, a call limit) withdrawn: material; one stated: not."""
    return "" if change.old is not None and change.new is None else None


def became(value: Json) -> Effect:
    """Material when the field takes ``value`` (``automated_decision: true``)."""

    def effect(change: Change, ctx: DiffContext) -> str | None:
        return "" if change.new == value else None

    return effect


def left(value: Json) -> Effect:
    """Material when the field gives up ``value`` (``delete_on_end: true``)."""

    def effect(change: Change, ctx: DiffContext) -> str | None:
        return "" if change.old == value else None

    return effect


def ranked(order: Mapping[Any, int]) -> Effect:
    """Material when the value moves up ``order``, or to or from a value it does not know.

    ``None`` (not stated) ranks above every value unless ``order`` places it.
    """

    def effect(change: Change, ctx: DiffContext) -> str | None:
        old, new = _rank(order, change.old), _rank(order, change.new)
        if old is None or new is None or new > old:
            return arrow(change)
        return None

    return effect


def _rank(order: Mapping[Any, int], value: Json) -> int | None:
    if isinstance(value, dict | list):
        return None
    if value is None and None not in order:
        return max(order.values(), default=0) + 1
    return order.get(value)


def more(change: Change, ctx: DiffContext) -> str | None:
    """A number of days or calls: material when it grows or is no longer stated."""
    return _grows(_number(change.old), _number(change.new), change)


def fewer(change: Change, ctx: DiffContext) -> str | None:
    """A lower bound on the user's side (a minimum age): material when it falls or goes."""
    old, new = _number(change.old), _number(change.new)
    if old is None:
        return None
    return arrow(change) if new is None or new < old else None


def longer(change: Change, ctx: DiffContext) -> str | None:
    """A period (``5y``): material when it grows or is no longer stated."""
    return _grows(_days(change.old), _days(change.new), change)


def minimum_longer(change: Change, ctx: DiffContext) -> str | None:
    """A minimum period: material when one is stated or it grows (PI kept at least longer)."""
    old, new = _days(change.old), _days(change.new)
    if new is None:
        return None
    return arrow(change) if old is None or new > old else None


def _grows(old: float | None, new: float | None, change: Change) -> str | None:
    if old is None:
        return None
    return arrow(change) if new is None or new > old else None


def _number(value: Json) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _days(value: Json) -> float | None:
    """A period's length in days; infinite for a value that does not parse as one."""
    if value is None:
        return None
    try:
        return float(Duration.model_validate(value).approx_days)
    except ValidationError:
        return float("inf")


def later_start(change: Change, ctx: DiffContext) -> str | None:
    """The event retention counts from: only a move to collection (the earliest) is not material.

    Other events (purpose done, account cancelled, last activity …) have no order that
    holds for every user, so any other move may keep PI longer. A start no longer stated
    is not a later one: the policy then says nothing of when the period runs (it renders
    "最长不超过6个月" without "自…起"), so the detail says that instead.
    """
    if change.old is None or change.new == "collection":
        return None
    if change.new is None:
        return f"不再说明起算点 start no longer stated: {arrow(change)}"
    return arrow(change)


FEE: Mapping[Json, tuple[int, str]] = {
    True: (0, "承诺免费 free"),
    None: (1, "未说明 not stated"),
    False: (2, "可能收费 a fee"),
}
"""``rights.items[].free`` as :mod:`.diff_find` reports it: ``None`` where the item does
not write it, which renders neither the free-of-charge promise nor a fee."""


def fee_added(change: Change, ctx: DiffContext) -> str | None:
    """A right's fee: material when free of charge is no longer promised, or a fee is added."""
    old, new = FEE.get(change.old), FEE.get(change.new)
    if old is None or new is None:
        return arrow(change)
    return f"{old[1]} → {new[1]}" if new[0] > old[0] else None


# ---------------------------------------------------------------- lists


def ids(value: Json) -> list[str]:
    """A list's items as ids: strings as they are, objects by ``id`` or ``permission``."""
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if isinstance(item, dict):
            item = item.get("id", item.get("permission"))
        out.append(str(item))
    return out


def minus(first: Json, second: Json) -> list[str]:
    """Ids in list ``first`` that list ``second`` lacks, in order, once each."""
    other = set(ids(second))
    return [x for x in dict.fromkeys(ids(first)) if x not in other]


def gained(change: Change, ctx: DiffContext) -> str | None:
    """A list that grows (purposes, elements, recipients, methods): material."""
    more_items = minus(change.new, change.old)
    return ", ".join(more_items) if more_items else None


def lost(change: Change, ctx: DiffContext) -> str | None:
    """A list of the user's means that shrinks (channels, withdrawal paths): material."""
    fewer_items = minus(change.old, change.new)
    return ", ".join(fewer_items) if fewer_items else None
