"""The provision ledger, entrustment ends and incidents on SQLite and PostgreSQL
(migration 0005), every write audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from yinsi.lifecycle.incidents import Incident, IncidentStatus, Notification
from yinsi.lifecycle.sharing import EntrustmentEndStatus, Provision
from yinsi.storage import IncidentExists, IncidentNotFound, SqlUnitOfWork, upgrade
from yinsi.storage.migrate import downgrade

pytest_plugins = ["storage_fixtures"]

APP = "xiaoying_kadai"
T0 = datetime(2025, 6, 16, 9, 30, tzinfo=UTC)


def provision(subject: str, recipient: str = "funders", **kw: Any) -> Provision:
    base = Provision(
        app_id=APP,
        subject_id=subject,
        recipient=recipient,
        elements=("name", "id_number"),
        purpose="loan_service",
        basis="consent",
        at=T0,
        actor="backend",
        consent_id="funder_sharing",
        policy_version="1.3",
    )
    return replace(base, **kw)


def test_w11_provision_ledger_records_and_lists_a_subjects_provisions(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        first = uow.provisions.record(provision("u1"))
        uow.provisions.record(provision("u2"))
        uow.provisions.record(
            provision(
                "u1",
                "state_organs",
                basis="legal_basis:legal_duty",
                consent_id=None,
                at=T0.replace(hour=10),
            )
        )
        uow.commit()
    assert first.id is not None
    with SqlUnitOfWork(engine) as uow:
        shown = uow.provisions.of_subject(APP, "u1")
        assert [(p.recipient, p.basis) for p in shown] == [
            ("funders", "consent"),
            ("state_organs", "legal_basis:legal_duty"),
        ]
        assert shown[0] == replace(provision("u1"), id=first.id)
        assert uow.provisions.subjects_of(APP, "funders") == ["u1", "u2"]
        audited = [e for e in uow.audit.entries() if e.action == "provision.recorded"]
        assert len(audited) == 3
        assert audited[0].details["elements"] == ["name", "id_number"]


def test_a_provision_with_an_id_is_not_recorded_twice(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow, pytest.raises(ValueError, match="already in the ledger"):
        uow.provisions.record(replace(provision("u1"), id=7))


def test_x21_entrustment_end_status_is_tracked(engine: Engine) -> None:
    sent = EntrustmentEndStatus(APP, "post_loan_collection", "sent", T0, "cli", "collector", 3)
    with SqlUnitOfWork(engine) as uow:
        assert uow.provisions.entrustment_end(APP, "post_loan_collection") is None
        uow.provisions.save_entrustment_end(sent)
        uow.commit()
    done = replace(sent, status="confirmed", affected=3, confirmation="DEL-1", confirmed_at=T0)
    with SqlUnitOfWork(engine) as uow:
        uow.provisions.save_entrustment_end(done)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.provisions.entrustment_end(APP, "post_loan_collection") == done
        actions = [e.action for e in uow.audit.entries()]
    assert actions[-2:] == ["entrustment.end.sent", "entrustment.end.confirmed"]


def incident(incident_id: str = "inc_1") -> Incident:
    return Incident(
        id=incident_id,
        app_id=APP,
        title="数据库未授权访问",
        what_happened="一台测试服务器的数据库端口对外开放。",
        occurred_at=T0,
        discovered_at=T0.replace(hour=11),
        datasets=("users",),
        elements=("name", "mobile_number"),
        possible_harm="可能被用于诈骗。",
        measures="已关闭端口。",
        user_advice="警惕诈骗电话。",
        opened_at=T0.replace(hour=12),
        opened_by="cli",
    )


def test_x26_incidents_are_opened_updated_listed_with_their_subjects(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.incidents.open(incident())
        with pytest.raises(IncidentExists):
            uow.incidents.open(incident())
        uow.commit()
    notified = replace(incident(), affected_count=2).notified(
        [
            Notification("users", "推送通知", T0, "cli", 2),
            Notification("regulator", "网信部门", T0, "cli"),
        ]
    )
    with SqlUnitOfWork(engine) as uow:
        uow.incidents.update(notified, actor="cli", subjects=["u2", "u1", "u2"])
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.incidents.get("inc_1") == notified
        assert uow.incidents.subjects("inc_1") == ["u1", "u2"]
        assert [i.id for i in uow.incidents.list(APP, statuses=[IncidentStatus.NOTIFIED])] == [
            "inc_1"
        ]
        assert uow.incidents.list(APP, statuses=[IncidentStatus.CLOSED]) == []
        with pytest.raises(IncidentNotFound):
            uow.incidents.get("inc_x")
        actions = [e.action for e in uow.audit.entries()]
        texts = [str(e.details) for e in uow.audit.entries()]
    assert actions[-2:] == ["incident.opened", "incident.notified"]
    assert not any("端口" in t or "u1" in t for t in texts)  # no free text, no subject ids


def test_0005_downgrades_and_upgrades_again(engine: Engine) -> None:
    downgrade(engine, "0004")
    upgrade(engine)
    with SqlUnitOfWork(engine) as uow:
        uow.incidents.open(incident("inc_2"))
        uow.commit()
