"""What yinsi costs the reference lending app (issue 15): its credit-line application.

The same request — ``POST /api/credit-line`` of examples/lending_app (X10: identity and
assessment data, two decisions of yinsi, the application stored encrypted in the app's
tables and provided to the funding provider through yinsi's sharing gate) — on four
builds of the same app (``lending_app.create_app``), each on its own SQLite files:

- **embedded**: yinsi in-process, its tables in the app's own SQLite file
  (``YINSI_DATABASE_URL`` = ``LENDING_DATABASE_URL``): the provision is written in the
  app's transaction (``Privacy.providing``), one commit and one disk sync for both;
- **own_file**: yinsi in-process on a SQLite file of its own (the app's default when
  ``YINSI_DATABASE_URL`` is not set): yinsi commits the provision (one sync), then the app
  commits its rows (another);
- **http**: yinsi over HTTP — the app's ``yinsi.client`` backend talking to the real
  service (``yinsi.server.create_app`` as ``yinsi serve`` builds it, under uvicorn in its
  own process on a free port, with a backend API key);
- **baseline**: the app with its yinsi calls taken out — its privacy backend replaced by
  ``lending_app.privacy_backends.AllowAll`` (allows every step, records nothing). The
  app's own work stays: validation, field encryption and blind indexes (yinsi's library,
  which a lender needs with or without yinsi's decisions), its tables, its transaction.

Before timing, each build registers ``USERS`` users through its own API and grants the
separate consents the application needs; the timed requests cycle over them. Requests are
sent one at a time to the app's ASGI callable (no server in front of the app, so only the
app and what it calls are timed), in rounds that alternate the builds (order rotated each
round) so that drift hits all four alike. Every answer must be 201. Median and p99 per
request in ms, requests/s (one at a time: count ÷ time spent in requests).

``vs_baseline`` = embedded median ÷ baseline median (issue 15's target: ≤ 1.2);
``vs_baseline_http`` and ``vs_baseline_own_file``: the same for those builds. Every build's
SQLite files run in WAL mode with ``synchronous = FULL`` (the app's and yinsi's settings). yinsi's SQLite files sync every commit to disk
(``PRAGMA synchronous = FULL``) unless ``YINSI_SQLITE_SYNCHRONOUS=NORMAL`` is set (then a
commit survives a process crash but not a power loss); the JSON names the level used.

    python benchmarks/app_overhead.py [--quick]
    YINSI_SQLITE_SYNCHRONOUS=NORMAL python benchmarks/app_overhead.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Iterator, MutableMapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from decisions import seed_service, server  # benchmarks/decisions.py: `yinsi serve` in a process
from fastapi import FastAPI
from lending_app import create_app
from lending_app.privacy_backends import AllowAll
from lending_app.settings import EXAMPLES, AppSettings
from lending_app.state import AppState

from yinsi.services.root import Services
from yinsi.storage.database import sqlite_synchronous

APP = "xiaoying_kadai"
DECLARATION = EXAMPLES / "declarations" / "xiaoying-kadai.yaml"
USERS = 20
CONSENTS = ("id_images", "face_recognition", "financial_info", "address_info", "funder_sharing")
"""Granted after registration (which grants ``id_number``): what the application needs."""
PASSWORD = "correct-horse-1"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(birth: date, serial: int) -> str:
    """A valid GB 11643 ID number (made up) of an adult born on ``birth``."""
    first = f"110101{birth:%Y%m%d}{serial:03d}"
    total = sum(int(d) * w for d, w in zip(first, _WEIGHTS, strict=True))
    return first + "10X98765432"[total % 11]


def application(number: str, phone: str) -> dict[str, Any]:
    """The credit-line form of the app's tests, for the user with ``number``."""
    return {
        "name": "张伟",
        "id_number": number,
        "id_photo_ref": "oss://idcards/u1-front.jpg",
        "face_ref": "oss://faces/u1-live.bin",
        "monthly_income": "12000",
        "residence_city": "北京市",
        "address": "北京市东城区东华门街道1号",
        "card_number": "6222020200112233445",
        "bank_name": "工商银行",
        "reserved_mobile": phone,
        "contacts": [{"name": "张强", "phone": "13900001111", "relation": "父亲"}],
    }


# ---------------------------------------------------------------- calling the app


async def call(app: FastAPI, method: str, path: str, body: Any, token: str = "") -> Any:
    """One request straight to the ASGI app; the decoded JSON answer (None for 204).

    Raises unless the status is 2xx. Cheaper than any client: only the app is timed.
    """
    content = b"" if body is None else json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"host", b"lending")]
    headers += [(b"content-length", str(len(content)).encode())]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("lending", 80),
    }
    done = asyncio.Event()
    sent = False
    answer: dict[str, Any] = {"status": 0, "body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": content, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")
            if not message.get("more_body"):
                done.set()

    await app(scope, receive, send)
    if not 200 <= answer["status"] < 300:
        raise RuntimeError(f"{method} {path}: {answer['status']} {answer['body'][:300]!r}")
    return json.loads(answer["body"]) if answer["body"] else None


# ---------------------------------------------------------------- the four builds


@dataclass
class Build:
    name: str
    app: FastAPI
    forms: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(token, application form) of each registered user."""
    users: list[str] = field(default_factory=list)
    times_ns: list[int] = field(default_factory=list)
    applied: int = 0

    @property
    def lending(self) -> AppState:
        found: AppState = self.app.state.lending
        return found

    async def register(self, users: int) -> None:
        for n in range(users):
            number = id_number(date(1980 + n % 20, 1 + n % 12, 1 + n % 28), n)
            phone = f"138{n:08d}"
            body: dict[str, Any] = {"phone": phone, "id_number": number, "password": PASSWORD}
            body |= {"accept_policy": True, "consents": ["id_number"]}
            signed_in = await call(self.app, "POST", "/api/register", body)
            token = signed_in["token"]
            self.users.append(signed_in["user_id"])
            for consent in CONSENTS:
                await call(self.app, "POST", f"/api/consents/{consent}", None, token)
            self.forms.append((token, application(number, phone)))

    async def apply(self, requests: int, timed: bool = True) -> None:
        for _ in range(requests):
            token, form = self.forms[self.applied % len(self.forms)]
            start = time.perf_counter_ns()
            await call(self.app, "POST", "/api/credit-line", form, token)
            elapsed = time.perf_counter_ns() - start
            self.applied += 1
            if timed:
                self.times_ns.append(elapsed)

    def figures(self) -> dict[str, Any]:
        ms = [t / 1e6 for t in self.times_ns]
        return {
            "requests": len(ms),
            "median_ms": round(statistics.median(ms), 3),
            "p99_ms": round(statistics.quantiles(ms, n=100)[98], 3),
            "requests_per_s": round(len(ms) / (sum(ms) / 1e3), 1),
        }

    def close(self) -> None:
        self.lending.privacy.close()
        self.lending.db.dispose()


def settings(folder: Path, **yinsi: str) -> AppSettings:
    folder.mkdir()
    return AppSettings(
        database_url=f"sqlite:///{folder / 'lending.db'}",
        keys_file=folder / "keys.json",
        declaration=DECLARATION,
        **yinsi,
    )


@contextmanager
def builds(folder: Path) -> Iterator[list[Build]]:
    """The baseline, embedded, http and own_file builds of the app (http's yinsi in its own
    process)."""
    with ExitStack() as stack:
        shared = f"sqlite:///{folder / 'embedded' / 'lending.db'}"  # the app's own file
        embedded = create_app(settings(folder / "embedded", yinsi_database_url=shared))
        own = f"sqlite:///{folder / 'yinsi-own_file.db'}"
        own_file = create_app(settings(folder / "own_file", yinsi_database_url=own))

        served = f"sqlite:///{folder / 'yinsi-http.db'}"
        key = seed_service(served)  # migrated, 小赢卡贷 published, a backend key
        base, _pid = stack.enter_context(server("yinsi", served))
        http = create_app(settings(folder / "http", yinsi_url=base, yinsi_api_key=key))

        bare = create_app(settings(folder / "baseline"), privacy_backend=AllowAll())
        found = [
            Build("baseline", bare),
            Build("embedded", embedded),
            Build("http", http),
            Build("own_file", own_file),
        ]
        try:
            yield found
        finally:
            for build in found:
                build.close()


def check_provisions(folder: Path, found: list[Build]) -> dict[str, int]:
    """Provisions yinsi recorded per build: one per application (the baseline: none asked)."""
    counts = {}
    files = {"embedded": folder / "embedded" / "lending.db"}
    for build in found[1:]:
        file = files.get(build.name, folder / f"yinsi-{build.name}.db")
        with Services.open(f"sqlite:///{file}") as services:
            counts[build.name] = sum(
                len(services.sharing.provisions(APP, user)) for user in build.users
            )
        if counts[build.name] != build.applied:
            raise RuntimeError(f"{build.name}: {counts[build.name]} provisions recorded")
    return counts


# ---------------------------------------------------------------- the run


async def run(found: list[Build], warmup: int, rounds: int, per_round: int) -> None:
    for build in found:
        await build.register(USERS)
        await build.apply(warmup, timed=False)
    for n in range(rounds):  # interleaved, the order rotated: drift hits all alike
        for build in found[n % len(found) :] + found[: n % len(found)]:
            await build.apply(per_round)


def machine() -> str:
    model = ""
    if Path("/proc/cpuinfo").exists():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{os.cpu_count()} CPU {model or platform.machine()}, {python}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests (< 1 minute)")
    args = parser.parse_args()
    warmup, rounds, per_round = (20, 3, 60) if args.quick else (100, 5, 400)
    load_average = os.getloadavg()[0]  # other work on the machine moves every figure
    with tempfile.TemporaryDirectory(prefix="yinsi_bench_") as folder:
        with builds(Path(folder)) as found:
            asyncio.run(run(found, warmup, rounds, per_round))
        recorded = check_provisions(Path(folder), found)
    figures = {b.name: b.figures() for b in found}
    base = figures["baseline"]["median_ms"]
    for name, f in figures.items():
        print(
            f"{name:>8}: median {f['median_ms']:.2f} ms, p99 {f['p99_ms']:.2f} ms, "
            f"{f['requests_per_s']} req/s ({f['requests']} requests, x{f['median_ms'] / base:.2f})"
        )
    print(
        json.dumps(
            {
                "benchmark": "app_overhead",
                "request": "POST /api/credit-line (examples/lending_app)",
                "users": USERS,
                "rounds": rounds,
                **figures,
                "provisions_recorded": recorded,
                "vs_baseline": round(figures["embedded"]["median_ms"] / base, 3),
                "vs_baseline_http": round(figures["http"]["median_ms"] / base, 3),
                "vs_baseline_own_file": round(figures["own_file"]["median_ms"] / base, 3),
                "yinsi_sqlite_synchronous": sqlite_synchronous(),
                "load_average_1m": round(load_average, 2),
                "load_average_1m_end": round(os.getloadavg()[0], 2),
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
