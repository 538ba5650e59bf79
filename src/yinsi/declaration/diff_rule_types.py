"""What the judgement table (:mod:`.diff_rules`) is made of: a :class:`Rule` per field, a
:class:`Part` per section, and the two rules every table shares (:data:`UNKNOWN`,
:data:`WORDING`). Kept apart so that the table can be split over several modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from yinsi.declaration import diff_effects as fx
from yinsi.declaration.diff_effects import Effect

__all__ = ["EDITED", "UNKNOWN", "WORDING", "Part", "R", "Rule"]

EDITED = "措辞或细节修改 (edited)"


@dataclass(frozen=True, slots=True)
class Rule:
    """How one field is judged: material when ``effect`` says so, then with ``reason``."""

    effect: Effect
    reason: str
    editorial: str = EDITED


@dataclass(frozen=True, slots=True)
class Part:
    """How one part of a declaration is judged: entities added, removed, and each field."""

    added: Rule
    removed: Rule
    fields: Mapping[str, Rule] = field(default_factory=dict)


UNKNOWN = Rule(
    fx.always, "无法判断影响的变更，从严视为重大变更 (change of unknown effect: judged material)"
)
"""The rule for a part or field the table does not list."""
WORDING = Rule(fx.never, "")
R = Rule
