"""What the delivery adapters send and what they answer: messages, results, the ports.

One port per channel (:class:`SmsSender`, :class:`EmailSender`, :class:`PushSender`);
each ``send`` delivers one message to one recipient and returns one
:class:`DeliveryResult` — delivered, or failed with the reason — after its own retries.
A sender never raises for a failed delivery (only for a programming error): the caller
records every result.

A message's text may hold a verification code (``secret=True`` on the message): it goes
to the provider and nowhere else — not into a log, a result, an error or a record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from yinsi.security.masking import mask_email, mask_phone

__all__ = [
    "Channel",
    "DeliveryResult",
    "EmailMessage",
    "EmailSender",
    "Outcome",
    "Purpose",
    "PushMessage",
    "PushSender",
    "SmsMessage",
    "SmsSender",
    "masked",
]


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    PUSH = "push"


class Purpose(StrEnum):
    """Why a message is sent; also the key of an SMS template in the settings."""

    VERIFICATION = "verification"
    REQUEST_ANSWER = "request_answer"
    REMINDER = "reminder"
    INCIDENT_NOTICE = "incident_notice"
    REGULATOR_REPORT = "regulator_report"
    SERVICE_END_NOTICE = "service_end_notice"
    """Advance notice that the service ends and what happens to the PI (X39)."""


class Outcome(StrEnum):
    DELIVERED = "delivered"
    """The provider accepted the message (its id is kept)."""
    FAILED = "failed"
    """Refused, or still failing after the retries (the reason is kept)."""
    NO_CHANNEL = "no_channel"
    """Nothing was sent: no address on file, or no sender configured for it."""


@dataclass(frozen=True, slots=True)
class SmsMessage:
    """One text message to one phone.

    ``params`` are the template parameters in template order (cloud SMS sends only the
    template id and these; a generic gateway gets ``text`` too).
    """

    phone: str
    purpose: Purpose
    text: str
    params: Mapping[str, str] = field(default_factory=dict)
    secret: bool = False
    """The text carries a one-time code: never log, never store it."""


@dataclass(frozen=True, slots=True)
class EmailMessage:
    """One plain-text e-mail to one address, optionally with one attachment."""

    to: str
    purpose: Purpose
    subject: str
    body: str
    attachment: tuple[str, bytes, str] | None = None
    """``(file name, content, MIME type)``, e.g. the regulator report."""


@dataclass(frozen=True, slots=True)
class PushMessage:
    """One app notification to one user (the app's back-end pushes it to the devices)."""

    user_id: str
    purpose: Purpose
    title: str
    body: str


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What became of one message to one recipient."""

    outcome: Outcome
    attempts: int
    provider_id: str | None = None
    error: str | None = None
    """Why it failed, in words safe to show and store (never the message text)."""
    transient: bool = False
    """Failed on transient errors only (timeouts, refused connections, 5xx) after every
    try: worth trying again later (the delivery outbox does); False for a refusal."""

    @property
    def delivered(self) -> bool:
        return self.outcome is Outcome.DELIVERED


class SmsSender(Protocol):
    def send(self, message: SmsMessage) -> DeliveryResult: ...


class EmailSender(Protocol):
    def send(self, message: EmailMessage) -> DeliveryResult: ...


class PushSender(Protocol):
    def send(self, message: PushMessage) -> DeliveryResult: ...


def masked(channel: Channel, address: str) -> str:
    """The address as it may be shown, logged and stored: ``138****1234``,
    ``z***@example.com``; a push target (a user id) is not PI and stays."""
    if channel is Channel.SMS:
        return mask_phone(address)
    if channel is Channel.EMAIL:
        return mask_email(address)
    return address
