"""The sharing gate (issue 6, item 2): declared recipients, separate consent, statutory
bases, public disclosure and cross-border transfer, de-identification, the provision
ledger and the end of an entrustment (X19, X21, X22, X24, X37, W11)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yinsi.connectors import WebhookConnector, verify_signature
from yinsi.consent import Channel, ConsentState, Evidence
from yinsi.declaration.datamap import DataMap
from yinsi.declaration.loader import load
from yinsi.declaration.schema import Declaration, Recipient
from yinsi.lifecycle.sharing import (
    NotEntrusted,
    ProvisionReason,
    UnknownRecipient,
    deidentify_record,
    end_entrustment,
    provide,
    recipient_of,
)
from yinsi.services.consent import Engine
from yinsi.services.root import Services
from yinsi.services.sharing import SharingService
from yinsi.storage import create_engine

ROOT = Path(__file__).resolve().parent.parent
DECLARATION_PATH = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
APP = "xiaoying_kadai"
DECL = load(DECLARATION_PATH)
APP_EVIDENCE = Evidence(Channel.APP)


def state(
    *granted: str, withdrawn: tuple[str, ...] = (), restricted: tuple[str, ...] = ()
) -> ConsentState:
    return ConsentState(
        APP,
        "u1",
        accepted_version="1.3",
        granted=frozenset(granted),
        withdrawn=frozenset(withdrawn),
        restricted=frozenset(restricted),
    )


def with_recipients(*extra: dict[str, Any]) -> Declaration:
    added = [Recipient.model_validate(r) for r in extra]
    return DECL.model_copy(update={"recipients": [*DECL.recipients, *added]})


# ------------------------------------------------------------------ the gate (pure)


def test_x22_w11_provision_to_a_funder_needs_its_separate_consent() -> None:
    ask: dict[str, Any] = {
        "recipient": "funders",
        "elements": ["name", "id_number"],
        "purpose": "loan_service",
    }
    refused = provide(DECL, state(), **ask)
    assert not refused.allowed
    assert refused.reason == ProvisionReason.SEPARATE_CONSENT_REQUIRED
    assert refused.consent_id == "funder_sharing"
    allowed = provide(DECL, state("funder_sharing"), **ask)
    assert allowed.allowed and allowed.reason == "consent"
    assert allowed.consent_id == "funder_sharing"


def test_x22_withdrawn_consent_stops_provision() -> None:
    decision = provide(
        DECL,
        state(withdrawn=("funder_sharing",)),
        recipient="funders",
        elements=["name"],
        purpose="loan_service",
    )
    assert (decision.allowed, decision.reason) == (False, "consent_withdrawn")
    assert "撤回" in decision.message_zh


def test_w11_affiliate_gets_only_its_declared_elements() -> None:
    ok = provide(
        DECL,
        state("affiliate_sharing"),
        recipient="yingaigou_trading",
        elements=["name", "mobile_number"],
        purpose="affiliate_service",
    )
    assert ok.allowed
    too_much = provide(
        DECL,
        state("affiliate_sharing"),
        recipient="yingaigou_trading",
        elements=["name", "face"],
        purpose="affiliate_service",
    )
    assert (too_much.allowed, too_much.reason) == (False, "not_declared")
    assert too_much.missing == ("element:face",)


def test_x22_undeclared_recipient_and_purpose_are_refused() -> None:
    unknown = provide(DECL, state(), recipient="data_broker", elements=["name"], purpose="x")
    assert unknown.reason == "not_declared" and unknown.missing == ("recipient:data_broker",)
    purpose = provide(
        DECL, state("funder_sharing"), recipient="funders", elements=["name"], purpose="marketing"
    )
    assert purpose.reason == "not_declared" and purpose.missing == ("purpose:marketing",)
    with pytest.raises(UnknownRecipient, match="data_broker"):
        recipient_of(DECL, "data_broker")


def test_x19_statutory_provision_to_state_organs_needs_no_consent() -> None:
    decision = provide(
        DECL,
        state(restricted=("*",)),
        recipient="state_organs",
        elements=["id_number", "loan_records"],
        purpose="legal_compliance",
    )
    assert decision.allowed
    assert decision.reason == "legal_basis:legal_duty"
    assert decision.consent_id is None


def test_x28_restricted_elements_are_not_provided_on_consent() -> None:
    decision = provide(
        DECL,
        state("funder_sharing", restricted=("id_number",)),
        recipient="funders",
        elements=["name", "id_number"],
        purpose="loan_service",
    )
    assert (decision.allowed, decision.reason, decision.missing) == (
        False,
        "restricted",
        ("id_number",),
    )


def test_x21_entrusted_collection_agency_needs_no_consent_and_is_deidentified_where_possible() -> (
    None
):
    # 小赢卡贷 2.1 says the entrusted data are 脱敏 in its own words (the reference
    # declaration keeps them in a note, so the render adds no "在可能的情况下"); the gate's
    # knob for X21 is declared here.
    agency = next(r for r in DECL.recipients if r.id == "post_loan_collection")
    declared = DECL.model_copy(
        update={
            "recipients": [
                agency.model_copy(update={"de_identified": "where_possible"}) if r is agency else r
                for r in DECL.recipients
            ]
        }
    )
    decision = provide(
        declared,
        state(),
        recipient="post_loan_collection",
        elements=["name", "overdue_info"],
        purpose="post_loan_management",
    )
    assert decision.allowed and decision.reason == "entrusted"
    assert decision.de_identified == "where_possible" and decision.profile is None


PUBLIC = {
    "id": "winners_list",
    "kind": "public_disclosure",
    "name": "活动中奖名单公示",
    "purposes": ["marketing"],
    "elements": ["name", "mobile_number"],
    "consent": "marketing_messages",
}


def test_x24_no_public_disclosure_unless_declared_and_separately_consented() -> None:
    ask: dict[str, Any] = {"elements": ["name"], "purpose": "loan_service", "public": True}
    undeclared = provide(DECL, state("funder_sharing"), recipient="funders", **ask)
    assert (undeclared.allowed, undeclared.reason) == (False, "public_disclosure_not_declared")
    declared = with_recipients(PUBLIC)
    ask = {"recipient": "winners_list", "elements": ["name"], "purpose": "marketing"}
    assert provide(declared, state(), **ask).reason == "separate_consent_required"
    allowed = provide(declared, state("marketing_messages"), **ask)
    assert allowed.allowed and allowed.public


ABROAD = {
    "id": "hk_funder",
    "kind": "other_handler",
    "name": "境外资金方（香港）",
    "purposes": ["loan_service"],
    "elements": ["name", "id_number"],
    "legal_basis": "contract",
    "location": "abroad",
    "country": "中国香港",
    "consent": "funder_sharing",
}


def test_x37_no_cross_border_transfer_unless_declared_and_separately_consented() -> None:
    undeclared = provide(
        DECL,
        state("funder_sharing"),
        recipient="funders",
        elements=["name"],
        purpose="loan_service",
        cross_border=True,
    )
    assert (undeclared.allowed, undeclared.reason) == (False, "cross_border_not_declared")
    declared = with_recipients(ABROAD)
    ask: dict[str, Any] = {
        "recipient": "hk_funder",
        "elements": ["name"],
        "purpose": "loan_service",
    }
    # A contract basis does not lift the separate consent a transfer abroad needs (Art. 39).
    no_consent = provide(declared, state(), **ask)
    assert (no_consent.allowed, no_consent.reason) == (False, "separate_consent_required")
    allowed = provide(declared, state("funder_sharing"), **ask)
    assert allowed.allowed and allowed.cross_border and allowed.reason == "consent"


CLEARING = {
    "id": "clearing_full",
    "kind": "other_handler",
    "name": "转接清算交易机构",
    "purposes": ["user_profiling"],
    "elements": ["mobile_number", "id_number", "birth_date", "address", "face", "device_model"],
    "consent": "clearing_tags",
    "de_identified": "always",
}


def test_x22_always_deidentified_recipient_gets_the_record_through_its_profile() -> None:
    declared = with_recipients(CLEARING)
    elements = CLEARING["elements"]
    decision = provide(
        declared,
        state("clearing_tags"),
        recipient="clearing_full",
        elements=elements,
        purpose="user_profiling",
    )
    assert decision.allowed and decision.profile is not None
    record: dict[str, object] = {
        "mobile_number": "13812341234",
        "id_number": "11010519491231002X",
        "birth_date": date(1990, 5, 17),
        "address": "广东省深圳市南山区科技园路1号",
        "face": b"\x89PNG",
        "device_model": "iPhone 15",
    }
    out = deidentify_record(decision, record)
    assert out["mobile_number"] == "138****1234"
    assert out["id_number"] == "110105********002X"
    assert out["birth_date"] == date(1990, 1, 1)
    assert out["address"] == "广东省"
    assert "face" not in out
    assert out["device_model"] == "iPhone 15"  # identifies nobody alone: kept
    with pytest.raises(ValueError, match="did not cover"):
        deidentify_record(decision, {**record, "email": "a@b.cn"})


@given(st.lists(st.sampled_from(["name", "id_number", "face", "sms_code", "precise_location"])))
def test_x22_never_allows_an_element_not_declared_for_the_recipient(elements: list[str]) -> None:
    decision = provide(
        DECL,
        state("affiliate_sharing"),
        recipient="zuopeng_digital",
        elements=elements,
        purpose="affiliate_service",
    )
    declared = set(recipient_of(DECL, "zuopeng_digital").elements)
    assert decision.allowed == (set(elements) <= declared)


def test_x21_ending_an_entrustment_gives_the_deletion_instruction() -> None:
    instruction = end_entrustment(recipient_of(DECL, "post_loan_collection"), app_id=APP)
    assert instruction.recipient == "post_loan_collection"
    assert "overdue_info" in instruction.elements
    assert "删除" in instruction.text_zh and "第二十一条" in instruction.text_zh
    with pytest.raises(NotEntrusted, match="entrusted_processor"):
        end_entrustment(recipient_of(DECL, "funders"))


# ------------------------------------------------------------------ the service


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    Engine.embedded(tmp_path / "yinsi.db").close()
    with Services(create_engine(f"sqlite:///{tmp_path / 'yinsi.db'}")) as services:
        services.consent.publish(DECLARATION_PATH)
        yield services


@pytest.fixture
def engine(services: Services) -> Engine:
    return services.consent


def test_w11_provisions_are_recorded_and_shown_to_an_access_request(
    engine: Engine, services: Services
) -> None:
    service = SharingService(
        engine,
        units=services.units,
        provision_units=services.provision_units,
        actor="backend",
    )
    engine.accept_policy(APP, "u1", evidence=APP_EVIDENCE)
    refused = service.provide(APP, "u1", "funders", ["name"], "loan_service", {"name": "张三"})
    assert not refused.decision.allowed and refused.record is None and refused.provision is None
    engine.grant(APP, "u1", "funder_sharing", evidence=APP_EVIDENCE)
    outcome = service.provide(APP, "u1", "funders", ["name"], "loan_service", {"name": "张三"})
    assert outcome.record == {"name": "张三"}
    assert outcome.provision is not None and outcome.provision.id is not None
    service.provide(APP, "u1", "state_organs", ["id_number"], "legal_compliance")
    shown = service.provisions(APP, "u1")
    assert [(p.recipient, p.basis, p.consent_id) for p in shown] == [
        ("funders", "consent", "funder_sharing"),
        ("state_organs", "legal_basis:legal_duty", None),
    ]
    assert shown[0].policy_version == "1.3" and shown[0].actor == "backend"
    with services.units() as uow:
        actions = [e.action for e in uow.audit.entries()]
    assert actions.count("provision.recorded") == 2 and "provision.refused" in actions
    assert service.provisions(APP, "u2") == []


# A processor behind a signed webhook that holds the entrusted records (X21).
SECRET = "whsec-sharing-0123456789abcdef"


class _Processor(BaseHTTPRequestHandler):
    records: ClassVar[dict[str, str]] = {}
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        verify_signature(
            SECRET, self.headers["X-Yinsi-Timestamp"], body, self.headers["X-Yinsi-Signature"]
        )
        payload = json.loads(body)
        type(self).received.append(payload)
        if payload["action"] == "find":
            users = set(payload["identities"]["user_id"])
            answer: dict[str, Any] = {
                "records": [
                    {"key": k, "values": {"user_id": u}}
                    for k, u in self.records.items()
                    if u in users
                ]
            }
        else:
            gone = [k for k in payload["keys"] if self.records.pop(k, None) is not None]
            answer = {"status": "done", "confirmation": "DEL-2025-001", "affected": len(gone)}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def processor() -> Iterator[str]:
    _Processor.records = {"case-1": "u1", "case-2": "u1", "case-9": "u9"}
    _Processor.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Processor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/yinsi"
    server.shutdown()
    server.server_close()


def test_x21_entrustment_end_sends_erasure_and_tracks_the_confirmation(
    engine: Engine, services: Services, processor: str
) -> None:
    import httpx

    data_map = DataMap.model_validate(
        {
            "app": APP,
            "stores": [{"id": "collector", "kind": "webhook", "url": processor, "secret": SECRET}],
            "datasets": [
                {
                    "id": "post_loan_collection",
                    "label": "催收机构持有的信息",
                    "store": "collector",
                    "key": "case:{user_id}",
                    "elements": ["name", "overdue_info"],
                    "recipient": "post_loan_collection",
                }
            ],
        }
    )
    service = SharingService(
        engine,
        units=services.units,
        provision_units=services.provision_units,
        clock=lambda: datetime(2025, 6, 16, tzinfo=UTC),
    )
    service.provide(APP, "u1", "post_loan_collection", ["name"], "post_loan_management")
    with httpx.Client() as http:
        connector = WebhookConnector(data_map.stores[0], http, app=APP)
        status = service.end_entrustment(
            APP, "post_loan_collection", {"collector": connector}, data_map=data_map
        )
    assert status.status == "confirmed" and status.confirmation == "DEL-2025-001"
    assert (status.subjects, status.affected) == (1, 2)
    assert _Processor.records == {"case-9": "u9"}  # only what yinsi entrusted for u1
    erase = _Processor.received[-1]
    assert erase["idempotency_key"] == f"entrustment-end:{APP}:post_loan_collection"
    assert service.entrustment_end(APP, "post_loan_collection") == status
