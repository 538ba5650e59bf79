"""Every write the Engine makes is in the hash-chained audit log, and nothing else is."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import EXAMPLES
from yinsi import Engine
from yinsi.consent import Channel, Evidence
from yinsi.security import verify
from yinsi.storage import SqlUnitOfWork, create_engine

EVIDENCE = Evidence(Channel.APP, account="acct-9", signature_sha256="cd" * 32, client_ip="10.0.0.9")


def test_every_engine_write_is_audited_in_an_intact_chain(tmp_path: Path) -> None:
    db = tmp_path / "yinsi.db"
    with Engine.embedded(db, actor="backend-key-1") as e:
        e.publish(EXAMPLES / "xiaoying-kadai.yaml")
        e.publish(EXAMPLES / "xiaoying-kadai.yaml")  # same content: a no-op, not audited again
        e.accept_policy("xiaoying_kadai", "s1", evidence=EVIDENCE)
        e.grant("xiaoying_kadai", "s1", "location", evidence=EVIDENCE)
        e.withdraw("xiaoying_kadai", "s1", "location", evidence=EVIDENCE)
        e.decide(
            "xiaoying_kadai",
            "s1",
            element="precise_location",
            purpose="anti_fraud",
            scenario="location",
        )
    with SqlUnitOfWork(create_engine(f"sqlite:///{db}")) as uow:
        entries = list(uow.audit.entries())
        head = uow.audit.head()
    assert verify(entries, head) == []
    assert [e.action for e in entries] == [
        "policy.published",
        "consent.policy_accepted",
        "consent.consent_granted",  # the policy's own consent item, granted on acceptance
        "consent.consent_granted",
        "consent.consent_withdrawn",
    ]
    assert {e.actor for e in entries} == {"backend-key-1"}
    assert entries[0].details["version"] == "1.3" and entries[0].subject_id is None
    assert entries[-1].details["consent_id"] == "location"
    assert entries[-1].details["seq"] == 4 and entries[-1].subject_id == "s1"
    stored = json.dumps([dict(e.details) for e in entries], ensure_ascii=False)
    assert "acct-9" not in stored and "10.0.0.9" not in stored  # evidence stays in the ledger
