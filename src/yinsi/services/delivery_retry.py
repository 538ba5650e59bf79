"""Failed deliveries are tried again, not lost: the delivery outbox and its retry job.

:meth:`DeliveryService.send <yinsi.services.delivery.DeliveryService.send>` tries a
message with the adapter's few quick retries. When the provider stays down longer (an SMS
gateway outage, an SMTP server refusing connections) the answer to a rights request, an
incident notice or a reminder would be recorded ``failed`` and never reach the person.
:class:`DeliveryOutbox` keeps such a message — failed for a transient reason only, never
a refusal, never a verification code (secret and short-lived) — and the job
``deliveries_retry`` (:func:`yinsi.services.jobs.deliveries_retry`, beat every 5 minutes,
``yinsi deliveries retry``) tries it again with backoff::

    first send failed → +5 min → +15 min → +1 h → +4 h → then every 12 h
    until delivered (row deleted) or the deadline (72 h, YINSI_JOBS__DELIVERY_RETRY_HOURS)
    passes (given up: the row stays, its payload cleared)

Each try appends a :class:`~yinsi.storage.deliveries.DeliveryRecord` as the first send did
(so ``records(reference)`` shows every try) and counts in ``yinsi_deliveries``.

**At rest.** What lets the message be sent again — the channel's full address and the
text (an e-mail's attachment too) — is personal information: it is stored as one
AES-256-GCM envelope token of :class:`~yinsi.security.FieldCipher` (a fresh data key per
message, the row's id bound as associated data), never in clear and never logged. The
key-encryption key is derived (HKDF-SHA256, its own label) from the erasure key: the key
yinsi keeps for its own database, the same in every process (anchored in the audit log,
:mod:`.erasure_keys`), so a worker decrypts what the API kept, and the derived key serves
only this purpose. A token that no longer decrypts (the erasure key was replaced) is
given up with the reason.

**Two runs at once** send a message once: a run claims a batch with a lease before
sending (:mod:`yinsi.storage.outbox`). A run that dies after sending and before writing
the outcome lets its lease lapse; the message is then sent again (at least once).
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from yinsi.delivery import DeliveryResult, EmailMessage, Purpose, PushMessage, SmsMessage
from yinsi.security import FieldCipher, SecurityError
from yinsi.security.key_ring import KEY_BYTES, Key, KeyPurpose, KeyRing, KeyState
from yinsi.services.clock import Clock, utc_now
from yinsi.services.metrics import DELIVERIES_GIVEN_UP
from yinsi.storage import UnitsOfWork
from yinsi.storage.deliveries import DeliveryRecord
from yinsi.storage.outbox import PENDING, OutboxEntry, PendingCount, outbox_of

if TYPE_CHECKING:
    from yinsi.services.delivery import DeliveryService, Message

__all__ = [
    "BACKOFF",
    "DeliveryOutbox",
    "OutboxKeyError",
    "PendingCount",
    "RetryRun",
    "backoff",
    "decode",
    "encode",
    "outbox_cipher",
]

log = logging.getLogger("yinsi.delivery")

BACKOFF = (
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
)
"""Waits after the 1st, 2nd, 3rd, 4th failed send; every later one waits :data:`THEN`."""
THEN = timedelta(hours=12)
BATCH = 20
"""Messages claimed at once: 20 slow tries (3 × 10 s each) fit well within the lease."""
LEASE = timedelta(minutes=15)
KID = "outbox1"
_INFO = b"yinsi/delivery-outbox/v1"


class OutboxKeyError(RuntimeError):
    """The outbox's key cannot be made; the message says what to set."""


def backoff(tries: int) -> timedelta:
    """How long to wait after the ``tries``-th failed send (1: the first send)."""
    return BACKOFF[tries - 1] if 1 <= tries <= len(BACKOFF) else THEN


def outbox_cipher(erasure_key: bytes) -> FieldCipher:
    """The cipher of kept messages: AES-256-GCM envelope under a key derived from the
    erasure key (HKDF-SHA256 with the outbox's own label), one data key per message."""
    if len(erasure_key) < 16:
        raise OutboxKeyError(
            "the erasure key is shorter than 16 bytes; set YINSI_ERASURE_KEY "
            "(`openssl rand -base64 32`)"
        )
    secret = HKDF(hashes.SHA256(), KEY_BYTES, salt=None, info=_INFO).derive(erasure_key)
    ring = KeyRing([Key(KID, secret, KeyState.ACTIVE)], purpose=KeyPurpose.ENCRYPTION)
    return FieldCipher(ring, values_per_dek=1)


def _context(entry_id: str) -> str:
    return f"delivery_outbox.payload:{entry_id}"


# ------------------------------------------------------------------ the kept message


def encode(message: Message) -> str:
    """The message as JSON (address and text included: encrypt it before storing)."""
    data: dict[str, Any]
    if isinstance(message, SmsMessage):
        data = {"sms": message.phone, "text": message.text, "params": dict(message.params)}
    elif isinstance(message, EmailMessage):
        attachment = None
        if message.attachment is not None:
            name, content, mime = message.attachment
            attachment = [name, base64.b64encode(content).decode("ascii"), mime]
        data = {
            "email": message.to,
            "subject": message.subject,
            "body": message.body,
            "attachment": attachment,
        }
    else:
        data = {"push": message.user_id, "title": message.title, "body": message.body}
    data["purpose"] = message.purpose.value
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def decode(text: str) -> Message:
    """The message :func:`encode` made; ValueError for anything else."""
    try:
        data = json.loads(text)
        purpose = Purpose(data["purpose"])
        if "sms" in data:
            return SmsMessage(data["sms"], purpose, data["text"], dict(data["params"]))
        if "email" in data:
            found = data["attachment"]
            attachment = None
            if found is not None:
                attachment = (found[0], base64.b64decode(found[1]), found[2])
            return EmailMessage(data["email"], purpose, data["subject"], data["body"], attachment)
        return PushMessage(data["push"], purpose, data["title"], data["body"])
    except (KeyError, IndexError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a kept message ({type(exc).__name__})") from None


def _keepable(message: Message, result: DeliveryResult) -> bool:
    if result.delivered or not result.transient or message.purpose is Purpose.VERIFICATION:
        return False
    return not (isinstance(message, SmsMessage) and message.secret)


# ------------------------------------------------------------------ the outbox


@dataclass
class RetryRun:
    """What one retry run did: messages delivered, left for later, given up."""

    delivered: int = 0
    later: int = 0
    given_up: int = 0

    def summary(self) -> dict[str, int]:
        return {"delivered": self.delivered, "later": self.later, "given_up": self.given_up}


class DeliveryOutbox:
    """Keeps transient failures (:meth:`keep`, the hook of ``DeliveryService.send``) and
    tries them again (:meth:`retry`); see the module docstring.

    ``key`` gives the erasure key when first needed (so a process that never keeps a
    message never reads it); ``retry_for`` is how long a message is tried.
    """

    def __init__(
        self,
        units: UnitsOfWork,
        key: Callable[[], bytes],
        *,
        retry_for: timedelta = timedelta(hours=72),
        clock: Clock = utc_now,
    ) -> None:
        self.units = units
        self._key = key
        self.retry_for = retry_for
        self._clock = clock

    @cached_property
    def cipher(self) -> FieldCipher:
        return outbox_cipher(self._key())

    def keep(self, record: DeliveryRecord, message: Message, result: DeliveryResult) -> str | None:
        """Keep ``message`` for a later try if it failed for a transient reason (never a
        verification code); its id, or None when not kept. A message that cannot be kept
        (no key, the database refused) is logged by kind only and not kept: the caller's
        send has been recorded either way."""
        if not _keepable(message, result):
            return None
        entry_id = f"dob_{uuid.uuid4().hex}"
        now = self._clock()
        try:
            token = self.cipher.encrypt(encode(message), context=_context(entry_id))
            entry = OutboxEntry(
                id=entry_id,
                app_id=record.app_id,
                reference=record.reference,
                channel=record.channel,
                purpose=record.purpose,
                address=record.address,
                payload=token,
                status=PENDING,
                tries=1,
                created_at=now,
                next_at=now + backoff(1),
                deadline_at=now + self.retry_for,
                subject_id=record.subject_id,
                last_error=record.error,
            )
            with self.units() as uow:
                outbox_of(uow).add(entry)
                uow.commit()
        except Exception as exc:  # the send is recorded either way; say why it is not kept
            log.error(
                "delivery %s/%s about %s failed and could not be kept for a retry: %s",
                record.channel, record.purpose, record.reference, type(exc).__name__,
            )  # fmt: skip
            return None
        log.info(
            "delivery %s/%s about %s failed for now; kept as %s for a retry",
            record.channel, record.purpose, record.reference, entry_id,
        )  # fmt: skip
        return entry_id

    def retry(self, delivery: DeliveryService, *, due_only: bool = True) -> RetryRun:
        """Try again every kept message that is due (``due_only=False``: every one, each
        once), in batches under a lease; what became of them."""
        owner = f"outbox-{uuid.uuid4().hex[:12]}"
        due_by = self._clock() if due_only else None
        run = RetryRun()
        tried: set[str] = set()
        while True:
            now = self._clock()
            with self.units() as uow:
                batch = outbox_of(uow).claim(
                    owner, now=now, until=now + LEASE, limit=BATCH, due_by=due_by, exclude=tried
                )
                uow.commit()
            if not batch:
                break
            for entry in batch:
                tried.add(entry.id)
                self._try(delivery, entry, owner, run)
        if tried:
            log.info(
                "deliveries retried: %d delivered, %d later, %d given up",
                run.delivered, run.later, run.given_up,
            )  # fmt: skip
        return run

    def _try(
        self, delivery: DeliveryService, entry: OutboxEntry, owner: str, run: RetryRun
    ) -> None:
        try:
            if entry.payload is None:
                raise ValueError("no payload")
            message = decode(self.cipher.decrypt(entry.payload, context=_context(entry.id)))
        except (SecurityError, ValueError, LookupError) as exc:
            reason = f"待重发消息无法解密（{type(exc).__name__}），已放弃：检查 YINSI_ERASURE_KEY 是否更换"
            self._give_up(entry, owner, reason, run)
            return
        _, result = delivery.attempt(
            entry.app_id, entry.reference, message, subject_id=entry.subject_id
        )
        now = self._clock()
        gave_up = False
        with self.units() as uow:
            store = outbox_of(uow)
            if result.delivered:
                store.delivered(entry.id, owner)
                run.delivered += 1
            elif result.transient and now < entry.deadline_at:
                tries = entry.tries + 1
                next_at = min(now + backoff(tries), entry.deadline_at)
                store.later(entry.id, owner, tries=tries, next_at=next_at, error=result.error)
                run.later += 1
            else:
                sends = entry.tries + 1
                if result.transient:
                    hours = round(self.retry_for.total_seconds() / 3600)
                    reason = (
                        f"超过重试期限（{hours} 小时，共发送 {sends} 次）：{result.error or ''}"
                    )
                else:
                    reason = f"服务商拒收（共发送 {sends} 次）：{result.error or ''}"
                if store.give_up(entry.id, owner, now=now, error=reason):
                    gave_up = True
                    log.warning("delivery %s given up after %d sends", entry.id, sends)
            uow.commit()
        if gave_up:
            run.given_up += 1
            DELIVERIES_GIVEN_UP.labels(entry.channel, entry.purpose).inc()

    def _give_up(self, entry: OutboxEntry, owner: str, reason: str, run: RetryRun) -> None:
        with self.units() as uow:
            gave_up = outbox_of(uow).give_up(entry.id, owner, now=self._clock(), error=reason)
            uow.commit()
        if gave_up:
            run.given_up += 1
            DELIVERIES_GIVEN_UP.labels(entry.channel, entry.purpose).inc()
        log.warning("delivery %s given up: its payload does not decrypt", entry.id)

    def pending(self) -> list[PendingCount]:
        """Kept messages per channel and purpose (counts and the oldest; no address)."""
        with self.units(read_only=True) as uow:
            return outbox_of(uow).counts()

    def get(self, entry_id: str) -> OutboxEntry | None:
        """The kept message ``entry_id`` (its payload still encrypted), or None."""
        with self.units(read_only=True) as uow:
            return outbox_of(uow).get(entry_id)
