"""Settings: limits (a section of :class:`yinsi.settings.Settings`).

Abuse limits of issue 14: verification codes (resend cooldown, caps per request and per
phone per day), console logins (failures per account and address, per address) and the
REST API's per-key rate limit (shared through Redis when ``redis_url`` is set, else per
process). Every value is documented in ``docs/operations.md`` ("Abuse limits").
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LimitSettings(BaseModel):
    """The ``limits`` section (``YINSI_LIMITS__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code_resend_seconds: int = Field(60, ge=0, le=3600)
    """Seconds between two verification codes for one request, and for one phone."""
    codes_per_request: int = Field(5, ge=1, le=100)
    """Verification codes one rights request may be sent in all."""
    codes_per_phone_per_day: int = Field(10, ge=1, le=1000)
    """Verification codes one phone may be sent per day (China time), all requests."""
    login_failures_per_account_address: int = Field(5, ge=1, le=1000)
    """Failed console logins for one user name from one client address before that pair
    waits ``login_window_seconds`` (the account stays open from other addresses)."""
    login_failures_per_address: int = Field(20, ge=1, le=100000)
    """Failed console logins from one client address (any user names) before it waits."""
    login_window_seconds: int = Field(900, ge=1, le=86400)
    """The window the login failures are counted in, and how long a blocked pair waits."""
    api_enabled: bool = True
    """Whether the REST API limits requests per API key."""
    api_per_second: float = Field(1000.0, gt=0)
    """Requests per second per API key, sustained (token bucket refill rate)."""
    api_burst: int = Field(2000, ge=1)
    """Requests per API key allowed at once above the sustained rate (bucket size)."""
    api_per_minute: int = Field(30000, ge=1)
    """Requests per API key per calendar minute."""
    redis_url: str | None = None
    """``redis://host:6379/0``: share the API limits between processes and hosts through
    Redis. Unset: each process limits on its own (N processes allow N times the rate)."""
