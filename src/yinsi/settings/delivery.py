"""Settings: delivery (a section of :class:`yinsi.settings.Settings`).

How yinsi reaches people: SMS (verification codes, answers, incident notices), e-mail
(staff reminders, the regulator report, answers) and app push (incident notices,
answers). Each channel names a ``provider``; unset means "not configured". Secrets are
:class:`~pydantic.SecretStr` (never printed by ``repr`` or in errors).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

_CONFIG = ConfigDict(extra="forbid", frozen=True)


def _require(section: str, provider: str, values: Mapping[str, object]) -> None:
    missing = [name for name, value in values.items() if not value]
    if missing:
        names = ", ".join(f"YINSI_DELIVERY__{section}__{n.upper()}" for n in missing)
        raise ValueError(f"provider {provider!r} needs {names}")


class SmsSettings(BaseModel):
    """``delivery.sms`` (``YINSI_DELIVERY__SMS__…``)."""

    model_config = _CONFIG

    provider: Literal["http", "aliyun", "tencent"] | None = None
    """``http`` (a signed gateway the lender runs), ``aliyun`` or ``tencent``; unset: no
    SMS (``yinsi serve`` then refuses to start outside demo mode)."""
    url: str | None = None
    """http: the gateway's URL (POST)."""
    secret: SecretStr | None = None
    """http: the HMAC-SHA256 key the gateway checks the signature with."""
    key_id: str | None = None
    """aliyun: AccessKey ID; tencent: SecretId."""
    key_secret: SecretStr | None = None
    """aliyun: AccessKey secret; tencent: SecretKey."""
    sdk_app_id: str | None = None
    """tencent: SmsSdkAppId."""
    region: str = "ap-guangzhou"
    """tencent: the API region."""
    endpoint: str | None = None
    """aliyun/tencent: another endpoint (``https://host``; ``http://…`` in tests)."""
    sign_name: str | None = None
    """aliyun/tencent: the approved sign name (短信签名)."""
    templates: dict[str, str] = Field(default_factory=dict)
    """aliyun/tencent: template id by purpose: ``verification``, ``request_answer``,
    ``incident_notice``, ``service_end_notice``."""

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.provider == "http":
            _require("SMS", "http", {"url": self.url, "secret": self.secret})
        elif self.provider == "aliyun":
            needed = {"key_id": self.key_id, "key_secret": self.key_secret}
            _require("SMS", "aliyun", needed | {"sign_name": self.sign_name})
        elif self.provider == "tencent":
            needed = {"key_id": self.key_id, "key_secret": self.key_secret}
            needed |= {"sdk_app_id": self.sdk_app_id, "sign_name": self.sign_name}
            _require("SMS", "tencent", needed)
        return self


class EmailSettings(BaseModel):
    """``delivery.email`` (``YINSI_DELIVERY__EMAIL__…``)."""

    model_config = _CONFIG

    provider: Literal["smtp"] | None = None
    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "plain"] = "starttls"
    """``starttls`` (port 587), ``ssl`` (implicit TLS, port 465) or ``plain`` (a relay
    on the local network only)."""
    username: str | None = None
    """Log in when set."""
    password: SecretStr | None = None
    sender: str | None = None
    """The From address, e.g. ``privacy@lender.example``."""

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.provider == "smtp":
            _require("EMAIL", "smtp", {"host": self.host, "sender": self.sender})
        return self


class PushSettings(BaseModel):
    """``delivery.push`` (``YINSI_DELIVERY__PUSH__…``)."""

    model_config = _CONFIG

    provider: Literal["webhook"] | None = None
    url: str | None = None
    """The app back-end's URL that pushes to the user's devices (signed POST)."""
    secret: SecretStr | None = None

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.provider == "webhook":
            _require("PUSH", "webhook", {"url": self.url, "secret": self.secret})
        return self


class DeliverySettings(BaseModel):
    """The ``delivery`` section (``YINSI_DELIVERY__…``)."""

    model_config = _CONFIG

    sms: SmsSettings = Field(default_factory=SmsSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    push: PushSettings = Field(default_factory=PushSettings)
    attempts: int = Field(default=3, ge=1, le=10)
    """Tries per message before it is recorded failed (``YINSI_DELIVERY__ATTEMPTS``)."""
    backoff_seconds: float = Field(default=0.5, ge=0, le=30)
    """Wait before the 2nd try; doubled before each next one, at most 30 s."""
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    """Bound of one try (connect and answer)."""
    regulator_emails: list[str] = Field(default_factory=list)
    """Where ``yinsi incident notify`` e-mails the regulator report (JSON list in the
    environment: ``'["report@cac.example"]'``)."""
    staff_emails: list[str] = Field(default_factory=list)
    """Who ``yinsi rights remind`` e-mails the requests due soon."""
    reminder_days: int = Field(default=3, ge=0, le=15)
    """``yinsi rights remind``: requests due within this many working days."""
