"""The declaration: schema (pydantic v2), YAML loading with FILE:LINE errors, checks, diff."""

from yinsi.declaration.diff import Change
from yinsi.declaration.errors import DeclarationError, Issue, Problem
from yinsi.declaration.loader import Loaded, load, loads, read, read_file
from yinsi.declaration.schema import Declaration
from yinsi.declaration.view import collected_elements, taxonomy_of

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
