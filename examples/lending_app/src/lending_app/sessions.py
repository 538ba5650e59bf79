"""Login sessions: a random bearer token, stored as its SHA-256 (no PI in this table)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from lending_app.schema import sessions


class Sessions:
    def __init__(self, db: Engine) -> None:
        self._db = db

    def open(self, user_id: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._db.begin() as conn:
            conn.execute(
                insert(sessions).values(
                    token_hash=_digest(token), user_id=user_id, created_at=datetime.now(UTC)
                )
            )
        return token

    def user(self, token: str) -> str | None:
        with self._db.connect() as conn:
            found = conn.execute(
                select(sessions.c.user_id).where(sessions.c.token_hash == _digest(token))
            ).scalar_one_or_none()
        return None if found is None else str(found)

    def close_all(self, user_id: str) -> None:
        with self._db.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.user_id == user_id))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
