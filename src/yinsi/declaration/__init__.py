"""The declaration: schema (pydantic v2), YAML loading with FILE:LINE errors, checks, diff.

Every name is imported on first use (:mod:`yinsi._lazy`): the pydantic schema costs about
0.1 s, and modules that need only plain values (:mod:`.versions`, :mod:`.errors`) must not
pay it.
"""

from typing import TYPE_CHECKING

from yinsi._lazy import attach

if TYPE_CHECKING:
    from yinsi.declaration.diff import Change
    from yinsi.declaration.errors import DeclarationError, Issue, Problem
    from yinsi.declaration.loader import Loaded, load, loads, read, read_file
    from yinsi.declaration.schema import Declaration
    from yinsi.declaration.view import collected_elements, taxonomy_of
else:
    __getattr__, __dir__ = attach(
        __name__,
        {
            "diff": ("Change",),
            "errors": ("DeclarationError", "Issue", "Problem"),
            "loader": ("Loaded", "load", "loads", "read", "read_file"),
            "schema": ("Declaration",),
            "view": ("collected_elements", "taxonomy_of"),
        },
    )

__all__ = [
    "Change",
    "Declaration",
    "DeclarationError",
    "Issue",
    "Loaded",
    "Problem",
    "collected_elements",
    "load",
    "loads",
    "read",
    "read_file",
    "taxonomy_of",
]
