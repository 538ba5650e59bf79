"""Published policy versions on SQL: immutable, kept forever (X01), diffed on publishing.

Publishing locks the app's row (``FOR UPDATE`` on PostgreSQL, the ``BEGIN IMMEDIATE``
write lock on SQLite), so two publishers of one app cannot both take the same position
or diff against a stale "previous" version.
"""

from __future__ import annotations

import builtins
import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from yinsi.declaration import Declaration
from yinsi.declaration.diff import diff
from yinsi.declaration.loader import parse
from yinsi.declaration.versions import ChangeFlag, PolicyVersion
from yinsi.storage.errors import PolicyAppMismatch, PolicyVersionConflict
from yinsi.storage.mapping import flags_json, policy_from_row
from yinsi.storage.ports import PolicyStore
from yinsi.storage.statements import Clock, ensure_app
from yinsi.storage.tables import AppRow, PolicyVersionRow


def content_sha256(declaration_text: str) -> str:
    return hashlib.sha256(declaration_text.encode("utf-8")).hexdigest()


class SqlPolicyStore(PolicyStore):
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    def publish(
        self, app_id: str, declaration_text: str, declaration: Declaration
    ) -> PolicyVersion:
        if declaration.app.id != app_id:
            raise PolicyAppMismatch(app_id, declaration.app.id)
        version, sha = declaration.policy.version, content_sha256(declaration_text)
        ensure_app(self._session, app_id, self._clock)
        self._session.execute(
            select(AppRow.app_id).where(AppRow.app_id == app_id).with_for_update()
        )
        existing = self._row(app_id, version)
        if existing is not None:
            if existing.content_sha256 != sha:
                raise PolicyVersionConflict(app_id, version, existing.content_sha256, sha)
            return policy_from_row(existing)
        previous = self._latest_row(app_id)
        flags = () if previous is None else _flags(previous.declaration_text, declaration)
        row = PolicyVersionRow(
            app_id=app_id,
            position=1 if previous is None else previous.position + 1,
            version=version,
            content_sha256=sha,
            effective=declaration.policy.effective,
            published_at=self._clock(),
            declaration_text=declaration_text,
            previous_version=None if previous is None else previous.version,
            material=any(f.material for f in flags),
            changes=flags_json(flags),
        )
        self._session.add(row)
        self._session.flush()
        return policy_from_row(row)

    def get(self, app_id: str, version: str) -> PolicyVersion | None:
        row = self._row(app_id, version)
        return None if row is None else policy_from_row(row)

    def latest(self, app_id: str) -> PolicyVersion | None:
        row = self._latest_row(app_id)
        return None if row is None else policy_from_row(row)

    def list(self, app_id: str) -> builtins.list[PolicyVersion]:
        rows = self._session.scalars(
            select(PolicyVersionRow)
            .where(PolicyVersionRow.app_id == app_id)
            .order_by(PolicyVersionRow.position)
        )
        return [policy_from_row(row) for row in rows]

    def _row(self, app_id: str, version: str) -> PolicyVersionRow | None:
        return self._session.scalars(
            select(PolicyVersionRow).where(
                PolicyVersionRow.app_id == app_id, PolicyVersionRow.version == version
            )
        ).one_or_none()

    def _latest_row(self, app_id: str) -> PolicyVersionRow | None:
        return self._session.scalars(
            select(PolicyVersionRow)
            .where(PolicyVersionRow.app_id == app_id)
            .order_by(PolicyVersionRow.position.desc())
            .limit(1)
        ).one_or_none()


def _flags(previous_text: str, declaration: Declaration) -> tuple[ChangeFlag, ...]:
    """The judged changes from the stored text (types only: it passed every check when stored)."""
    previous = Declaration.model_validate(parse(previous_text)[0])  # the bounded loader
    return tuple(
        ChangeFlag(c.section, c.key, c.kind, c.field, c.material, c.reason)
        for c in diff(previous, declaration)
    )
