"""Verification codes under abuse limits (issue 14), for :class:`RightsService`.

Sending: a request gets a new code at most every ``code_resend_seconds``, at most
``codes_per_request`` codes in all, and one phone at most ``codes_per_phone_per_day``
codes per day (China time) over all requests; each limit is one atomic counter in the
database (:meth:`~yinsi.storage.limit_ports.LimitStore.take`), so concurrent resends and
several server processes cannot exceed it. A refused send raises
:class:`~yinsi.rights.verification.CodeLimited` saying, in Chinese, how long to wait.
A new code keeps the attempts already counted on the request.

Answering: the answer is checked against a snapshot, then the attempt is counted by one
conditional ``UPDATE`` (``attempts < MAX_ATTEMPTS``): 80 wrong answers at once get
exactly :data:`~yinsi.rights.verification.MAX_ATTEMPTS` tries, the others are told the
challenge is locked.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, time, timedelta

from yinsi.rights.verification import (
    LOCKED,
    MAX_ATTEMPTS,
    Challenge,
    CodeLimited,
    Method,
    VerificationFailed,
    check,
    id_suffix_challenge,
    wrong_answer_message,
)
from yinsi.services.clock import Clock
from yinsi.settings.limits import LimitSettings
from yinsi.storage import UnitsOfWork
from yinsi.storage.limit_ports import Refused
from yinsi.taxonomy.timezone import CHINA

__all__ = ["CodeLimits", "wait_text"]

REQUEST_COUNTER_DAYS = 60
"""How long a request's count of codes is kept (longer than any request stays open)."""


def wait_text(seconds: int) -> str:
    """``seconds`` in Chinese words: 45 秒, 3 分钟, 2 小时 10 分钟."""
    if seconds < 60:
        return f"{max(seconds, 1)} 秒"
    minutes = -(-seconds // 60)
    if minutes < 60:
        return f"{minutes} 分钟"
    hours, rest = divmod(minutes, 60)
    return f"{hours} 小时" + (f" {rest} 分钟" if rest else "")


class CodeLimits:
    """Stores new codes under the send limits and counts answers atomically."""

    def __init__(
        self, units: UnitsOfWork, settings: LimitSettings, hash_key: bytes, clock: Clock
    ) -> None:
        self._units = units
        self._settings = settings
        self._hash_key = hash_key
        self._clock = clock

    def store_new(self, challenge: Challenge, phone: str) -> None:
        """Count the send against every limit and store the new code (keeping the
        attempts counted); raises :class:`CodeLimited` when a limit refuses it."""
        now = challenge.created_at
        cooldown = timedelta(seconds=self._settings.code_resend_seconds)
        day = now.astimezone(CHINA).date()
        day_ends = datetime.combine(day + timedelta(days=1), time(), CHINA)
        with self._units() as uow:
            for key, cap, keep_until in (
                (
                    f"sms:request:{challenge.request_id}",
                    self._settings.codes_per_request,
                    now + timedelta(days=REQUEST_COUNTER_DAYS),
                ),
                (
                    f"sms:phone:{self._phone_key(phone)}:{day.isoformat()}",
                    self._settings.codes_per_phone_per_day,
                    day_ends,
                ),
            ):
                refused = uow.limits.take(
                    key, now, cap=cap, cooldown=cooldown, keep_until=keep_until
                )
                if refused is not None:
                    current = uow.challenges.get(challenge.request_id, Method.SMS)
                    left = MAX_ATTEMPTS - (0 if current is None else current.attempts)
                    raise _limited(refused, key.startswith("sms:request:"), left)
            uow.challenges.renew(challenge)
            uow.commit()

    def verify(
        self, request_id: str, given: str, method: Method, id_number: Callable[[], str]
    ) -> datetime:
        """When the request was verified by ``given``; raises :class:`VerificationFailed`
        (with the attempts left) for a wrong, expired or locked answer."""
        now = self._clock()
        with self._units() as uow:
            challenge = uow.challenges.get(request_id, method)
        if challenge is None and method is Method.ID_SUFFIX:
            with self._units() as uow:
                uow.challenges.add_if_absent(id_suffix_challenge(request_id, id_number(), now))
                uow.commit()
                challenge = uow.challenges.get(request_id, method)
        if challenge is None:
            raise VerificationFailed("请先获取验证码", 0)
        right = check(challenge, given, now)
        with self._units() as uow:
            if right:
                done = uow.challenges.mark_verified(
                    request_id, method, challenge.secret_sha256, now, MAX_ATTEMPTS
                )
                uow.commit()
                if not done:
                    raise VerificationFailed(LOCKED, 0)
                return now
            attempts = uow.challenges.count_wrong(request_id, method, MAX_ATTEMPTS)
            uow.commit()
        remaining = 0 if attempts is None else MAX_ATTEMPTS - attempts
        raise VerificationFailed(wrong_answer_message(remaining), remaining)

    def _phone_key(self, phone: str) -> str:
        digits = "".join(c for c in phone if c.isdigit())[-11:]
        return hmac.new(
            self._hash_key, b"sms-phone:" + digits.encode(), hashlib.sha256
        ).hexdigest()[:32]


def _limited(refused: Refused, per_request: bool, remaining: int) -> CodeLimited:
    if not refused.capped:
        seconds = max(int(refused.wait.total_seconds() + 0.999), 1)
        return CodeLimited(
            f"验证码发送过于频繁，请 {wait_text(seconds)}后再试。", remaining, seconds
        )
    if per_request:
        return CodeLimited(
            "本申请的验证码发送次数已达上限，请使用身份证号后六位验证，或重新提交申请。",
            remaining,
            None,
        )
    seconds = max(int(refused.wait.total_seconds() + 0.999), 1)
    return CodeLimited(
        f"该手机号今日接收验证码次数已达上限，请 {wait_text(seconds)}后（次日）再试。",
        remaining,
        seconds,
    )
