"""Hot read paths without the ORM session: the subject's consent state, an API key.

Every decision reads the subject's state, and every request checks its API key. Through
an ORM unit of work each read costs about 500 µs on SQLite; a compiled Core statement on a
pooled connection costs about a third of that. These functions only read, and open a
read-only transaction (on SQLite a deferred ``BEGIN``, beside any writer). Writes keep
going through :class:`~yinsi.storage.uow.SqlUnitOfWork`.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine

from yinsi.consent import ConsentState
from yinsi.storage.api_keys import live_key, secret_sha256
from yinsi.storage.engine import READ_ONLY
from yinsi.storage.mapping import state_from_row
from yinsi.storage.migrate import require_up_to_date
from yinsi.storage.ports import ApiKey
from yinsi.storage.tables import ApiKeyRow, ConsentStateRow

_STATE = ConsentStateRow.__table__
_KEYS = ApiKeyRow.__table__
_STATE_BY_SUBJECT = select(_STATE).where(
    _STATE.c.app_id == bindparam("app_id"), _STATE.c.subject_id == bindparam("subject_id")
)
_KEY_BY_DIGEST = select(_KEYS).where(_KEYS.c.secret_sha256 == bindparam("digest"))


def consent_state(engine: Engine, app_id: str, subject_id: str) -> ConsentState:
    """The subject's current state; the empty state for a subject never seen."""
    require_up_to_date(engine)
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        row = conn.execute(_STATE_BY_SUBJECT, {"app_id": app_id, "subject_id": subject_id})
        found = row.one_or_none()
        conn.rollback()
    return ConsentState(app_id, subject_id) if found is None else state_from_row(found)


def api_key(engine: Engine, secret: str) -> ApiKey | None:
    """The live (not revoked) key with this secret, or None."""
    require_up_to_date(engine)
    digest = secret_sha256(secret)
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        found = conn.execute(_KEY_BY_DIGEST, {"digest": digest}).one_or_none()
        conn.rollback()
    return live_key(found, digest)
