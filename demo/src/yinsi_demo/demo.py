"""The demo tenant (``yinsi demo seed``, ``make demo``): 小赢卡贷 with a few hundred users.

:func:`seed_demo` builds, in yinsi's database and in sample stores it creates in a folder:

- the sample lending back-end (:mod:`yinsi_demo`) of ``users`` people whose names and
  street names come from Faker's ``zh_CN`` locale, on SQLite files + Redis;
- 小赢卡贷 v1.3 published on its effective date, and v1.4 published 12 days ago;
- years of consent history (:mod:`yinsi_demo.demo_plan`): acceptances, grants that
  match what the stores hold, withdrawals, cancelled accounts, users who accepted v1.4,
  declined it or not answered yet (the re-consent campaign's audience), guests who
  declined the policy (browse-only);
- rights requests in every status, several overdue, legal holds and a security incident
  (:mod:`yinsi_demo.demo_desk`), each step run by the real services at its own time.

Everything is drawn from ``seed``: the same seed and ``now`` give the same people,
events and requests (request and hold ids are random, as in production). The folder
gets ``datamap.yaml`` and ``env`` (as ``yinsi sample seed`` writes them), ``users.tsv``
(every demo user), ``subjects.tsv`` (one untouched user per profile, for trying things
by hand) and ``featured.tsv`` (users worth opening in the privacy center).
"""

from __future__ import annotations

import os
import random
import time as timer
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy.engine import Engine as SqlEngine

import yinsi_demo as sample
from yinsi.consent import ConsentEvent
from yinsi.declaration import load
from yinsi.rights.deadlines import triage
from yinsi.services.consent import Engine, policy_consent_items
from yinsi.services.rights import RightsService
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.storage import create_engine, require_up_to_date, upgrade
from yinsi_demo import demo_stores as stores
from yinsi_demo import generators as gen
from yinsi_demo.demo_desk import CHINA, OPERATOR, CapturedSms, DemoClock, Desk, Step
from yinsi_demo.demo_ledger import append_history, subjects_of
from yinsi_demo.demo_plan import History, Published, UserFacts, plan_history
from yinsi_demo.demo_stores import DemoError
from yinsi_demo.demo_summary import DemoSummary, Featured, featured, standing, write_user_files

__all__ = ["DEFAULT_USERS", "DemoError", "DemoSummary", "Featured", "seed_demo"]

APP_ID = "xiaoying_kadai"
DEFAULT_USERS = 300
MIN_USERS = 50
"""Fewer users would leave some of the demo's scripts without a subject of their profile."""
DEMO_SEED = 20261123
V14_DAYS_AGO = 12
ACTOR = "demo"
"""Who the audit log names for the consent history (written in bulk by the seeding)."""
BATCH = 500
"""Consent events per progress step."""

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
DECLARATIONS = (
    EXAMPLES / "declarations" / "xiaoying-kadai.yaml",
    EXAMPLES / "declarations" / "xiaoying-kadai-v1.4.yaml",
)
DATA_MAP = EXAMPLES / "datamaps" / "xiaoying-kadai.yaml"

Progress = Callable[[str, int, int], None]
"""``(what is being done, steps done, steps in all)``."""


def seed_demo(
    folder: Path,
    *,
    url: str,
    users: int = DEFAULT_USERS,
    seed: int = DEMO_SEED,
    now: datetime | None = None,
    redis_url: str = "redis://127.0.0.1:6379/0",
    redis_prefix: str = "yinsi_demo:",
    environ: Mapping[str, str] | None = None,
    on_progress: Progress | None = None,
    migrate: bool = False,
) -> DemoSummary:
    """Build the demo tenant (see the module docstring) on yinsi's migrated database
    ``url`` and sample stores in ``folder`` (replaced); ``now`` defaults to the clock.
    ``migrate`` brings the database up to date first (``yinsi demo seed``; not counted in
    :attr:`DemoSummary.seconds`).

    ``environ`` is handed to the rights service (``YINSI_HOME``: where exports and the
    erasure key live; default: the process environment). Raises :class:`DemoError` when
    the database already holds the app's users, Redis is unreachable or ``users`` is
    below :data:`MIN_USERS`.
    """
    if migrate:
        upgrade(url)
    started = timer.perf_counter()
    if users < MIN_USERS:
        raise DemoError(f"the demo needs at least {MIN_USERS} users, got {users}")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    report = on_progress or _silent
    _refuse_seeded(url)
    folder = folder.resolve()
    report("样本业务数据", 0, 1)
    made = stores.Stores.create(folder, redis_url, redis_prefix)
    try:
        seeded = sample.seed(
            made.engines,
            made.redis,
            redis_prefix,
            subjects=users,
            seed=seed,
            today=now.astimezone(CHINA).date(),
            people=gen.FakerPeople(seed),
        )
        facts = stores.facts(made.engines, seeded)
    finally:
        made.close()
    map_path = stores.write_store_files(folder, made.urls, redis_prefix, DATA_MAP)
    env = {**(os.environ if environ is None else environ), **made.environ}
    tenant = _Tenant(url, env, DemoClock(now), random.Random(seed), seeded)
    summary = tenant.build(map_path, facts, report)
    summary = replace(
        summary,
        records=sum(seeded.counts.values()),
        seconds=timer.perf_counter() - started,
    )
    write_user_files(folder, seeded, summary, tenant.used)
    return summary


def _silent(_what: str, _done: int, _total: int) -> None:
    return None


def _refuse_seeded(url: str) -> None:
    db = create_engine(url)
    try:
        require_up_to_date(db)
        seen = subjects_of(db, APP_ID)
    finally:
        db.dispose()
    if seen:
        raise DemoError(
            f"the database already holds {seen} subjects of {APP_ID}: the demo seeds a new "
            "database (remove ./.yinsi/yinsi.db, or pass --url of an empty one, then "
            "`yinsi db upgrade`)"
        )


class _Tenant:
    """One seeding: plans the consent history and the desk's steps, runs them in time order."""

    def __init__(
        self,
        url: str,
        env: Mapping[str, str],
        clock: DemoClock,
        rng: random.Random,
        seeded: sample.Seeded,
    ) -> None:
        self.url, self.env, self.clock, self.rng, self.seeded = url, env, clock, rng, seeded
        self.now = clock.now
        self.today = clock.now.astimezone(CHINA).date()
        self.used: set[str] = set()
        self.cancelled: set[str] = set()
        self.history = History(APP_ID)

    def build(self, map_path: Path, facts: Sequence[UserFacts], report: Progress) -> DemoSummary:
        self.cancelled = {f.user_id for f in facts if f.cancelled_at is not None}
        first, latest = load(DECLARATIONS[0]), load(DECLARATIONS[1])
        self.clock.now = datetime.combine(first.policy.effective, time(10), CHINA)
        with Engine(self.url, clock=self.clock, actor=OPERATOR) as engine:
            engine.publish(DECLARATIONS[0])  # on its effective date; v1.4 in the timeline
        v14_day = self.today - timedelta(days=V14_DAYS_AGO)
        versions = (
            Published(first.policy.version, self.clock.now),
            Published(latest.policy.version, datetime.combine(v14_day, time(10), CHINA)),
        )
        self.history = plan_history(
            APP_ID,
            facts,
            versions,
            policy_consent_items(first),
            guests=max(3, len(facts) // 20),
            now=self.now,
            rng=self.rng,
        )
        self.clock.now = self.now
        with Services.open(
            self.url,
            data_map=map_path,
            environ=self.env,
            sms=CapturedSms(),
            actor=OPERATOR,
            clock=self.clock,
            settings=Settings(demo=True),  # the incident's notices: nothing is sent
        ) as services:
            self.clock.now = versions[0].at  # the key is anchored as the history begins
            _ = services.erasure_key
            self.clock.now = self.now
            service = services.rights
            desk = Desk(services, self.seeded, self.env, self.clock, self.rng, self._pick)
            publish = partial(service.engine.publish, DECLARATIONS[1], actor=OPERATOR)
            steps = [Step(versions[1].at, "发布第1.4版隐私政策", lambda: _ignore(publish()))]
            steps += desk.steps(map_path.parent / "incidents")
            events = self._run(steps, report)
            desk.check()
            self.clock.now = self.now
            return self._summary(service, desk, versions, events, map_path.parent)

    def _pick(self, profile: sample.Profile, at: datetime | None, needs: str | None) -> str:
        """A subject of ``profile`` with no script yet and an open account, holding ``needs``
        when filing at ``at``; their consent history stops there (the request takes over).
        ``at`` None: a legal hold, the history goes on."""
        candidates = [
            s.user_id
            for s in self.seeded.of(profile)
            if s.user_id not in self.used
            and s.user_id not in self.cancelled
            and (
                needs is None or at is None or needs in self.history.state_at(s.user_id, at).granted
            )
        ]
        if not candidates:
            raise DemoError(
                f"no {profile.value} user left for the demo's scripts; seed more users "
                f"(at least {MIN_USERS})"
            )
        chosen = self.rng.choice(candidates)
        self.used.add(chosen)
        if at is not None:
            self.history.truncate(chosen, after=at)
        return chosen

    def _run(self, steps: list[Step], report: Progress) -> int:
        """The steps in time order, the consent events before each written first."""
        events = self.history.in_order()
        steps = sorted(steps, key=lambda s: s.at)
        total = len(steps) + len(events) // BATCH + 1
        db = create_engine(self.url)
        written = done = 0
        try:
            for step in steps:
                due = written
                while due < len(events) and events[due].at < step.at:
                    due += 1
                batch = events[written:due]
                written += self._write(db, batch, report, done, total)
                done += len(batch) // BATCH
                self.clock.now = step.at
                report(step.label, done, total)
                step.run()
                done += 1
            written += self._write(db, events[written:], report, done, total)
        finally:
            db.dispose()
        report("完成", total, total)
        return written

    @staticmethod
    def _write(
        db: SqlEngine, events: Sequence[ConsentEvent], report: Progress, done: int, total: int
    ) -> int:
        if not events:
            return 0
        report("同意记录", done, total)
        return append_history(db, events, actor=ACTOR)

    def _summary(
        self,
        service: RightsService,
        desk: Desk,
        versions: tuple[Published, ...],
        events: int,
        folder: Path,
    ) -> DemoSummary:
        latest = versions[-1].version
        users = tuple(self.seeded.subjects)
        states = {uid: service.engine.state(APP_ID, uid) for uid in users}
        policy = Counter(standing(states[uid], latest, uid in self.cancelled) for uid in users)
        policy["guests"] = len(self.history.guests)
        granted = Counter(c for s in states.values() for c in s.granted)
        withdrawn = Counter(c for s in states.values() for c in s.withdrawn)
        requests = service.requests()
        still_open = [r for r in requests if r.due is not None and not r.status.closed]
        split = triage(
            still_open,
            self.today,
            key=lambda r: r.due.date if r.due else self.today,
            calendar=service.calendar,
        )
        behind = [
            u
            for u in users
            if u not in self.used and standing(states[u], latest, u in self.cancelled) == "behind"
        ]
        return DemoSummary(
            app_id=APP_ID,
            users=users,
            guests=tuple(self.history.guests),
            versions=versions,
            policy=dict(policy),
            consents={
                c.id: (granted[c.id], withdrawn[c.id])
                for c in service.engine.declaration(APP_ID).consents
            },
            requests=dict(Counter(r.status for r in requests)),
            overdue=len(split.overdue),
            holds=len(desk.holds) - len(desk.released),
            released_holds=len(desk.released),
            incidents=tuple(desk.incidents),
            events=events,
            records=0,
            featured=featured(self.seeded, desk, behind),
            folder=folder,
            seconds=0.0,
        )


def _ignore(_value: object) -> None:
    return None
