"""Errors of the consent package.

    ConsentError                 base of everything below
    ├── UnknownName              a scenario, element, purpose, SDK, consent item or policy
    │                            version the rules do not know (the API answers 422)
    ├── NotSingleUse             ``use`` of a consent item that is not asked each time (422)
    └── InvalidIdNumber          not a valid GB 11643-1999 resident ID number (masked)

Messages never carry a full ID number: :class:`InvalidIdNumber` shows a masked form.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ConsentError(Exception):
    """Base of the consent package's errors."""


class UnknownName(ConsentError, LookupError):
    """A name the compiled rules do not know; ``close`` lists the nearest known names."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        self.close = tuple(difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6))
        hint = (
            "; close matches: " + ", ".join(repr(c) for c in self.close)
            if self.close
            else f"; it is not declared — check the {kind} ids of the declaration"
        )
        super().__init__(f"unknown {kind} {name!r}{hint}")


class InvalidIdNumber(ConsentError, ValueError):
    """An ID number that fails GB 11643-1999; ``problem`` is a stable code for the API.

    Codes: ``length``, ``characters``, ``region``, ``birth_date``, ``check_digit``.
    """

    def __init__(self, masked: str, problem: str, detail: str) -> None:
        self.masked = masked
        self.problem = problem
        super().__init__(f"ID number {masked}: {detail}")


class NotSingleUse(ConsentError, ValueError):
    """``use`` was called for a consent item granted once for all uses (not ``each_time``)."""

    def __init__(self, consent_id: str, version: str) -> None:
        self.consent_id = consent_id
        self.version = version
        super().__init__(
            f"consent item {consent_id!r} is not single-use under policy {version}: only items "
            "with `asked: each_time` are used up (X15); a grant of this item stays until withdrawn"
        )
