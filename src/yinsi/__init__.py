"""yinsi (隐私): PIPL-native privacy engineering for Chinese consumer-finance apps.

``yinsi.Engine`` (the in-process consent engine) and ``yinsi.DecisionRequest`` are
imported on first use (:mod:`yinsi._lazy`), so that ``import yinsi`` stays light: it loads
no database driver.
"""

from typing import TYPE_CHECKING

from yinsi._lazy import attach

if TYPE_CHECKING:
    from yinsi.consent.decision import DecisionRequest
    from yinsi.services.consent import Engine
else:
    __getattr__, __dir__ = attach(
        __name__, {"consent.decision": ("DecisionRequest",), "services.consent": ("Engine",)}
    )

__version__ = "0.1.0"

__all__ = ["DecisionRequest", "Engine", "__version__"]
