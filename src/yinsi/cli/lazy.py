"""Sub-commands that are imported when they run, so ``yinsi --help`` starts instantly.

Click's "lazy loading subcommands" pattern, for Typer: the top-level group lists a
:class:`LazyCommand` per sub-command — a name, where its Typer app lives
(``"yinsi.cli.rights:rights_app"``) and the one-line help ``yinsi --help`` shows — and
imports that module only when the command is run (or its own ``--help`` is asked for).
``yinsi validate`` then never loads SQLAlchemy, FastAPI, redis or the services.

The help line is written twice, here and in the sub-command's module;
tests/test_startup.py checks the two agree.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command_from_info, get_group_from_info
from typer.models import TyperInfo

if TYPE_CHECKING:  # Typer's own copy of Click (recent Typer vendors it)
    from typer._click import Command, Context

__all__ = ["LazyCommand", "LazyGroup"]


class LazyCommand(TyperCommand):
    """Stands in for a sub-command until it runs: its help line is known, its module is not
    imported. ``target`` is ``"module:attribute"`` naming a :class:`typer.Typer`: the
    sub-command group it defines, or with ``group=False`` its single command."""

    def __init__(self, name: str, target: str, help: str, *, group: bool = True) -> None:
        super().__init__(name, help=help)
        self.target = target
        self.group = group
        self._loaded: Command | None = None

    def load(self) -> Command:
        """The real command (imported once), built as ``app.add_typer(sub, name=…)`` would."""
        if self._loaded is None:
            module, _, attribute = self.target.partition(":")
            sub = getattr(importlib.import_module(module), attribute)
            if not isinstance(sub, typer.Typer):
                raise TypeError(f"{self.target} is not a typer.Typer")
            short, markup = sub.pretty_exceptions_short, sub.rich_markup_mode
            if self.group:
                self._loaded = get_group_from_info(
                    TyperInfo(sub, name=self.name),
                    pretty_exceptions_short=short,
                    suggest_commands=sub.suggest_commands,
                    rich_markup_mode=markup,
                )
            else:
                (command,) = sub.registered_commands
                self._loaded = get_command_from_info(
                    command, pretty_exceptions_short=short, rich_markup_mode=markup
                )
        return self._loaded

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Context | None = None,
        **extra: Any,
    ) -> Context:
        """Running the command (or its ``--help``): hand over to the real one."""
        return self.load().make_context(info_name, args, parent=parent, **extra)


class LazyGroup(TyperGroup):
    """A Typer group that also offers the :class:`LazyCommand` of :attr:`lazy`, after its
    own commands (``typer.Typer(cls=…)`` with a subclass that sets :attr:`lazy`)."""

    lazy: ClassVar[Sequence[LazyCommand]] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for command in self.lazy:
            self.commands.setdefault(command.name or "", command)
