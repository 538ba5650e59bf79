"""The published policy versions of each app, compiled once and kept per process.

The consent :class:`~yinsi.services.consent.Engine` decides against compiled rules
(:class:`~yinsi.consent.RuleBook`), never against YAML: each published version is parsed
and compiled the first time it is needed and kept. A version published by another
process is picked up the first time a subject who accepted it is seen (or a version of
that name is asked for), or after :meth:`PolicyBooks.forget`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from yinsi.consent import ConsentState, RuleBook, Rules, UnknownName, compile_rules
from yinsi.consent.rules import policy_consent_items
from yinsi.declaration import Declaration, loads
from yinsi.declaration.versions import PolicyVersion
from yinsi.storage import UnitOfWork

__all__ = ["CompiledVersion", "PolicyBooks"]


@dataclass(frozen=True, slots=True)
class CompiledVersion:
    """One published version, compiled: its rules, consent ids and policy consent items."""

    rules: Rules
    consent_ids: frozenset[str]
    policy_items: tuple[str, ...]
    declaration: Declaration

    @classmethod
    def of(cls, declaration: Declaration) -> CompiledVersion:
        return cls(
            rules=compile_rules(declaration),
            consent_ids=frozenset(c.id for c in declaration.consents),
            policy_items=policy_consent_items(declaration),
            declaration=declaration,
        )


@dataclass(frozen=True, slots=True)
class _App:
    book: RuleBook
    versions: Mapping[str, CompiledVersion]


class PolicyBooks:
    """Every app's versions, read through ``units`` (read-only units of work)."""

    def __init__(self, units: Callable[..., UnitOfWork]) -> None:
        self._units = units
        self._apps: dict[str, _App] = {}
        self._compiled: dict[tuple[str, str], CompiledVersion] = {}

    def book(self, app_id: str) -> RuleBook:
        """The app's rule book (raises UnknownName for an app nobody published)."""
        return self._app(app_id).book

    def version(self, app_id: str, version: str | None) -> CompiledVersion:
        """``version`` of the app compiled (None: the current one)."""
        app = self._app(app_id)
        name = app.book.current.version if version is None else version
        if name not in app.versions:
            app = self._app(app_id, reload=True)  # published elsewhere since we loaded
        found = app.versions.get(name)
        if found is None:
            raise UnknownName("policy version", name, app.versions)
        return found

    def book_for(self, app_id: str, state: ConsentState) -> RuleBook:
        """The app's book, reloaded if the subject accepted a version it does not know."""
        app = self._app(app_id)
        if state.accepted_version is not None and state.accepted_version not in app.versions:
            app = self._app(app_id, reload=True)
        return app.book

    def published(self, published: PolicyVersion, declaration: Declaration) -> None:
        """Take a version this process just published (its app's book is rebuilt)."""
        key = (published.app_id, published.version)
        self._compiled.setdefault(key, CompiledVersion.of(declaration))
        self._apps.pop(published.app_id, None)
        self._app(published.app_id)

    def forget(self, app_id: str | None = None) -> None:
        """Forget the books of ``app_id`` (all apps with None); reloaded on next use."""
        if app_id is None:
            self._apps.clear()
        else:
            self._apps.pop(app_id, None)

    def _app(self, app_id: str, *, reload: bool = False) -> _App:
        app = None if reload else self._apps.get(app_id)
        if app is not None:
            return app
        with self._units(read_only=True) as uow:
            published = uow.policies.list(app_id)
        if not published:
            raise UnknownName("app", app_id, self._apps)
        versions = {p.version: self._compile(p) for p in published}
        app = _App(RuleBook.of(*(v.rules for v in versions.values())), versions)
        self._apps[app_id] = app
        return app

    def _compile(self, published: PolicyVersion) -> CompiledVersion:
        key = (published.app_id, published.version)
        found = self._compiled.get(key)
        if found is None:
            text, name = published.declaration_text, f"{published.app_id} {published.version}"
            found = self._compiled[key] = CompiledVersion.of(loads(text, name))
        return found
