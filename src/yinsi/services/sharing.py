"""``SharingService``: the sharing gate with its provision ledger — a service beside the Engine.

It composes the pure gate (:mod:`yinsi.lifecycle.sharing`) with the subject's consent
state and the published declaration (through :class:`~yinsi.services.consent.Engine`), the
provision ledger (``uow.provisions``) and, when an entrustment ends, the processor's
webhook connector (X21)::

    provide ──► decision (pure) ──► record de-identified ──► provision stored + audited
                     └ refused: audited, nothing leaves
    end_entrustment ──► instruction (pure) ──► stored `sent` ──► webhook erase ──► `confirmed`
                                                                            └ `failed`
    confirm_entrustment_end ──► a confirmation received another way ──► `confirmed`

The processor's dataset is the data map's dataset whose ``recipient`` is the recipient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from yinsi.declaration.datamap import DataMap, Dataset
from yinsi.lifecycle.sharing import (
    EntrustmentEndStatus,
    Provision,
    ProvisionDecision,
    deidentify_record,
    end_entrustment,
    provide,
    recipient_of,
)
from yinsi.rights.ports import Connector, ConnectorError
from yinsi.security import JsonValue
from yinsi.services.clock import Clock, utc_now
from yinsi.services.consent import Engine
from yinsi.storage import UnitsOfWork
from yinsi.storage.lifecycle_ports import JoinedProvisionUnits, JoinRefused, ProvisionUnits

__all__ = [
    "EntrustmentEndConflict",
    "NoEntrustmentEnd",
    "NoProcessorDataset",
    "ProvisionOutcome",
    "RecordRefused",
    "SharingService",
    "processor_dataset",
]


@dataclass(frozen=True, slots=True)
class ProvisionOutcome:
    decision: ProvisionDecision
    record: dict[str, object] | None
    """The record as it may leave (de-identified by the recipient's profile); None when
    refused or when no record was given."""
    provision: Provision | None
    """The ledger entry; None when refused."""


class RecordRefused(ValueError):
    """The record does not fit an allowed provision: it carries elements not decided on,
    or a value the recipient's profile cannot de-identify. Nothing was provided."""

    def __init__(self, recipient: str, problem: str) -> None:
        super().__init__(f"the record cannot go to {recipient!r}: {problem}")
        self.recipient = recipient


class NoProcessorDataset(LookupError):
    def __init__(self, recipient: str, app_id: str) -> None:
        super().__init__(
            f"the data map of {app_id} has no dataset with `recipient: {recipient}`; add "
            "the processor's dataset on its webhook store with that line and the elements "
            "it holds, so the deletion instruction can be sent"
        )
        self.recipient = recipient


def processor_dataset(data_map: DataMap, recipient: str) -> Dataset:
    """The dataset of the data map that stands for ``recipient`` (its ``recipient``; the
    data map checks make it a webhook dataset, one per recipient)."""
    for ds in data_map.datasets:
        if ds.recipient == recipient:
            return ds
    raise NoProcessorDataset(recipient, data_map.app)


class SharingService:
    def __init__(
        self,
        engine: Engine,
        *,
        units: UnitsOfWork,
        provision_units: ProvisionUnits,
        joined_units: JoinedProvisionUnits | None = None,
        clock: Clock = utc_now,
        actor: str = "sharing",
        hash_key: bytes | None = None,
    ) -> None:
        """``provision_units`` open the transaction of :meth:`provide` (the state read,
        the decision's record); ``joined_units`` open it inside a caller's transaction
        (``provide(within=…)``; None: not supported here); ``hash_key`` keys the
        ``keyed_hash`` strategy of a de-identification profile."""
        self.engine = engine
        self.units = units
        self._provision_units = provision_units
        self._joined_units = joined_units
        self._clock = clock
        self._actor = actor
        self._hash_key = hash_key

    def provide(
        self,
        app_id: str,
        subject_id: str,
        recipient: str,
        elements: Sequence[str],
        purpose: str,
        record: Mapping[str, object] | None = None,
        *,
        cross_border: bool = False,
        public: bool = False,
        actor: str | None = None,
        within: object | None = None,
    ) -> ProvisionOutcome:
        """Decide the provision under the version the subject accepted (else the latest);
        when allowed, de-identify ``record`` (element id → value) and store the provision
        in the same call. A refusal is audited and nothing is stored in the ledger; a
        record that does not fit the allowed decision raises :class:`RecordRefused` and
        nothing is stored either.

        ``within``: the caller's connection (SQLAlchemy or ``sqlite3``) to yinsi's own
        SQLite file. The decision and its record (the provision, or the refusal's audit
        entry) are then written in the caller's transaction — begun ``BEGIN IMMEDIATE`` if
        it was not — and committed or rolled back with the caller's rows: one durable
        commit for both. Commit it on a refusal too, or the refusal's audit entry is lost.
        Raises :class:`~yinsi.storage.lifecycle_ports.JoinRefused` for a connection that
        cannot carry it (another file, a weaker ``PRAGMA synchronous``)."""
        who = actor or self._actor
        self.engine.declaration(app_id)  # an unknown app fails here; the book is loaded
        if within is None:
            opened = self._provision_units()
        elif self._joined_units is None:
            raise JoinRefused("this sharing service cannot join a caller's transaction")
        else:
            opened = self._joined_units(within)
        with opened as unit:
            state = unit.state(app_id, subject_id)  # locked: a withdrawal waits for us
            declaration = self.engine.declaration(app_id, state.accepted_version)
            decision = provide(
                declaration,
                state,
                recipient=recipient,
                elements=elements,
                purpose=purpose,
                cross_border=cross_border,
                public=public,
            )
            if not decision.allowed:
                details: dict[str, JsonValue] = {
                    "recipient": recipient,
                    "reason": decision.reason,
                    "purpose": purpose,
                }
                unit.refuse(who, app_id, subject_id, details)
                unit.commit()
                return ProvisionOutcome(decision, None, None)
            try:
                out = (
                    None
                    if record is None
                    else deidentify_record(decision, record, key=self._hash_key)
                )
            except ValueError as exc:
                raise RecordRefused(recipient, str(exc)) from exc
            stored = unit.record(
                Provision.of(
                    decision,
                    app_id=app_id,
                    subject_id=subject_id,
                    at=self._clock(),
                    actor=who,
                    policy_version=declaration.policy.version,
                )
            )
            unit.commit()
        return ProvisionOutcome(decision, out, stored)

    def provisions(self, app_id: str, subject_id: str) -> list[Provision]:
        """Every provision of the subject's PI, oldest first (X27/X31: an access request
        shows who received what)."""
        with self.units() as uow:
            return uow.provisions.of_subject(app_id, subject_id)

    def end_entrustment(
        self,
        app_id: str,
        recipient: str,
        connectors: Mapping[str, Connector],
        *,
        data_map: DataMap,
        actor: str | None = None,
    ) -> EntrustmentEndStatus:
        """Send the deletion instruction to the entrusted processor and track it (X21).

        The subjects come from the provision ledger; their records are found at the
        processor's webhook dataset and erased under one idempotency key, so running it
        again after a failure asks the processor once more and never twice for real. The
        status is stored ``sent`` before the call, then ``confirmed`` (with the
        processor's confirmation reference) or ``failed`` (with the error).
        """
        who = actor or self._actor
        declared = recipient_of(self.engine.declaration(app_id), recipient)
        instruction = end_entrustment(declared, app_id=app_id)
        dataset = processor_dataset(data_map, recipient)
        with self.units() as uow:
            subjects = uow.provisions.subjects_of(app_id, recipient)
            status = EntrustmentEndStatus(
                app_id=app_id,
                recipient=recipient,
                status="sent",
                instructed_at=self._clock(),
                actor=who,
                dataset=dataset.id,
                subjects=len(subjects),
            )
            uow.provisions.save_entrustment_end(status)
            uow.commit()
        connector = connectors[dataset.store]
        try:
            found = connector.find(dataset, {"user_id": subjects}) if subjects else []
            outcome = connector.erase(
                dataset,
                [r.key for r in found],
                hash_key=self._hash_key or b"",
                idempotency_key=instruction.idempotency_key,
            )
        except ConnectorError as exc:
            status = replace(status, status="failed", error=str(exc))
        else:
            status = replace(
                status,
                status="confirmed",
                affected=outcome.affected,
                confirmation=outcome.confirmation,
                confirmed_at=self._clock(),
            )
        with self.units() as uow:
            uow.provisions.save_entrustment_end(status)
            uow.commit()
        return status

    def entrustment_end(self, app_id: str, recipient: str) -> EntrustmentEndStatus | None:
        with self.units() as uow:
            return uow.provisions.entrustment_end(app_id, recipient)

    def confirm_entrustment_end(
        self,
        app_id: str,
        recipient: str,
        confirmation: str,
        *,
        affected: int | None = None,
        actor: str | None = None,
    ) -> EntrustmentEndStatus:
        """Record the processor's confirmation received outside the webhook (a letter, a
        signed statement) for an instruction still ``sent`` or ``failed`` (X21).

        Confirming again with the same reference changes nothing; another reference for
        a confirmed instruction is refused (:class:`EntrustmentEndConflict`).
        """
        reference = confirmation.strip()
        if not reference:
            raise ValueError(
                "the confirmation reference is empty; give the processor's deletion "
                "confirmation number"
            )
        if affected is not None and affected < 0:
            raise ValueError("the number of records the processor deleted cannot be negative")
        with self.units() as uow:
            current = uow.provisions.entrustment_end(app_id, recipient)
            if current is None:
                raise NoEntrustmentEnd(app_id, recipient)
            if current.status == "confirmed":
                if current.confirmation == reference:
                    return current
                raise EntrustmentEndConflict(recipient, current.confirmation or "")
            confirmed = replace(
                current,
                status="confirmed",
                confirmation=reference,
                confirmed_at=self._clock(),
                affected=current.affected if affected is None else affected,
                error=None,
                actor=actor or self._actor,
            )
            uow.provisions.save_entrustment_end(confirmed)
            uow.commit()
        return confirmed


class NoEntrustmentEnd(LookupError):
    def __init__(self, app_id: str, recipient: str) -> None:
        super().__init__(
            f"no deletion instruction was sent to recipient {recipient!r} of app {app_id}; "
            "end the entrustment first, then record the processor's confirmation"
        )
        self.recipient = recipient


class EntrustmentEndConflict(ValueError):
    def __init__(self, recipient: str, confirmation: str) -> None:
        super().__init__(
            f"the deletion by recipient {recipient!r} is already confirmed under reference "
            f"{confirmation!r}; a confirmation is recorded once — check the reference"
        )
        self.recipient = recipient
