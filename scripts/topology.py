"""A tested topology on this machine: 2 API processes, 2 Celery workers and beat (issue 16).

    .venv/bin/python scripts/topology.py            # start, print URLs and PIDs, Ctrl-C stops
    .venv/bin/python scripts/topology.py --check    # start, run the smoke, stop (exit 0 / 1)
    make topology                                   # the same as the first line

Everything runs on loopback, on this machine's PostgreSQL and RabbitMQ (and Redis for the
sample app's cache), and everything is made afresh for the run and removed at the end:

- one scratch PostgreSQL database ``yinsi_topology_<hex>``: yinsi's tables in ``public``
  (migrated, 小赢卡贷 published, an admin API key made), the sample lending back-end of the
  reference declaration in two schemas, ``app_core`` and ``app_risk`` (its data map's
  ``core`` and ``risk`` stores, reached with ``options=-csearch_path=…`` in their URLs);
- the sample's cache in Redis under a key prefix of the run;
- a RabbitMQ queue of the run, ``yinsi_topology_<hex>`` (``YINSI_JOBS__QUEUE``) on the
  default vhost, so two runs (or a run and the test suite) never take each other's jobs;
- ``yinsi serve`` on two ports (two processes, not ``--workers 2`` behind one port, so a
  client picks the process it talks to), ``yinsi worker --pool solo`` twice, ``yinsi beat``.

Every process logs to a file in the run's folder (``--folder``; default a temporary one,
deleted with the rest unless ``--keep``). The smoke (``--check``) files a deletion request
through process A, verifies, approves and runs it there (``202 Accepted``), follows its
status through process B until ``completed`` and checks that every step ran once.

The fault drills (``tests/test_fault_drills.py``) start this same topology through
:func:`topology` (with ``tests/topology.py``) and break it: broker cut, PostgreSQL blocked,
two ``:run`` at once, a worker killed with SIGKILL mid-erasure.
"""

# One file of ~550 lines on purpose: `python scripts/topology.py` needs nothing but the venv,
# and tests/topology.py loads this very file, so the drills run what the script starts.

from __future__ import annotations

import argparse
import base64
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import redis
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
DATA_MAP = ROOT / "examples" / "datamaps" / "xiaoying-kadai.yaml"
YINSI = Path(sys.executable).parent / "yinsi"
APP = "xiaoying_kadai"
STORE_URL_VARIABLES = {
    "core": "YINSI_SAMPLE_CORE_URL",
    "risk": "YINSI_SAMPLE_RISK_URL",
    "cache": "YINSI_SAMPLE_CACHE_URL",
}
SEED = 20261206
STARTUP_S = 60.0
STOP_S = 10.0


class TopologyError(Exception):
    """The topology could not start or the smoke failed; the message says what and where."""


@dataclass(frozen=True)
class Machine:
    """Where this machine's services are (loopback)."""

    postgres_admin_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672//"
    redis_url: str = "redis://127.0.0.1:6379/0"


@dataclass
class Process:
    """A started process: its role and name, command, log file and (for an API) base URL."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    base: str = ""
    ready: Callable[[], bool] = lambda: True
    """Whether it serves (API: ``/healthz`` answers; worker: consumes; beat: started)."""

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@dataclass
class Topology:
    """A running topology: where everything is, and the processes (API, workers, beat)."""

    run: str
    folder: Path
    url: str
    """yinsi's database (public schema of the scratch database)."""
    store_urls: dict[str, str]
    data_map: Path
    broker_url: str
    queue: str
    admin_key: str
    redis_prefix: str
    environ: dict[str, str]
    """What every process gets on top of this process's environment."""
    seeded: Any
    """The sample's truth (:class:`yinsi_demo.Seeded`): who holds which cells."""
    engines: dict[str, Engine]
    """The sample's SQL stores (``core``, ``risk``), for checks."""
    redis: redis.Redis
    apis: list[Process] = field(default_factory=list)
    workers: list[Process] = field(default_factory=list)
    beat: Process | None = None

    @property
    def processes(self) -> list[Process]:
        return [*self.apis, *self.workers, *([self.beat] if self.beat else [])]

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.admin_key}"}

    def start_api(self, name: str, port: int) -> Process:
        """Start ``yinsi serve`` on ``port`` with the app's data map (:meth:`wait_ready`)."""
        command = [str(YINSI), "serve", "--url", self.url, "--port", str(port)]
        command += ["--map", str(self.data_map), "--demo"]
        api = self._spawn(name, command)
        api.base = f"http://127.0.0.1:{port}"
        api.ready = lambda: _answers(api.base)
        self.apis.append(api)
        return api

    def start_worker(self, name: str) -> Process:
        """``yinsi worker --pool solo`` (one job at a time, in that very process: a
        SIGKILL of the process is a SIGKILL of the job); :meth:`wait_ready` waits for it."""
        command = [str(YINSI), "worker", "--url", self.url, "--map", str(self.data_map)]
        command += ["--pool", "solo", "--name", f"{name}-{self.run}@%h", "--loglevel", "INFO"]
        worker = self._spawn(name, command)
        worker.ready = lambda: b" ready." in worker.log.read_bytes()
        self.workers.append(worker)
        return worker

    def start_beat(self) -> Process:
        schedule = self.folder / "celerybeat-schedule"
        command = [str(YINSI), "beat", "--schedule-file", str(schedule), "--loglevel", "INFO"]
        beat = self._spawn("beat", command)
        beat.ready = lambda: b"beat: Starting" in beat.log.read_bytes()
        self.beat = beat
        return beat

    def wait_ready(self, *processes: Process) -> None:
        """Wait until each process (default: all) is ready; raises TopologyError naming
        the one that exited or did not get ready within STARTUP_S, with its log's end."""
        deadline = time.monotonic() + STARTUP_S
        for process in processes or self.processes:
            while not process.ready():
                if not process.alive():
                    raise TopologyError(f"{process.name} exited ({process.log}):\n{process.tail()}")
                if time.monotonic() > deadline:
                    raise TopologyError(
                        f"{process.name} not ready within {STARTUP_S:.0f} s:\n{process.tail()}"
                    )
                time.sleep(0.1)

    def _spawn(self, name: str, command: list[str]) -> Process:
        log = self.folder / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("YINSI_")}
        env.update(self.environ)
        with log.open("ab") as out:
            popen = subprocess.Popen(
                command,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: killed with its children
            )
        return Process(name, popen, log)

    def kill(self, process: Process, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the process's group; wait for it (SIGKILL after STOP_S)."""
        stop(process, sig)

    def stop_all(self) -> None:
        """SIGTERM to every process at once, then wait for each (SIGKILL after STOP_S)."""
        for process in self.processes:
            _signal(process, signal.SIGTERM)
        for process in self.processes:
            _reap(process)

    def describe(self) -> str:
        safe = make_url(self.url).render_as_string(hide_password=True)
        lines = [f"yinsi topology {self.run} (logs in {self.folder})", f"  database  {safe}"]
        lines.append(f"  broker    {_display(self.broker_url)}, queue {self.queue}")
        for api in self.apis:
            lines.append(f"  {api.name:<9} {api.base}  (pid {api.pid}, docs {api.base}/docs)")
        for process in [*self.workers, *([self.beat] if self.beat else [])]:
            lines.append(f"  {process.name:<9} pid {process.pid}  log {process.log}")
        lines.append(f"  admin API key (scratch topology, shown once): {self.admin_key}")
        return "\n".join(lines)


def stop(process: Process, sig: int = signal.SIGTERM) -> None:
    """``sig`` to the process's group, then SIGKILL if it is still there after STOP_S."""
    _signal(process, sig)
    _reap(process)


def _signal(process: Process, sig: int) -> None:
    if process.alive():  # never a reaped (maybe reused) pid
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)


def _reap(process: Process) -> None:
    try:
        process.popen.wait(timeout=STOP_S)
    except subprocess.TimeoutExpired:
        _signal(process, signal.SIGKILL)
        process.popen.wait(timeout=STOP_S)


def _display(url: str) -> str:
    from kombu.utils.url import maybe_sanitize_url

    return str(maybe_sanitize_url(url))


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


# ------------------------------------------------------------------ the scratch stores


@contextmanager
def scratch_database(admin_url: str, name: str) -> Iterator[str]:
    """A new PostgreSQL database ``name``: its URL; dropped (``WITH (FORCE)``) on leaving."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        raise TopologyError(f"PostgreSQL at {admin_url}: {exc.orig}") from None
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def schema_url(url: str, schema: str) -> str:
    """``url`` with ``schema`` first on the search path of every connection."""
    parsed = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


@contextmanager
def redis_prefix(url: str, prefix: str) -> Iterator[redis.Redis]:
    """A client of ``url``; the keys under ``prefix`` are deleted on leaving."""
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        yield client
    finally:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        client.close()


def delete_queue(broker_url: str, queue: str) -> None:
    from kombu import Connection

    with Connection(broker_url, connect_timeout=5) as conn:
        channel: Any = conn.default_channel  # kombu's stubs lack the AMQP methods
        channel.queue_delete(queue)


def _prepare_yinsi(url: str) -> str:
    """Migrate yinsi's tables, publish the declaration, make an admin API key (returned)."""
    from yinsi.security.api_keys import Scope
    from yinsi.services.root import Services
    from yinsi.storage import upgrade

    upgrade(url)
    with Services.open(url, actor="topology") as services:
        services.consent.publish(DECLARATION)
        scopes = [Scope.ADMIN, Scope.BACKEND, Scope.AUDITOR]
        _, secret = services.api_keys.create("topology", scopes)
    return secret


def _seed_sample(
    urls: Mapping[str, str], client: redis.Redis, prefix: str, subjects: int
) -> tuple[Any, dict[str, Engine]]:
    import yinsi_demo as sample
    from yinsi.storage import create_engine
    from yinsi.taxonomy.timezone import CHINA

    engines = {store: create_engine(urls[store]) for store in sample.SQL_STORES}
    sample.create(engines)
    today = datetime.now(CHINA).date()
    seeded = sample.seed(engines, client, prefix, subjects=subjects, seed=SEED, today=today)
    return seeded, engines


def _data_map_file(folder: Path, prefix: str) -> Path:
    """The example data map with the run's Redis prefix in front of its key patterns."""
    text = DATA_MAP.read_text(encoding="utf-8")
    path = folder / "datamap.yaml"
    path.write_text(text.replace('key: "', f'key: "{prefix}'), encoding="utf-8")
    return path


@contextmanager
def topology(
    folder: Path,
    *,
    machine: Machine | None = None,
    broker_url: str | None = None,
    api_ports: tuple[int, ...] = (0, 0),
    workers: int = 2,
    beat: bool = True,
    subjects: int = 10,
    lease_s: float = 5.0,
    more_environ: Mapping[str, str] | None = None,
) -> Iterator[Topology]:
    """Start the topology in ``folder`` (port 0: a free one) and stop and remove it all on
    leaving, whatever happened. ``broker_url`` (default: the machine's) lets the drills put
    a proxy between the processes and the broker; the queue is deleted on the machine's."""
    machine = machine or Machine()
    run = secrets.token_hex(5)
    name = f"yinsi_topology_{run}"
    folder.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database(machine.postgres_admin_url, name))
        admin = sa.create_engine(url)
        stack.callback(admin.dispose)
        with admin.begin() as conn:
            for schema in ("app_core", "app_risk"):
                conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        store_urls = {
            "core": schema_url(url, "app_core"),
            "risk": schema_url(url, "app_risk"),
            "cache": machine.redis_url,
        }
        prefix = f"yinsi_topo:{run}:"
        client = stack.enter_context(redis_prefix(machine.redis_url, prefix))
        seeded, engines = _seed_sample(store_urls, client, prefix, subjects)
        for engine in engines.values():
            stack.callback(engine.dispose)
        admin_key = _prepare_yinsi(url)
        stack.callback(delete_queue, machine.broker_url, name)
        environ = {
            **{STORE_URL_VARIABLES[s]: u for s, u in store_urls.items()},
            "YINSI_HOME": str(folder / "home"),
            "YINSI_ERASURE_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "YINSI_WEB_SECRET": secrets.token_hex(32),
            "YINSI_JOBS__BROKER_URL": broker_url or machine.broker_url,
            "YINSI_JOBS__QUEUE": name,
            "YINSI_JOBS__LEASE_S": str(lease_s),
            "YINSI_JOBS__RUN_RETRY_DELAY_S": "2",
            **(more_environ or {}),
        }
        topo = Topology(
            run=run,
            folder=folder,
            url=url,
            store_urls=store_urls,
            data_map=_data_map_file(folder, prefix),
            broker_url=broker_url or machine.broker_url,
            queue=name,
            admin_key=admin_key,
            redis_prefix=prefix,
            environ=environ,
            seeded=seeded,
            engines=engines,
            redis=client,
        )
        try:
            for i, port in enumerate(api_ports):
                topo.start_api(f"api-{'ab'[i] if i < 2 else i}", port or _free_port())
            for i in range(workers):
                topo.start_worker(f"worker-{i + 1}")
            if beat:
                topo.start_beat()
            topo.wait_ready()
            yield topo
        finally:
            topo.stop_all()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# ------------------------------------------------------------------ the smoke


def approved_deletion(topo: Topology, api: Process, uid: str) -> str:
    """File a deletion request for ``uid`` through ``api``, verify (ID suffix), approve."""
    with httpx.Client(base_url=api.base, headers=topo.headers, timeout=15) as client:
        body = {"subject_id": uid, "kind": "deletion", "trigger": "consent_withdrawn"}
        filed = _ok(client.post("/v1/requests", json=body), 201)
        request_id = str(filed["id"])
        suffix = topo.seeded.subject(uid).id_number[-6:]
        answer = {"answer": suffix, "method": "id_suffix"}
        _ok(client.post(f"/v1/requests/{request_id}:verify", json=answer), 200)
        _ok(client.post(f"/v1/requests/{request_id}:approve"), 200)
    return request_id


def status_of(topo: Topology, api: Process, request_id: str) -> str:
    answer = httpx.get(f"{api.base}/v1/requests/{request_id}", headers=topo.headers, timeout=15)
    return str(_ok(answer, 200)["status"])


def wait_status(topo: Topology, api: Process, request_id: str, wanted: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (now := status_of(topo, api, request_id)) != wanted:
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {w.name}\n{w.tail(1500)}" for w in topo.workers)
            raise TopologyError(
                f"request {request_id} is {now}, not {wanted}, after {seconds} s\n{logs}"
            )
        time.sleep(0.2)


def _ok(answer: httpx.Response, status: int) -> dict[str, Any]:
    if answer.status_code != status:
        raise TopologyError(
            f"{answer.request.method} {answer.request.url.path}: {answer.status_code}, "
            f"expected {status}: {answer.text[:500]}"
        )
    body: dict[str, Any] = answer.json()
    return body


def _ok_list(answer: httpx.Response) -> list[dict[str, Any]]:
    if answer.status_code != 200:
        raise TopologyError(f"{answer.request.url.path}: {answer.status_code}: {answer.text[:500]}")
    items: list[dict[str, Any]] = answer.json()
    return items


def smoke(topo: Topology) -> str:
    """A deletion request end to end: filed and run through A, followed through B."""
    import yinsi_demo as sample

    a, b = topo.apis[0], topo.apis[1]
    uid = topo.seeded.of(sample.Profile.NO_LOAN)[0].user_id
    request_id = approved_deletion(topo, a, uid)
    ran = httpx.post(f"{a.base}/v1/requests/{request_id}:run", headers=topo.headers, timeout=15)
    _ok(ran, 202)
    wait_status(topo, b, request_id, "completed", 60)
    steps = httpx.get(f"{b.base}/v1/requests/{request_id}/steps", headers=topo.headers, timeout=15)
    items = _ok_list(steps)
    undone = [s for s in items if s["status"] != "done" or s["attempts"] != 1]
    if not items or undone:
        raise TopologyError(f"request {request_id}: steps not each done once: {undone or items}")
    return f"smoke: request {request_id} run through {a.base}, completed as seen by {b.base} ({len(items)} steps, each once)"


# ------------------------------------------------------------------ the command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="run the smoke, then stop")
    parser.add_argument("--api-port", type=int, action="append", help="twice (default: free ports)")
    parser.add_argument("--subjects", type=int, default=20, help="users of the sample app")
    parser.add_argument("--folder", type=Path, help="logs and homes (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the folder at the end")
    parser.add_argument("--postgres", default=Machine.postgres_admin_url, help="an admin URL")
    parser.add_argument("--broker", default=Machine.broker_url, help="the RabbitMQ URL")
    parser.add_argument("--redis", default=Machine.redis_url, help="the Redis URL")
    args = parser.parse_args(argv)
    ports = tuple(args.api_port or (0, 0))
    if len(ports) != 2:
        parser.error("--api-port: give it twice (process A and process B), or not at all")
    folder = args.folder or Path(tempfile.mkdtemp(prefix="yinsi-topology-"))
    machine = Machine(args.postgres, args.broker, args.redis)
    stopping = False

    def interrupted(signum: int, frame: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):  # SIGINT even when started with `&`
        signal.signal(sig, interrupted)  # once: a second Ctrl-C does not cut the cleanup
    try:
        with topology(folder, machine=machine, api_ports=ports, subjects=args.subjects) as topo:
            print(topo.describe(), flush=True)
            if args.check:
                print(smoke(topo), flush=True)
                return 0
            print("Ctrl-C stops everything and removes the database, queue and keys.", flush=True)
            while all(p.alive() for p in topo.processes):
                time.sleep(0.5)
            dead = [p for p in topo.processes if not p.alive()]
            for p in dead:
                print(f"{p.name} exited ({p.popen.returncode}):\n{p.tail()}", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 0
    except TopologyError as exc:
        print(f"topology: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep and not args.folder:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
