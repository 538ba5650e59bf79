"""Effects for the fields of issue 13's Build 4 (half B) that the generic comparators of
:mod:`.diff_effects` cannot judge: a recipient's onward transfers, a list of objects
without ids, matched here by the party they go to.
"""

from __future__ import annotations

from yinsi.declaration.diff_effects import minus
from yinsi.declaration.diff_find import DiffContext
from yinsi.declaration.diff_model import Change, Json

__all__ = ["onward_widened"]


def _items(value: Json) -> list[dict[str, Json]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _wider(was: dict[str, Json], now: dict[str, Json]) -> bool:
    """Now goes to more places, further, or carries more PI for more purposes."""
    moved = now.get("location") != was.get("location")
    if moved and was.get("location") is not None and now.get("location") != "mainland_china":
        return True  # abroad now, or no longer said where
    if now.get("country") not in (None, "", was.get("country")):
        return True
    return bool(
        minus(now.get("elements"), was.get("elements"))
        or minus(now.get("purposes"), was.get("purposes"))
    )


def onward_widened(change: Change, ctx: DiffContext) -> str | None:
    """Material when a recipient passes PI on to a new party, abroad, or more of it."""
    old = {str(o.get("to")): o for o in _items(change.old)}
    widened = [
        str(o.get("to"))
        for o in _items(change.new)
        if str(o.get("to")) not in old or _wider(old[str(o.get("to"))], o)
    ]
    return ", ".join(widened) or None
