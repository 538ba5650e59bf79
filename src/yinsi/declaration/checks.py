"""The checks every load runs: the lint rules of stage ``load``, waivers applied.

The rules themselves live in :mod:`yinsi.declaration.lint` (one function with its id,
citations and examples each; ``docs/rules.md`` lists them). This module keeps the entry
point the loader calls and the names other modules import.
"""

from __future__ import annotations

from yinsi.declaration.lint.notice import STATUTORY_RIGHTS
from yinsi.declaration.lint.rights import MAX_RIGHTS_WORKING_DAYS
from yinsi.declaration.lint.run import check
from yinsi.declaration.waivers import (
    CONSENT_REQUIRED,
    ENTRUSTED_DELETION,
    SEPARATE_CONSENT,
    WAIVABLE_RULES,
)

__all__ = [
    "CONSENT_REQUIRED",
    "ENTRUSTED_DELETION",
    "MAX_RIGHTS_WORKING_DAYS",
    "SEPARATE_CONSENT",
    "STATUTORY_RIGHTS",
    "WAIVABLE_RULES",
    "check",
]
