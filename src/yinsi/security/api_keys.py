"""API keys of the service: what a key may do, and a stored key (never its secret)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Scope(StrEnum):
    """What an API key may do: publish policies, record and decide consent, read the audit."""

    ADMIN = "admin"
    BACKEND = "backend"
    AUDITOR = "auditor"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored API key; its secret is shown once at creation and never stored."""

    id: str
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    revoked_at: datetime | None = None
