"""Identity challenges on SQL: one current challenge per request and method.

Only the salted hash of the answer is stored (see :mod:`yinsi.rights.verification`).
Attempts are counted by one conditional statement,
``UPDATE … SET attempts = attempts + 1 WHERE … AND attempts < :limit``, whose row count
says whether the attempt was counted: on PostgreSQL the row lock makes concurrent
answers wait and re-check the condition, SQLite serializes writers, so however many
answers arrive at once no more than ``limit`` are ever counted (no read-modify-write).
A new code (:meth:`SqlChallengeStore.renew`) keeps the attempts already counted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.orm import Session

from yinsi.rights.verification import Challenge, Method
from yinsi.storage.errors import RequestNotFound
from yinsi.storage.mapping import utc
from yinsi.storage.rights_mapping import challenge_from_row, challenge_values
from yinsi.storage.rights_ports import ChallengeStore
from yinsi.storage.rights_tables import RightsChallengeRow, RightsRequestRow
from yinsi.storage.statements import insert_ignoring_conflict, upsert

_NEW_CODE = ("secret_sha256", "salt", "created_at", "expires_at", "verified_at")


class SqlChallengeStore(ChallengeStore):
    def __init__(self, session: Session) -> None:
        self._session = session

    def put(self, challenge: Challenge) -> None:
        self._require_request(challenge.request_id)
        upsert(
            self._session,
            RightsChallengeRow,
            challenge_values(challenge),
            ["request_id", "method"],
        )

    def renew(self, challenge: Challenge) -> None:
        self._require_request(challenge.request_id)
        values = challenge_values(challenge)
        insert_ignoring_conflict(
            self._session, RightsChallengeRow, values, ["request_id", "method"]
        )
        self._session.execute(
            update(RightsChallengeRow)
            .where(*self._one(challenge.request_id, challenge.method))
            .values({k: values[k] for k in _NEW_CODE})
        )

    def add_if_absent(self, challenge: Challenge) -> None:
        self._require_request(challenge.request_id)
        insert_ignoring_conflict(
            self._session,
            RightsChallengeRow,
            challenge_values(challenge),
            ["request_id", "method"],
        )

    def get(self, request_id: str, method: Method) -> Challenge | None:
        row = self._session.scalars(
            select(RightsChallengeRow)
            .where(*self._one(request_id, method))
            .execution_options(populate_existing=True)
        ).one_or_none()
        return None if row is None else challenge_from_row(row)

    def count_wrong(self, request_id: str, method: Method, limit: int) -> int | None:
        result = self._session.execute(
            update(RightsChallengeRow)
            .where(
                *self._one(request_id, method),
                RightsChallengeRow.verified_at.is_(None),
                RightsChallengeRow.attempts < limit,
            )
            .values(attempts=RightsChallengeRow.attempts + 1)
            .returning(RightsChallengeRow.attempts)
        )
        counted = result.scalar_one_or_none()
        return None if counted is None else int(counted)

    def mark_verified(
        self, request_id: str, method: Method, secret_sha256: str, at: datetime, limit: int
    ) -> bool:
        result = self._session.execute(
            update(RightsChallengeRow)
            .where(
                *self._one(request_id, method),
                RightsChallengeRow.secret_sha256 == secret_sha256,
                RightsChallengeRow.attempts < limit,
            )
            .values(verified_at=utc(at, f"verified_at of the challenge of {request_id}"))
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    def _require_request(self, request_id: str) -> None:
        known = select(RightsRequestRow.id).where(RightsRequestRow.id == request_id)
        if self._session.scalar(known) is None:
            raise RequestNotFound(request_id)

    @staticmethod
    def _one(request_id: str, method: Method) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
        return (
            RightsChallengeRow.request_id == request_id,
            RightsChallengeRow.method == Method(method).value,
        )
