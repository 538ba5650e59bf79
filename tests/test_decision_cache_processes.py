"""A withdrawal through one API process changes the next decision in another (issue 16).

Two real ``yinsi serve`` processes on one scratch PostgreSQL database, each with its
consent-state cache and change listener. Fifty times over, a consent is granted and
withdrawn through one process and the very next decision is asked of the other (the
processes swap roles each round; each decides twice before the withdrawal, so the
state is cached there). Half-way, both listeners' connections are killed
(``pg_terminate_backend``): decisions stay right while they reconnect, and both are
listening again at the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from decision_cache_fixtures import listeners
from served import free_port
from yinsi.consent import Channel, Evidence
from yinsi.security.api_keys import Scope
from yinsi.services.consent import Engine
from yinsi.services.root import Services
from yinsi.storage import upgrade

EXAMPLE = Path(__file__).resolve().parent.parent / "examples/declarations/xiaoying-kadai.yaml"
APP = "xiaoying_kadai"
LOCATION = {"element": "precise_location", "purpose": "anti_fraud", "scenario": "location"}
EVIDENCE = {"evidence": {"channel": "app", "account": "acct-1"}}
ROUNDS = 50


@contextmanager
def serve(url: str, home: Path) -> Iterator[httpx.Client]:
    """``yinsi serve`` on ``url`` in a subprocess: a client on its base URL."""
    port = free_port()
    env = {**os.environ, "YINSI_HOME": str(home)}
    env.pop("YINSI_WEB_SECRET", None)
    command = [str(Path(sys.executable).parent / "yinsi"), "serve", "--url", url]
    command += ["--port", str(port), "--demo"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "yinsi serve did not answer"
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=10) as client:
            yield client
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _reason(client: httpx.Client, headers: dict[str, str], subject: str) -> str:
    answer = client.post(
        f"/v1/apps/{APP}/subjects/{subject}/decisions", json=[LOCATION], headers=headers
    )
    assert answer.status_code == 200, answer.text
    reason: str = answer.json()[0]["reason"]
    return reason


def test_x29_w15_a_withdrawal_through_one_process_refuses_the_next_decision_in_the_other(
    tmp_path: Path,
) -> None:
    from storage_fixtures import postgres_database  # not a plugin here: import late

    with postgres_database() as url:
        upgrade(url)
        with Engine(url) as engine:
            engine.publish(EXAMPLE)
            engine.accept_policy(
                APP, "u1", evidence=Evidence(Channel.APP, account="u1", signature_sha256="0" * 64)
            )
        with Services.open(url) as services:
            _, secret = services.api_keys.create("two processes", [Scope.BACKEND])
        headers = {"authorization": f"Bearer {secret}"}
        with ExitStack() as stack:
            a = stack.enter_context(serve(url, tmp_path / "a"))
            b = stack.enter_context(serve(url, tmp_path / "b"))
            for client in (a, b):  # each starts its listener on its first decision
                assert _reason(client, headers, "u1") == "separate_consent_required"
            deadline = time.monotonic() + 10
            while len(listeners(url)) < 2:
                assert time.monotonic() < deadline, "the two listeners did not connect"
                time.sleep(0.05)
            killed: list[int] = []
            consent = f"/v1/apps/{APP}/subjects/u1/consents/location"
            for i in range(ROUNDS):
                writer, decider = (a, b) if i % 2 == 0 else (b, a)
                if i == ROUNDS // 2:
                    killed = listeners(url, kill=True)
                    assert len(killed) == 2
                granted = writer.post(f"{consent}:grant", json=EVIDENCE, headers=headers)
                assert granted.status_code == 200, granted.text
                assert _reason(decider, headers, "u1") == "consent", f"round {i}"
                assert _reason(decider, headers, "u1") == "consent", f"round {i}"
                withdrawn = writer.post(f"{consent}:withdraw", json=EVIDENCE, headers=headers)
                assert withdrawn.status_code == 200, withdrawn.text
                assert _reason(decider, headers, "u1") == "consent_withdrawn", f"round {i}"
            deadline = time.monotonic() + 10
            while True:  # both reconnected on new connections
                listening = listeners(url)
                if len(listening) == 2 and not set(listening) & set(killed):
                    break
                assert time.monotonic() < deadline, f"listeners {listening}, killed {killed}"
                time.sleep(0.05)
