"""The app's one door to yinsi: every PI step asks here first and obeys the answer.

Repositories describe a step as facts — which scenario of the declaration, for which
purpose, which elements — and call :meth:`Privacy.require` before touching a PI table,
:meth:`Privacy.provide` before a record leaves for a third party. yinsi decides; a refusal
raises :class:`Refused` and nothing is read, written or sent. The app keeps no consent
rule of its own: consents are recorded in and withdrawn through yinsi's ledger only.

yinsi runs embedded (``yinsi.Engine`` on yinsi's database) unless ``YINSI_URL`` and
``YINSI_API_KEY`` are set (``yinsi.client`` over HTTP); the calls are the same. Embedded
on the app's own SQLite file (``YINSI_DATABASE_URL`` = ``LENDING_DATABASE_URL``), a
provision is written in the app's write transaction (:meth:`Privacy.providing`): one
durable commit stores the app's row and yinsi's record of the provision, neither without
the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy.engine import Connection, Engine

import yinsi
from lending_app.privacy_backends import (
    AllowAll,
    Backend,
    Embedded,
    Manifest,
    Remote,
    Violations,
)
from lending_app.privacy_fields import FieldProtection
from lending_app.settings import AppSettings
from yinsi import DecisionRequest
from yinsi.consent import Channel, Decision, Evidence, InvalidIdNumber, UnknownName
from yinsi.lifecycle.permissions import UseEventIn

__all__ = [
    "Evidence",
    "FieldProtection",
    "InvalidIdNumber",
    "PermissionUse",
    "Privacy",
    "PrivacyCenterUnavailable",
    "Refused",
    "Step",
    "Violations",
]


Provide = Callable[[str, str, "Step"], int]
"""``provide(subject_id, recipient, step)`` inside :meth:`Privacy.writing`: the provision
ledger id, or :class:`Refused`."""


@dataclass(frozen=True, slots=True)
class PermissionUse:
    """One use of a device permission by the app or an SDK (W10 telemetry)."""

    permission: str
    scenario: str
    stage: str
    flow_id: str
    at: datetime
    """Timezone-aware."""
    sdk: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One processing step as the declaration names it."""

    scenario: str
    purpose: str
    elements: tuple[str, ...]


class Refused(Exception):
    """yinsi refused the step; ``reason`` is its decision reason, ``consents`` what to ask."""

    def __init__(self, step: str, reason: str, consents: Sequence[str] = ()) -> None:
        self.step = step
        self.reason = reason
        self.consents = tuple(consents)
        super().__init__(f"{step}: {reason}")


class PrivacyCenterUnavailable(Exception):
    """yinsi runs embedded: no privacy center to link to; the message says what to set."""


class Privacy:
    """The decide / record-consent / provide calls the repositories make."""

    def __init__(
        self,
        settings: AppSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        backend: AllowAll | None = None,
    ) -> None:
        """``backend``: :class:`AllowAll` for the overhead benchmark's baseline; None: yinsi
        over HTTP when ``yinsi_url`` and its key are set, else embedded."""
        self.app_id = settings.app_id
        self._remote: Remote | Embedded | AllowAll
        if backend is not None:
            self._remote = backend
        elif settings.yinsi_url and settings.yinsi_api_key:
            self._remote = Remote(settings.yinsi_url, settings.yinsi_api_key, transport=transport)
        else:
            self._remote = Embedded(settings.yinsi_database_url, settings.declaration)
        self._yinsi: Backend = self._remote.engine
        self.fields = FieldProtection.from_file(settings.keys_file)
        self._joins = isinstance(self._remote, Embedded) and self._remote.shares(
            settings.database_url
        )
        """Embedded on the app's own SQLite file: provisions join the app's transactions."""

    def close(self) -> None:
        self._remote.close()

    # ------------------------------------------------------------ decisions

    def require(self, subject_id: str, *steps: Step) -> None:
        """Raises :class:`Refused` unless yinsi allows every element of every step now
        (one decision call for all of them)."""
        if len(steps) == 1:
            decided = [(steps[0], d) for d in self._decide(subject_id, steps[0])]
        else:
            requests = [
                DecisionRequest(e, step.purpose, step.scenario)
                for step in steps
                for e in step.elements
            ]
            try:
                decisions = self._yinsi.decide_batch(self.app_id, subject_id, requests)
            except UnknownName:  # which step names what the declaration does not
                for step in steps:
                    self._decide(subject_id, step)
                raise
            owners = [step for step in steps for _ in step.elements]
            decided = list(zip(owners, decisions, strict=True))
        for step, decision in decided:
            if not decision.allowed:
                raise Refused(step.scenario, decision.reason, decision.consent_ids)

    def _decide(self, subject_id: str, step: Step) -> list[Decision]:
        """yinsi's decision for each element of ``step``, in order."""
        requests = [DecisionRequest(e, step.purpose, step.scenario) for e in step.elements]
        try:
            return self._yinsi.decide_batch(self.app_id, subject_id, requests)
        except UnknownName:  # a scenario, purpose or element the declaration does not name
            raise Refused(step.scenario, "not_declared") from None

    def check_age(self, id_number: str) -> None:
        """X04: refuses a registration with a minor's ID number (InvalidIdNumber if invalid)."""
        refusal = self._yinsi.register_check(self.app_id, id_number)
        if refusal is not None:
            raise Refused("registration", refusal.reason)

    def provide(self, subject_id: str, recipient: str, step: Step) -> int:
        """The provision ledger id; raises :class:`Refused` when the sharing gate says no."""
        provision, reason, consents = self._remote.provide(
            self.app_id, subject_id, recipient, step.elements, step.purpose
        )
        if provision is None:
            raise Refused(f"provide:{recipient}", reason, consents)
        return provision

    @contextmanager
    def providing(
        self, db: Engine, subject_id: str, *provisions: tuple[str, Step]
    ) -> Iterator[tuple[Connection, list[int]]]:
        """A write transaction of the app's ``db`` with each (recipient, step) provision
        recorded: yields the connection and the provision ledger ids, in order. Raises
        :class:`Refused` when the sharing gate refuses one: nothing is stored then, neither
        the app's rows nor the other provisions, and the refusal is audited.

        Over HTTP (or embedded on a file of its own) yinsi records the provisions first,
        and only then does the transaction open: no write transaction of the app stays
        open across a network call. Embedded on the app's own SQLite file they are
        recorded inside it (:meth:`writing`): one commit, one disk sync for both."""
        if not self._joins:
            ids = [self.provide(subject_id, recipient, step) for recipient, step in provisions]
            with db.begin() as conn:
                yield conn, ids
            return
        with self.writing(db) as (conn, provide):
            yield conn, [provide(subject_id, recipient, step) for recipient, step in provisions]

    @contextmanager
    def writing(self, db: Engine) -> Iterator[tuple[Connection, Provide]]:
        """A write transaction of the app's ``db`` and the ``provide`` to call inside it
        (same answer as :meth:`provide`): committed when the block ends, rolled back when
        it raises.

        Embedded on the app's own SQLite file, ``provide`` records the provision in this
        transaction (``SharingService.provide(within=…)``), so the app's rows and yinsi's
        record commit together or not at all. A refusal's audit entry, written in the
        transaction and rolled back with it, is then written again on its own."""
        with db.connect() as conn:
            transaction = conn.begin()
            refused: list[tuple[str, str, Step]] = []

            def provide(subject_id: str, recipient: str, step: Step) -> int:
                if not self._joins:
                    return self.provide(subject_id, recipient, step)
                found, reason, consents = self._provide_within(conn, subject_id, recipient, step)
                if found is None:
                    refused.append((subject_id, recipient, step))
                    raise Refused(f"provide:{recipient}", reason, consents)
                return found

            try:
                yield conn, provide
            except BaseException:
                transaction.rollback()
                for subject_id, recipient, step in refused:
                    with conn.begin() as alone:  # decided again: refused, it is audited
                        if self._provide_within(conn, subject_id, recipient, step)[0] is not None:
                            alone.rollback()  # allowed meanwhile: no refusal to record
                raise
            transaction.commit()

    def _provide_within(
        self, conn: Connection, subject_id: str, recipient: str, step: Step
    ) -> tuple[int | None, str, tuple[str, ...]]:
        assert isinstance(self._remote, Embedded)
        return self._remote.provide(
            self.app_id, subject_id, recipient, step.elements, step.purpose, within=conn
        )

    def acquire(self, subject_id: str, source: str, step: Step) -> int:
        """X18, before a data provider is queried: yinsi's acquisition id; raises
        :class:`Refused` when the source is not vetted (or revoked, expired), the elements
        or scenario are outside its vetting, or the subject's consent does not cover them."""
        acquisition, reason, consents = self._remote.acquire(
            self.app_id, subject_id, source, (step.scenario, step.purpose, step.elements)
        )
        if acquisition is None:
            raise Refused(f"acquire:{source}", reason, consents)
        return acquisition

    def sdk_manifest(self, subject_id: str) -> Manifest:
        """Which SDKs the H5 pages may load for this subject now (W12; yinsi-consent.js)."""
        return self._remote.sdk_manifest(self.app_id, subject_id)

    def split(self, subject_id: str, step: Step) -> tuple[Step, dict[str, Refused]]:
        """The part of ``step`` yinsi allows now, and a :class:`Refused` per element it does
        not: a device report keeps what is allowed and drops the rest (X17). Like
        :meth:`require`, it is the decision a repository asks for before touching a table
        (one round trip to yinsi)."""
        decisions = self._decide(subject_id, step)
        refused = {
            element: Refused(step.scenario, decision.reason, decision.consent_ids)
            for element, decision in zip(step.elements, decisions, strict=True)
            if not decision.allowed
        }
        kept = tuple(e for e in step.elements if e not in refused)
        return replace(step, elements=kept), refused

    def check_permission_uses(self, subject_id: str, uses: Sequence[PermissionUse]) -> Violations:
        """W10 telemetry: the uses of device permissions checked by yinsi against the
        declaration and the subject's consent ledger; the violations it finds (each with
        kind, message, missing consents and its events), empty when there is none."""
        events = [
            UseEventIn(
                subject_id=subject_id,
                permission=u.permission,
                scenario=u.scenario,
                stage=u.stage,
                flow_id=u.flow_id,
                at=u.at,
                sdk=u.sdk,
            )
            for u in uses
        ]
        return self._remote.check_permission_uses(self.app_id, events) if events else []

    def privacy_center_link(self, subject_id: str) -> str:
        """A fresh entry link to yinsi's privacy center as the subject (10 minutes): consents,
        rights requests, account cancellation. Raises :class:`PrivacyCenterUnavailable`
        when yinsi runs embedded (the privacy center is served by ``yinsi serve``)."""
        link = self._remote.privacy_link(self.app_id, subject_id)
        if link is None:
            raise PrivacyCenterUnavailable(
                "隐私中心由 yinsi 服务（yinsi serve）提供：请配置 YINSI_URL 与 YINSI_API_KEY 后再打开。"
            )
        return link

    @staticmethod
    def consent_script() -> Path:
        """yinsi's device-side consent library, served to the H5 pages before anything else."""
        return Path(yinsi.__file__).parent / "web" / "static" / "yinsi-consent.js"

    # ------------------------------------------------------------ the ledger

    def accept_policy(self, subject_id: str, evidence: Evidence) -> None:
        self._yinsi.accept_policy(self.app_id, subject_id, evidence=_of(subject_id, evidence))

    def grant(self, subject_id: str, consent_id: str, evidence: Evidence) -> None:
        self._yinsi.grant(self.app_id, subject_id, consent_id, evidence=_of(subject_id, evidence))

    def granted(self, subject_id: str) -> frozenset[str]:
        """The consents in force for the subject now (pages show them ticked)."""
        return frozenset(self._yinsi.state(self.app_id, subject_id).granted)

    def withdraw(self, subject_id: str, consent_id: str, evidence: Evidence) -> None:
        self._yinsi.withdraw(self.app_id, subject_id, consent_id, evidence=evidence)

    @staticmethod
    def evidence(subject_id: str, client_ip: str | None, user_agent: str | None) -> Evidence:
        """X41: who acted, where (the app's H5 pages and API are the ``h5`` channel)."""
        return Evidence(
            Channel.H5, account=subject_id or None, client_ip=client_ip, user_agent=user_agent
        )


def _of(subject_id: str, evidence: Evidence) -> Evidence:
    """The evidence with the account filled in (a registration names it only now)."""
    return evidence if evidence.account else replace(evidence, account=subject_id)
