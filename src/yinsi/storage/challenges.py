"""Identity challenges on SQL: one current challenge per request and method.

Only the salted hash of the answer is stored (see :mod:`yinsi.rights.verification`).
:meth:`SqlChallengeStore.get` locks the row (``FOR UPDATE`` on PostgreSQL; SQLite
serializes writers anyway), so two answers given at once are counted one after the
other and cannot both get the same attempts left.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yinsi.rights.verification import Challenge, Method
from yinsi.storage.errors import RequestNotFound
from yinsi.storage.rights_mapping import challenge_from_row, challenge_values
from yinsi.storage.rights_ports import ChallengeStore
from yinsi.storage.rights_tables import RightsChallengeRow, RightsRequestRow
from yinsi.storage.statements import upsert


class SqlChallengeStore(ChallengeStore):
    def __init__(self, session: Session) -> None:
        self._session = session

    def put(self, challenge: Challenge) -> None:
        known = select(RightsRequestRow.id).where(RightsRequestRow.id == challenge.request_id)
        if self._session.scalar(known) is None:
            raise RequestNotFound(challenge.request_id)
        upsert(
            self._session,
            RightsChallengeRow,
            challenge_values(challenge),
            ["request_id", "method"],
        )

    def get(self, request_id: str, method: Method) -> Challenge | None:
        row = self._session.scalars(
            select(RightsChallengeRow)
            .where(
                RightsChallengeRow.request_id == request_id,
                RightsChallengeRow.method == Method(method).value,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
        return None if row is None else challenge_from_row(row)
