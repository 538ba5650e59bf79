"""PI obtained from third parties (X18; PIPL Art. 13, 14, 29; GB/T 35273 5.4): a provider is
vetted and registered (来源审查记录) before yinsi lets the app obtain PI from it; the
acquisition gate refuses an unvetted, revoked or expired source, an element or scenario
outside its vetting or the declaration, and what the subject's consent does not cover;
what is allowed is in the acquisition ledger, audited. A use of the PI beyond the
scenario/purpose it was obtained for is refused by the decision engine.

yinsi's database is SQLite or PostgreSQL (``empty_url``); 小赢卡贷's declaration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import EXAMPLES
from yinsi.cli.app import app as cli
from yinsi.client import YinsiClient
from yinsi.consent import Channel, Evidence
from yinsi.lifecycle.sourcing import AuthorisedBy, Source, SourceError, check_source
from yinsi.security.api_keys import Scope
from yinsi.server import create_app
from yinsi.services.root import Services
from yinsi.services.sourcing import AcquisitionOutcome
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade

pytest_plugins = ["storage_fixtures"]

CHINA = timezone(timedelta(hours=8))
APP = "xiaoying_kadai"
DAY = date(2026, 3, 2)
EVIDENCE = Evidence(Channel.APP, account="u1")
CREDIT = ("third_party_sources", "credit_assessment")


class Clock:
    def __init__(self, day: date) -> None:
        self.day = day

    def __call__(self) -> datetime:
        return datetime.combine(self.day, datetime.min.time(), CHINA) + timedelta(hours=10)


@dataclass
class World:
    services: Services
    clock: Clock
    url: str

    def vet(self, source_id: str = "baihang", **changes: Any) -> Source:
        fields: dict[str, Any] = {
            "name": "百行征信有限公司",
            "legal_ground": "个人征信业务经营许可（银征信许字〔2018〕1号）",
            "elements": ["third_party_query_results", "credit_report"],
            "scenarios": ["third_party_sources"],
            "authorised_by": AuthorisedBy.US,
            "authorisation_ref": "单独同意 third_party_data",
            "vetted_by": "合规部",
            "valid_until": DAY + timedelta(days=365),
        } | changes
        return self.services.sourcing.add_source(APP, source_id, **fields)

    def subject(self, subject_id: str = "u1", *consents: str) -> str:
        engine = self.services.consent
        engine.accept_policy(APP, subject_id, evidence=EVIDENCE)
        for consent in consents:
            engine.grant(APP, subject_id, consent, evidence=EVIDENCE)
        return subject_id

    def acquire(
        self, subject: str, *elements: str, source: str = "baihang", step: Any = CREDIT
    ) -> AcquisitionOutcome:
        scenario, purpose = step
        return self.services.sourcing.acquire(
            APP, subject, source, elements or ("third_party_query_results",), purpose, scenario
        )

    def actions(self) -> list[tuple[str, str | None, Any]]:
        with SqlUnitOfWork(self.services.database) as uow:
            return [(e.action, e.subject_id, e.details) for e in uow.audit.entries()]


@pytest.fixture
def world(empty_url: str) -> Iterator[World]:
    upgrade(empty_url)
    database = create_engine(empty_url)
    clock = Clock(DAY)
    services = Services(database, actor="test", clock=clock)
    services.consent.publish(EXAMPLES / "xiaoying-kadai.yaml")
    try:
        yield World(services, clock, empty_url)
    finally:
        services.close()
        database.dispose()


def test_x18_unregistered_source_is_refused_and_nothing_is_acquired(world: World) -> None:
    subject = world.subject("u1", "third_party_data")
    outcome = world.acquire(subject, source="unknown_broker")
    assert not outcome.decision.allowed and outcome.acquisition is None
    assert outcome.decision.reason == "source_not_registered"
    assert "未经来源审查" in outcome.decision.message
    assert world.services.sourcing.acquisitions(APP, subject) == []
    refused = [d for a, s, d in world.actions() if a == "acquisition.refused" and s == subject]
    assert refused and refused[0]["reason"] == "source_not_registered"


def test_x18_vetted_source_within_scope_and_consent_is_acquired_and_audited(
    world: World,
) -> None:
    world.vet()
    subject = world.subject("u1", "third_party_data")
    outcome = world.acquire(subject, "third_party_query_results", "credit_report")
    assert outcome.decision.allowed and outcome.decision.reason == "allowed"
    acquisition = outcome.acquisition
    assert acquisition is not None and acquisition.id is not None
    assert "third_party_data" in acquisition.consent_ids
    [stored] = world.services.sourcing.acquisitions(APP, subject)
    assert stored.source_id == "baihang" and stored.scenario == "third_party_sources"
    assert stored.elements == ("third_party_query_results", "credit_report")
    assert stored.purpose == "credit_assessment" and stored.policy_version == "1.3"
    actions = world.actions()
    assert ("source.vetted", None) in [(a, s) for a, s, _ in actions]
    [recorded] = [d for a, s, d in actions if a == "acquisition.recorded"]
    assert recorded["source"] == "baihang" and recorded["consents"] == list(stored.consent_ids)


def test_x18_without_the_separate_consent_the_acquisition_is_refused(world: World) -> None:
    world.vet()
    outcome = world.acquire(world.subject("u2"))
    assert not outcome.decision.allowed
    assert outcome.decision.consent_ids == ("third_party_data",)
    assert outcome.decision.reason in {"no_consent", "separate_consent_required"}


def test_x18_withdrawn_consent_makes_the_next_acquisition_refuse(world: World) -> None:
    world.vet()
    subject = world.subject("u1", "third_party_data")
    assert world.acquire(subject).decision.allowed
    world.services.consent.withdraw(APP, subject, "third_party_data", evidence=EVIDENCE)
    outcome = world.acquire(subject)
    assert outcome.decision.reason == "consent_withdrawn"
    assert outcome.decision.consent_ids == ("third_party_data",)
    assert "撤回" in outcome.decision.message
    assert len(world.services.sourcing.acquisitions(APP, subject)) == 1


def test_x18_expired_revoked_or_not_yet_valid_vetting_is_refused(world: World) -> None:
    world.vet(valid_until=DAY + timedelta(days=10))
    subject = world.subject("u1", "third_party_data")
    assert world.acquire(subject).decision.allowed
    world.clock.day = DAY + timedelta(days=11)
    assert world.acquire(subject).decision.reason == "source_expired"
    world.clock.day = DAY
    world.services.sourcing.revoke(APP, "baihang", reason="许可证被注销")
    assert world.acquire(subject).decision.reason == "source_revoked"
    world.vet(vetted_on=DAY + timedelta(days=5))  # re-vetted after the revocation
    assert world.acquire(subject).decision.reason == "source_not_yet_valid"
    world.clock.day = DAY + timedelta(days=5)
    assert world.acquire(subject).decision.allowed
    with pytest.raises(SourceError, match="revoke it first"):
        world.vet()
    revoked = [d for a, _, d in world.actions() if a == "source.revoked"]
    assert revoked == [{"source": "baihang", "reason": "许可证被注销"}]


def test_x18_element_or_scenario_outside_the_vetting_is_refused(world: World) -> None:
    world.vet(elements=["third_party_query_results"])
    world.vet(
        "clearing",
        name="转接清算交易机构",
        party="clearing_institution",
        elements=["transaction_behaviour_tags"],
        scenarios=["transaction_tags"],
        authorised_by=AuthorisedBy.US,
        authorisation_ref="单独同意 clearing_tags",
    )
    subject = world.subject("u1", "third_party_data", "clearing_tags")
    beyond = world.acquire(subject, "credit_report")
    assert beyond.decision.reason == "element_out_of_source_scope"
    other = world.acquire(subject, "third_party_query_results", source="clearing")
    assert other.decision.reason == "element_out_of_source_scope"
    tags = ("transaction_tags", "user_profiling")
    wrong = world.acquire(subject, "transaction_behaviour_tags", step=tags)
    assert wrong.decision.reason == "element_out_of_source_scope"
    right = world.acquire(subject, "transaction_behaviour_tags", source="clearing", step=tags)
    assert right.decision.allowed, right.decision
    assert world.services.sourcing.acquisitions(APP, subject)[0].consent_ids[-1] == "clearing_tags"


def test_x18_scenario_that_declares_no_third_party_pi_cannot_be_a_source(world: World) -> None:
    with pytest.raises(SourceError, match="does not declare PI obtained from a third party"):
        world.vet(scenarios=["third_party_sources", "registration"])
    with pytest.raises(SourceError, match="not declared in scenario"):
        world.vet(elements=["third_party_query_results", "face"])
    with pytest.raises(SourceError, match="not a party"):
        world.vet(party="no_such_recipient")
    with pytest.raises(SourceError, match="legal ground"):
        world.vet(legal_ground="  ")
    with pytest.raises(SourceError, match="valid_until"):
        world.vet(valid_until=DAY - timedelta(days=1))
    assert world.services.sourcing.sources(APP) == []
    # a record that slipped past the register (e.g. an older declaration) is still refused
    declaration = world.services.consent.declaration(APP)
    stale = Source(
        APP, "old", "旧来源", "许可", ("mobile_number",), ("registration",), AuthorisedBy.US,
        "ref", "合规部", DAY, DAY + timedelta(days=1),
    )  # fmt: skip
    reason = check_source(declaration, stale, ["mobile_number"], "registration", DAY)
    assert reason == "not_declared_from_third_party"


def test_x18_use_beyond_the_acquisitions_scope_is_refused_by_the_engine(world: World) -> None:
    world.vet()
    subject = world.subject("u1", "third_party_data", "marketing_messages")
    [acquisition] = [world.acquire(subject).acquisition]
    assert acquisition is not None
    engine = world.services.consent
    within = engine.decide(
        APP, subject, element="third_party_query_results", purpose="anti_fraud",
        scenario="third_party_sources",
    )  # fmt: skip
    assert within.allowed
    for scenario, purpose in [
        ("third_party_sources", "marketing"),
        ("marketing_messages", "marketing"),
        ("personalised_recommendation", "personalised_recommendation"),
    ]:
        beyond = engine.decide(
            APP, subject, element="third_party_query_results", purpose=purpose, scenario=scenario
        )
        assert not beyond.allowed and beyond.reason == "not_declared", (scenario, purpose)


def test_x18_sources_cli_adds_lists_and_revokes(world: World) -> None:
    runner = CliRunner()
    base = ["--url", world.url]
    added = runner.invoke(
        cli,
        ["sources", "add", APP, "pbc", "--name", "中国人民银行征信中心",
         "--legal-ground", "《征信业管理条例》第二十七条：金融信用信息基础数据库",
         "--element", "credit_report", "--scenario", "third_party_sources",
         "--authorised-by", "us", "--authorisation-ref", "单独同意 third_party_data",
         "--vetted-by", "合规部", "--valid-until", "2099-12-31", *base],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "中国人民银行征信中心" in added.output and "[有效]" in added.output
    listed = runner.invoke(cli, ["sources", "list", APP, *base])
    assert listed.exit_code == 0 and "pbc" in listed.output and "由我方取得" in listed.output
    bad = runner.invoke(
        cli,
        ["sources", "add", APP, "x", "--name", "某公司", "--legal-ground", "无",
         "--element", "face", "--scenario", "third_party_sources", "--authorisation-ref", "r",
         "--vetted-by", "合规部", "--valid-until", "2099-12-31", *base],
    )  # fmt: skip
    assert bad.exit_code == 1 and "not declared in scenario" in bad.output
    revoked = runner.invoke(cli, ["sources", "revoke", APP, "pbc", "--reason", "合作终止", *base])
    assert revoked.exit_code == 0 and "[已撤销]" in revoked.output
    [source] = world.services.sourcing.sources(APP)
    assert source.revoked_at is not None and source.revoke_reason == "合作终止"


def test_x18_acquisitions_over_http_and_the_client(world: World) -> None:
    world.vet()
    subject = world.subject("u1", "third_party_data")
    _, key = world.services.api_keys.create("lending", [Scope.BACKEND])
    _, auditor = world.services.api_keys.create("audit", [Scope.AUDITOR])
    path = f"/v1/apps/{APP}/subjects/{subject}/acquisitions"
    body = {"source": "baihang", "elements": ["credit_report"]}
    body |= {"purpose": "credit_assessment", "scenario": "third_party_sources"}
    with TestClient(create_app(world.services)) as http:
        headers = {"Authorization": f"Bearer {key}"}
        made = http.post(path, json=body, headers=headers)
        assert made.status_code == 201, made.text
        assert made.json()["acquisition"]["source"] == "baihang"
        refused = http.post(path, json=body | {"source": "nobody"}, headers=headers)
        assert refused.status_code == 403
        assert refused.json()["detail"]["reason"] == "source_not_registered"
        read = {"Authorization": f"Bearer {auditor}"}
        assert http.post(path, json=body, headers=read).status_code == 403
        [listed] = http.get(path, headers=read).json()
        assert listed["elements"] == ["credit_report"]
        sources = http.get(f"/v1/apps/{APP}/sources", headers=read).json()
        assert [s["source"] for s in sources] == ["baihang"] and sources[0]["in_force"]
        client = YinsiClient("http://testserver", key, http=http)
        decision, acquisition = client.acquire(
            APP, subject, "baihang", ["third_party_query_results"], "anti_fraud",
            "third_party_sources",
        )  # fmt: skip
        assert decision.allowed and acquisition is not None and acquisition.id is not None
        decision, none = client.acquire(
            APP, subject, "baihang", ["face"], "anti_fraud", "third_party_sources"
        )
        assert none is None and decision.reason == "element_out_of_source_scope"
        assert len(client.acquisitions(APP, subject)) == 2
