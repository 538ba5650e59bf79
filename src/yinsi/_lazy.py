"""Lazy names for package ``__init__`` modules (PEP 562), so a light import stays light.

A package lists which submodule defines each public name; the name is imported from there
on first use and then kept on the package. Importing one submodule
(``yinsi.declaration.versions``) then no longer loads every sibling (the pydantic schema).
Each package also imports the same names under ``TYPE_CHECKING``, so type checkers see
ordinary imports::

    if TYPE_CHECKING:
        from yinsi.security.envelope import FieldCipher
    else:
        __getattr__, __dir__ = attach(__name__, {"envelope": ("FieldCipher",)})

A name that is also a submodule's name (the function ``yinsi.consent.decide``) must be
imported eagerly instead: importing the submodule sets the package attribute to the
module, which would hide the lazy name (tests/test_startup.py checks every package for
it). A submodule itself may be listed under its own name (``{"queries": ("queries",)}``).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping

__all__ = ["attach"]


def attach(
    package: str, names: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``; ``names`` maps a submodule
    (relative to the package) to the public names it defines (or to its own name)."""
    where = {name: submodule for submodule, listed in names.items() for name in listed}

    def __getattr__(name: str) -> object:
        submodule = where.get(name)
        if submodule is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(f"{package}.{submodule}")
        value = module if name == submodule else getattr(module, name)
        setattr(sys.modules[package], name, value)  # the next look-up is a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
