"""``DeliveryService``: send a message through the configured channel and record it.

Every message yinsi sends — a verification code, the answer to a request, a due-date
reminder, an incident notice, the regulator report — goes through :meth:`send`: the
channel's adapter (:mod:`yinsi.delivery`) tries it with bounded retries, and one
:class:`~yinsi.storage.deliveries.DeliveryRecord` per recipient is stored (masked
address, outcome, tries, provider id, reason; never the text) and counted in
``yinsi_deliveries{channel,outcome}``. A message still failing for a transient reason
(provider down) is kept, encrypted, in the delivery outbox and tried again later
(:mod:`yinsi.services.delivery_retry`); a verification code never is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from yinsi.delivery import (
    Channel,
    DeliveryResult,
    EmailMessage,
    NotConfigured,
    Outcome,
    Purpose,
    PushMessage,
    SdkMissing,
    Senders,
    SmsMessage,
    SmsSender,
    masked,
)
from yinsi.rights.requests import RightsRequest
from yinsi.rights.verification import CODE_TTL, MAX_ATTEMPTS, VerificationFailed
from yinsi.services.clock import Clock, utc_now
from yinsi.services.metrics import DELIVERIES
from yinsi.settings import Settings
from yinsi.storage import UnitOfWork, UnitsOfWork
from yinsi.storage.deliveries import DeliveryRecord

__all__ = [
    "CodeNotSent",
    "DeliveryRecord",
    "DeliveryService",
    "Message",
    "NotConfigured",
    "SdkMissing",
    "serve_problem",
]

Message = SmsMessage | EmailMessage | PushMessage


class Keeper(Protocol):
    """Keeps a message whose delivery failed for now, to try it again later (the
    delivery outbox, :mod:`yinsi.services.delivery_retry`)."""

    def keep(self, record: DeliveryRecord, message: Message, result: DeliveryResult) -> object: ...


class CodeNotSent(VerificationFailed):
    """The verification code could not be delivered (the failure is recorded); the
    attempts left are unchanged."""


def _channel(message: Message) -> tuple[Channel, str]:
    if isinstance(message, SmsMessage):
        return Channel.SMS, message.phone
    if isinstance(message, EmailMessage):
        return Channel.EMAIL, message.to
    return Channel.PUSH, message.user_id


class DeliveryService:
    def __init__(self, units: UnitsOfWork, senders: Senders, *, clock: Clock = utc_now) -> None:
        self.units = units
        self.senders = senders
        self._clock = clock
        self.outbox: Keeper | None = None
        """Keeps transient failures for a later try (set by the composition root)."""

    @property
    def sms(self) -> SmsSender | None:
        """The SMS adapter (None: not configured)."""
        return self.senders.sms

    def configured(self, channel: Channel) -> bool:
        return self.senders.configured(channel)

    def require(self, channel: Channel) -> None:
        """Raises :class:`~yinsi.delivery.NotConfigured` (saying what to set) when no
        sender is configured for ``channel``."""
        if not self.configured(channel):
            raise NotConfigured(channel)

    def send(
        self, app_id: str, reference: str, message: Message, *, subject_id: str | None = None
    ) -> DeliveryRecord:
        """Send ``message`` (after the adapter's retries) and record the result; a channel
        with no sender is recorded ``no_channel``, saying what to configure. A message
        still failing for a transient reason is kept in the outbox to be tried again
        later (never a verification code)."""
        record, result = self.attempt(app_id, reference, message, subject_id=subject_id)
        if self.outbox is not None:
            self.outbox.keep(record, message, result)
        return record

    def attempt(
        self, app_id: str, reference: str, message: Message, *, subject_id: str | None = None
    ) -> tuple[DeliveryRecord, DeliveryResult]:
        """Send and record ``message`` once (with the adapter's retries), nothing kept:
        the record and the adapter's result (which says whether a failure is transient)."""
        channel, address = _channel(message)
        sender = getattr(self.senders, channel.value)
        started = self._clock()
        if sender is None:
            result = DeliveryResult(Outcome.NO_CHANNEL, 0, error=str(NotConfigured(channel)))
        else:
            result = sender.send(message)
        record = self._record(
            app_id, reference, channel, message.purpose, masked(channel, address),
            result, started, subject_id,
        )  # fmt: skip
        return record, result

    def no_channel(
        self,
        app_id: str,
        reference: str,
        purpose: Purpose,
        subject_id: str | None,
        reason: str,
        channel: Channel = Channel.SMS,
        uow: UnitOfWork | None = None,
    ) -> DeliveryRecord:
        """Record that nobody could be reached (no address on file, nothing configured);
        ``channel`` is the one that would have been used first. ``uow``: stored in the
        caller's unit of work (committed with its other writes) instead of its own."""
        result = DeliveryResult(Outcome.NO_CHANNEL, 0, error=reason)
        now = self._clock()
        return self._record(
            app_id, reference, channel, purpose, "—", result, now, subject_id, uow
        )  # fmt: skip

    def no_channel_many(
        self,
        app_id: str,
        purpose: Purpose,
        untold: Sequence[tuple[str, str | None, str]],
        uow: UnitOfWork,
        channel: Channel = Channel.SMS,
    ) -> None:
        """:meth:`no_channel` for many ``(reference, subject, reason)`` (a batch run's
        answers nobody can be told), stored in the caller's unit of work in one insert,
        not one flush each."""
        now = self._clock()
        records = [
            DeliveryRecord(
                app_id=app_id,
                channel=channel.value,
                purpose=purpose.value,
                reference=reference,
                subject_id=subject_id,
                address="—",
                outcome=Outcome.NO_CHANNEL.value,
                attempts=0,
                error=reason,
                started_at=now,
                finished_at=now,
            )
            for reference, subject_id, reason in untold
        ]
        uow.deliveries.add_many(records)
        if records:
            DELIVERIES.labels(channel.value, Outcome.NO_CHANNEL.value).inc(len(records))

    def send_code(self, request: RightsRequest, phone: str, text: str, code: str) -> None:
        """Send a verification code by SMS; raises :class:`CodeNotSent` when it failed."""
        params = {"code": code, "minutes": str(int(CODE_TTL.total_seconds() // 60))}
        message = SmsMessage(phone, Purpose.VERIFICATION, text, params, secret=True)
        record = self.send(request.app_id, request.id, message, subject_id=request.subject_id)
        if record.outcome != Outcome.DELIVERED.value:
            raise CodeNotSent("验证码发送失败，请稍后重试或联系客服", MAX_ATTEMPTS)

    def records(self, reference: str) -> list[DeliveryRecord]:
        """What was sent about ``reference`` (a request id, an incident id), oldest first."""
        with self.units(read_only=True) as uow:
            return uow.deliveries.of(reference)

    def _record(
        self,
        app_id: str,
        reference: str,
        channel: Channel,
        purpose: Purpose,
        address: str,
        result: DeliveryResult,
        started: datetime,
        subject_id: str | None,
        uow: UnitOfWork | None = None,
    ) -> DeliveryRecord:
        record = DeliveryRecord(
            app_id=app_id,
            channel=channel.value,
            purpose=purpose.value,
            reference=reference,
            subject_id=subject_id,
            address=address,
            outcome=result.outcome.value,
            attempts=result.attempts,
            provider_id=result.provider_id,
            error=result.error,
            started_at=started,
            finished_at=self._clock(),
        )
        if uow is not None:
            stored = uow.deliveries.add(record)
        else:
            with self.units() as own:
                stored = own.deliveries.add(record)
                own.commit()
        DELIVERIES.labels(channel.value, result.outcome.value).inc()
        return stored

    def close(self) -> None:
        """Close the adapters' connections (HTTP clients)."""
        for sender in {
            id(s): s for s in (self.senders.sms, self.senders.email, self.senders.push)
        }.values():
            close = getattr(sender, "close", None)
            if callable(close):
                close()


def serve_problem(settings: Settings) -> str | None:
    """Why a service must not start with these settings: outside demo mode, rights
    requests need verification codes, so an SMS provider must be configured."""
    if settings.demo or settings.delivery.sms.provider is not None:
        return None
    return (
        "no SMS provider is configured, so verification codes cannot be sent: set "
        "YINSI_DELIVERY__SMS__PROVIDER (settings file: delivery.sms.provider) to http, "
        "aliyun or tencent with its settings (docs/operations.md), or run with --demo "
        "for a demonstration (nothing is sent)"
    )
