"""Settings: operations (a section of :class:`yinsi.settings.Settings`).

Readiness (``GET /readyz``), metrics (``GET /metrics``) and the erasure key's anchor.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class OperationsSettings(BaseModel):
    """The ``operations`` section (``YINSI_OPERATIONS__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    broker_url: str | None = Field(
        default=None,
        pattern=r"^(redis|rediss|amqp|amqps)://",
        description=(
            "The task broker ``/readyz`` checks (``redis://…`` is PINGed, ``amqp://…`` gets "
            "an AMQP handshake); None: no broker is checked."
        ),
    )
    readiness_timeout_s: float = Field(
        default=2.0, gt=0, le=30, description="How long each readiness check may take."
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description=(
            "A bearer token that opens ``/metrics`` from any address "
            "(``Authorization: Bearer <token>``); None: only local requests (if allowed)."
        ),
    )
    metrics_local: bool = Field(
        default=True,
        description=(
            "Whether ``/metrics`` answers loopback clients without a token. Set it false "
            "behind a reverse proxy on the same host (every request then looks local)."
        ),
    )
