"""PI categories and elements (GB/T 35273-2020), grades (JR/T 0171-2020), purposes,
legal bases (PIPL Art. 13), consent kinds, permissions and recipient kinds.

Stable English ids; Chinese labels. The innermost layer: imports nothing from yinsi (but
the lazy-import helper, :mod:`yinsi._lazy`).

Every name is imported on first use (:mod:`yinsi._lazy`): the built-in catalogue is
built only when something needs it, not by a module that needs one enum.
"""

from typing import TYPE_CHECKING

from yinsi._lazy import attach

if TYPE_CHECKING:
    from yinsi.taxonomy.catalogue import (
        BUILTIN,
        Category,
        Element,
        Permission,
        Purpose,
        Taxonomy,
    )
    from yinsi.taxonomy.kinds import (
        CollectionMethod,
        ConsentKind,
        DeadlineQualifier,
        DeadlineVerb,
        DeclineMode,
        DeletionTrigger,
        FinancialGrade,
        FunctionKind,
        LegalBasis,
        Likelihood,
        Platform,
        RecipientKind,
        RetentionAction,
        RetentionBound,
        RetentionStart,
        RightKind,
        TrackingKind,
    )
else:
    __getattr__, __dir__ = attach(
        __name__,
        {
            "catalogue": (
                "BUILTIN",
                "Category",
                "Element",
                "Permission",
                "Purpose",
                "Taxonomy",
            ),
            "kinds": (
                "CollectionMethod",
                "ConsentKind",
                "DeadlineQualifier",
                "DeadlineVerb",
                "DeclineMode",
                "DeletionTrigger",
                "FinancialGrade",
                "FunctionKind",
                "LegalBasis",
                "Likelihood",
                "Platform",
                "RecipientKind",
                "RetentionAction",
                "RetentionBound",
                "RetentionStart",
                "RightKind",
                "TrackingKind",
            ),
        },
    )

__all__ = [
    "BUILTIN",
    "Category",
    "CollectionMethod",
    "ConsentKind",
    "DeadlineQualifier",
    "DeadlineVerb",
    "DeclineMode",
    "DeletionTrigger",
    "Element",
    "FinancialGrade",
    "FunctionKind",
    "LegalBasis",
    "Likelihood",
    "Permission",
    "Platform",
    "Purpose",
    "RecipientKind",
    "RetentionAction",
    "RetentionBound",
    "RetentionStart",
    "RightKind",
    "Taxonomy",
    "TrackingKind",
]
