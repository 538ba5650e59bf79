"""yinsi (隐私): PIPL-native privacy engineering for Chinese consumer-finance apps.

``yinsi.Engine`` (the in-process consent engine) is imported on first use, so that
``import yinsi`` stays light: it loads no database driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yinsi.services.consent import DecisionRequest, Engine

__version__ = "0.1.0"

__all__ = ["DecisionRequest", "Engine", "__version__"]

_LAZY = frozenset({"DecisionRequest", "Engine"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from yinsi.services import consent

        return getattr(consent, name)
    raise AttributeError(f"module 'yinsi' has no attribute {name!r}")
