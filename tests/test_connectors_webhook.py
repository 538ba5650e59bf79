"""The webhook connector against a real local HTTP processor (``http.server`` in a thread).

The processor verifies every signature with :func:`verify_signature`, can fail its first
calls with 503 (or any status), records what it received, and acts once per
``Idempotency-Key``, as the contract asks of entrusted processors.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from yinsi.connectors import (
    RetryPolicy,
    SignatureError,
    WebhookConnector,
    connect,
    sign,
    verify_signature,
)
from yinsi.declaration.datamap import DataMap
from yinsi.rights.ports import ConnectorError, EraseOutcome, HoldFacts

SECRET = "whsec-test-0123456789abcdef"
HASH_KEY = b"k" * 32
FAST = RetryPolicy(max_attempts=4, base_delay_s=0.001, max_delay_s=0.01)


@dataclass
class Processor:
    """What the fake processor holds, how it misbehaves, and what it received."""

    records: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "case-1": {"user_id": "u1", "name": "张三", "mobile_number": "13812341234"},
            "case-2": {"user_id": "u1", "name": "张三", "mobile_number": "13812341234"},
            "case-9": {"user_id": "u9", "name": "王五", "mobile_number": "13700000000"},
        }
    )
    fail_first: int = 0
    fail_status: int = 503
    retry_after: str | None = None
    answer: dict[str, Any] | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: Any, body: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self.lock:
            self.received.append({"headers": dict(headers), "body": json.loads(body)})
            try:
                verify_signature(
                    SECRET, headers.get("X-Yinsi-Timestamp"), body, headers.get("X-Yinsi-Signature")
                )
            except SignatureError as exc:
                return 401, {}, {"error": str(exc)}
            if self.fail_first > 0:
                self.fail_first -= 1
                extra = {"Retry-After": self.retry_after} if self.retry_after else {}
                return self.fail_status, extra, {"error": "busy"}
            if self.answer is not None:
                return 200, {}, self.answer
            return 200, {}, self._act(headers["Idempotency-Key"], json.loads(body))

    def _act(self, idempotency_key: str, payload: dict[str, Any]) -> dict[str, Any]:
        if payload["action"] == "find":
            users = set(payload["identities"].get("user_id", []))
            return {
                "records": [
                    {"key": k, "values": v, "holds": {"collection_files": {"since": "2024-01-31"}}}
                    for k, v in sorted(self.records.items())
                    if v["user_id"] in users
                ]
            }
        if idempotency_key in self.done:  # the same instruction again: act once
            return self.done[idempotency_key]
        if payload["action"] == "erase":
            gone = [k for k in payload["keys"] if self.records.pop(k, None) is not None]
            answer = {
                "status": "done",
                "confirmation": f"DEL-{len(self.done) + 1}",
                "affected": len(gone),
            }
        else:
            [key] = payload["keys"]
            hit = key in self.records
            if hit:
                self.records[key][payload["name"]] = payload["value"]
            answer = {"status": "done", "affected": int(hit)}
        self.done[idempotency_key] = answer
        return answer


@pytest.fixture
def processor() -> Iterator[tuple[Processor, str]]:
    state = Processor()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, headers, answer = state.handle(self.headers, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in {**headers, "Content-Type": "application/json"}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/yinsi/hook"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


DATA_MAP = DataMap.model_validate(
    {
        "app": "lending_test",
        "stores": [
            {
                "id": "collector",
                "kind": "webhook",
                "url": "${YINSI_T_HOOK_URL}",
                "secret": "${YINSI_T_HOOK_SECRET}",
            }
        ],
        "datasets": [
            {
                "id": "collection_cases",
                "label": "委托催收案件",
                "store": "collector",
                "elements": ["name", "mobile_number"],
            }
        ],
    }
)
CASES = DATA_MAP.dataset("collection_cases")


def _connector(
    url: str,
    http: httpx.Client,
    *,
    secret: str = SECRET,
    retry: RetryPolicy = FAST,
    sleeps: list[float] | None = None,
) -> WebhookConnector:
    return WebhookConnector(
        DATA_MAP.store("collector"),
        http,
        app="lending_test",
        retry=retry,
        environ={"YINSI_T_HOOK_URL": url, "YINSI_T_HOOK_SECRET": secret},
        sleep=(sleeps.append if sleeps is not None else lambda _: None),
    )


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


def test_find_sends_a_signed_request_and_reads_records(
    processor: tuple[Processor, str], http: httpx.Client
) -> None:
    state, url = processor
    found = _connector(url, http).find(CASES, {"user_id": ["u1", "u1"]})
    assert [r.key for r in found] == ["case-1", "case-2"]
    assert found[0].dataset == "collection_cases"
    assert found[0].values["name"] == "张三"
    assert found[0].holds == {"collection_files": HoldFacts(since=date(2024, 1, 31))}
    [call] = state.received
    assert call["body"] == {
        "action": "find",
        "dataset": "collection_cases",
        "app": "lending_test",
        "identities": {"user_id": ["u1"]},
        "elements": ["name", "mobile_number"],
        "idempotency_key": call["headers"]["Idempotency-Key"],
    }
    assert call["headers"]["X-Yinsi-Signature"].startswith("sha256=")


def test_x21_deletion_instruction_to_a_processor_with_confirmation_tracked(
    processor: tuple[Processor, str], http: httpx.Client
) -> None:
    state, url = processor
    connector = _connector(url, http)
    keys = [r.key for r in connector.find(CASES, {"user_id": ["u1"]})]
    first = connector.erase(CASES, keys, hash_key=HASH_KEY, idempotency_key="req-7:step-3")
    again = connector.erase(CASES, keys, hash_key=HASH_KEY, idempotency_key="req-7:step-3")
    assert first == EraseOutcome(affected=2, confirmation="DEL-1")
    assert again == first  # the same instruction twice: the processor acted once
    assert sorted(state.records) == ["case-9"]
    erase_calls = [c for c in state.received if c["body"]["action"] == "erase"]
    assert [c["body"]["keys"] for c in erase_calls] == [keys, keys]
    assert {c["headers"]["Idempotency-Key"] for c in erase_calls} == {"req-7:step-3"}


def test_retries_503_with_backoff_and_the_same_idempotency_key(
    processor: tuple[Processor, str], http: httpx.Client
) -> None:
    state, url = processor
    state.fail_first = 3
    sleeps: list[float] = []
    outcome = _connector(url, http, sleeps=sleeps).erase(
        CASES, ["case-1"], hash_key=HASH_KEY, idempotency_key="step-9"
    )
    assert outcome == EraseOutcome(affected=1, confirmation="DEL-1")
    assert len(state.received) == 4
    assert {c["headers"]["Idempotency-Key"] for c in state.received} == {"step-9"}
    assert len(sleeps) == 3
    for attempt, slept in enumerate(sleeps, start=1):
        cap = min(FAST.max_delay_s, FAST.base_delay_s * 2 ** (attempt - 1))
        assert cap / 2 <= slept <= cap


def test_429_is_retried_after_its_retry_after(
    processor: tuple[Processor, str], http: httpx.Client
) -> None:
    state, url = processor
    state.fail_first, state.fail_status, state.retry_after = 1, 429, "0.005"
    sleeps: list[float] = []
    assert _connector(url, http, sleeps=sleeps).find(CASES, {"user_id": ["u9"]})
    assert len(sleeps) == 1 and sleeps[0] >= 0.005


def test_gives_up_after_max_attempts(processor: tuple[Processor, str], http: httpx.Client) -> None:
    state, url = processor
    state.fail_first = 100
    with pytest.raises(ConnectorError) as caught:
        _connector(url, http).erase(CASES, ["case-1"], hash_key=HASH_KEY, idempotency_key="s")
    assert "after 4 attempts (last: HTTP 503)" in str(caught.value)
    assert "same Idempotency-Key" in str(caught.value)
    assert len(state.received) == 4
    assert "case-1" in state.records


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_other_4xx_are_not_retried(
    status: int, processor: tuple[Processor, str], http: httpx.Client
) -> None:
    state, url = processor
    state.fail_first, state.fail_status = 100, status
    with pytest.raises(ConnectorError, match=f"refused the find request with HTTP {status}"):
        _connector(url, http).find(CASES, {"user_id": ["u1"]})
    assert len(state.received) == 1


def test_a_wrong_secret_is_refused_by_the_processor(
    processor: tuple[Processor, str], http: httpx.Client
) -> None:
    state, url = processor
    with pytest.raises(ConnectorError, match="HTTP 401: check that the store's secret"):
        _connector(url, http, secret="not-the-secret").find(CASES, {"user_id": ["u1"]})
    assert len(state.received) == 1


def test_x21_an_erasure_without_confirmation_is_not_done(
    processor: tuple[Processor, str], http: httpx.Client
) -> None:
    state, url = processor
    state.answer = {"status": "done", "affected": 2}
    with pytest.raises(ConnectorError, match=r"without a `confirmation` reference.*X21"):
        _connector(url, http).erase(CASES, ["case-1"], hash_key=HASH_KEY, idempotency_key="s")
    state.answer = {"status": "accepted", "confirmation": "Q-1"}
    with pytest.raises(ConnectorError, match=r"has not done the erase.*status 'accepted'"):
        _connector(url, http).erase(CASES, ["case-1"], hash_key=HASH_KEY, idempotency_key="s")


def test_an_unreadable_answer_is_an_error_without_its_content(
    processor: tuple[Processor, str], http: httpx.Client
) -> None:
    state, url = processor
    state.answer = {"rows": [{"name": "张三"}]}
    with pytest.raises(ConnectorError) as caught:
        _connector(url, http).find(CASES, {"user_id": ["u1"]})
    assert "records: Field required" in str(caught.value)
    assert "张三" not in str(caught.value)


def test_correct_sends_name_and_value(processor: tuple[Processor, str], http: httpx.Client) -> None:
    state, url = processor
    connector = _connector(url, http)
    assert connector.correct(CASES, "case-1", "name", "张三丰") == 1
    assert connector.correct(CASES, "case-404", "name", "无人") == 0
    assert state.records["case-1"]["name"] == "张三丰"
    body = state.received[0]["body"]
    assert (body["action"], body["keys"], body["name"], body["value"]) == (
        "correct",
        ["case-1"],
        "name",
        "张三丰",
    )
    with pytest.raises(ConnectorError, match="'id_number' is not an element or field"):
        connector.correct(CASES, "case-1", "id_number", "x")
    assert len(state.received) == 2


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_processors_records_cannot_be_scanned(
    processor: tuple[Processor, str], http: httpx.Client
) -> None:
    state, url = processor
    with pytest.raises(ConnectorError, match="records cannot be listed; ask it"):
        _connector(url, http).scan(CASES)
    assert state.received == []


def test_unreachable_processor_names_the_store_not_the_password(http: httpx.Client) -> None:
    url = f"http://collector:s3cret-pw@127.0.0.1:{_closed_port()}/hook?token=t0ken"
    sleeps: list[float] = []
    with pytest.raises(ConnectorError) as caught:
        _connector(url, http, sleeps=sleeps).find(CASES, {"user_id": ["u1"]})
    message = str(caught.value)
    assert message.startswith("store 'collector': the processor at http://collector:***@127.0.0.1:")
    assert "s3cret-pw" not in message and "t0ken" not in message
    assert "last: ConnectError" in message
    assert len(sleeps) == FAST.max_attempts - 1


def test_an_unset_secret_variable(http: httpx.Client) -> None:
    with pytest.raises(ConnectorError, match="YINSI_T_HOOK_SECRET is not set"):
        WebhookConnector(
            DATA_MAP.store("collector"), http, environ={"YINSI_T_HOOK_URL": "http://x/"}
        )


def test_the_factory_makes_and_closes_its_client(processor: tuple[Processor, str]) -> None:
    _, url = processor
    environ = {"YINSI_T_HOOK_URL": url, "YINSI_T_HOOK_SECRET": SECRET}
    connector = connect(DATA_MAP.store("collector"), app="lending_test", environ=environ)
    assert isinstance(connector, WebhookConnector)
    assert len(connector.find(CASES, {"user_id": ["u1"]})) == 2
    connector.close()
    with pytest.raises(RuntimeError):  # httpx refuses a closed client
        connector.find(CASES, {"user_id": ["u1"]})


# -- signatures -------------------------------------------------------------------------


def test_verify_signature_accepts_what_sign_made() -> None:
    body = b'{"action":"find"}'
    verify_signature(SECRET, "1767225600", body, sign(SECRET, "1767225600", body), now=1767225700)


@pytest.mark.parametrize(
    ("timestamp", "header", "body", "now", "problem"),
    [
        ("1767225600", "sha256=" + "0" * 64, b"{}", 1767225600, "does not match"),
        ("1767225600", None, b"{}", 1767225600, "missing or malformed X-Yinsi-Signature"),
        (None, "sha256=00", b"{}", 1767225600, "missing or malformed X-Yinsi-Timestamp"),
        ("-5", "sha256=00", b"{}", 1767225600, "malformed X-Yinsi-Timestamp"),
        ("1767225600", "SIGNED", b"{}", 1767225600, "(sha256=<hex>)"),
        ("1767225600", "GOOD", b'{"x":1}', 1767225600, "does not match"),  # body changed
        ("1767225600", "GOOD", b"{}", 1767225600 + 301, "a replay"),
        ("1767225600", "GOOD", b"{}", 1767225600 - 301, "a replay"),
    ],
)
def test_verify_signature_refuses_a_bad_request(
    timestamp: str | None, header: str | None, body: bytes, now: float, problem: str
) -> None:
    if header == "GOOD":
        header = sign(SECRET, "1767225600", b"{}")
    with pytest.raises(SignatureError) as caught:
        verify_signature(SECRET, timestamp, body, header, now=now)
    assert problem in str(caught.value)


@given(secret=st.binary(min_size=1), body=st.binary(), flip=st.integers(min_value=0))
def test_a_signature_covers_every_byte_of_the_body(secret: bytes, body: bytes, flip: int) -> None:
    header = sign(secret, "100", body)
    verify_signature(secret, "100", body, header, now=100)
    if body:
        i = flip % len(body)
        changed = body[:i] + bytes([body[i] ^ 1]) + body[i + 1 :]
        with pytest.raises(SignatureError):
            verify_signature(secret, "100", changed, header, now=100)
    with pytest.raises(SignatureError):
        verify_signature(secret + b"x", "100", body, header, now=100)


@given(attempt=st.integers(min_value=1, max_value=60), retry_after=st.none() | st.floats(0, 1e6))
def test_backoff_stays_within_its_bounds(attempt: int, retry_after: float | None) -> None:
    policy = RetryPolicy(max_attempts=5, base_delay_s=0.5, max_delay_s=30)
    delay = policy.delay(attempt, retry_after)
    cap = min(30.0, 0.5 * 2.0 ** (attempt - 1))
    assert cap / 2 <= delay <= max(cap, min(retry_after or 0, 30.0))
    assert delay <= 30.0
