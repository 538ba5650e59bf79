"""Deterministic synthetic data for the sample lending back-end, with its ground truth.

``seed(engines, redis, prefix, subjects=N, seed=S, today=D)`` inserts N users and what
a lending app keeps about them, cycling through the :class:`~yinsi.sample.truth.Profile`
kinds (outstanding loan, loan settled ~2 years ago, loan settled ~6 years ago and account
cancelled, no loan, one of each), plus marketing leads of people who never registered.
The same arguments always give the same rows. It returns a
:class:`~yinsi.sample.truth.Seeded` naming every PI value per user and what is held.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from types import MappingProxyType
from typing import Any

import redis
import sqlalchemy as sa
from redis.typing import EncodableT, FieldT
from sqlalchemy.engine import Engine

from yinsi.sample import generators as gen
from yinsi.sample.datamap import check_key_prefix
from yinsi.sample.lending import (
    CACHE,
    CORE,
    DATASETS,
    METADATA,
    REDIS_STRING_FIELD,
    SQL_STORES,
    SampleDataset,
    engine_of,
    identity_hash,
)
from yinsi.sample.truth import Cell, HeldRecord, Profile, Seeded, Subject

SAMPLE_IDENTITY_KEY = b"xiaoying-kadai-sample-identity-hash-key"
"""The sample app's HMAC key for phone and ID-number hashes (sample data only)."""

HOLD_RULE = "account_data"
HOLD_YEARS = 5
"""The declaration's ``account_data`` rule: kept 5 years (here: after a loan is settled)."""

SESSION_TTL_S = 7 * 24 * 3600
LOCATION_TTL_S = 24 * 3600
SMS_TTL_S = 30 * 60
"""Real apps expire SMS codes after about 5 minutes; 30 leaves slow test runs the data."""

PROFILES = tuple(Profile)
_CHUNK = 5000
_CENT = Decimal("0.01")
_RELATIONS = ("父亲", "母亲", "配偶", "兄弟", "姐妹", "同事", "朋友")
_TAGS = ("夜间活跃", "多头借贷低", "还款准时", "消费稳定", "新客", "高频登录", "异地登录")
_LEAD_SOURCES = ("抖音信息流", "微信朋友圈广告", "应用商店", "百度搜索", "合作渠道H5")


def seed(
    engines: Mapping[str, Engine],
    redis_client: redis.Redis | None,
    redis_prefix: str = "",
    *,
    subjects: int,
    seed: int,
    today: date,
    leads: int | None = None,
    identity_key: bytes = SAMPLE_IDENTITY_KEY,
    keep_truth: bool = True,
    people: gen.People | None = None,
) -> Seeded:
    """Insert the sample data; return its ground truth.

    ``engines`` has one engine per SQL store (``core``, ``risk``) whose tables
    :func:`~yinsi.sample.lending.create` made. Redis keys are written under
    ``redis_prefix`` (e.g. ``yinsi_test_1a2b:``); with ``redis_client=None`` the cache is
    left empty (a machine without Redis). ``leads`` non-user marketing leads are added
    (default: half the users, at least 3). ``keep_truth=False`` skips the per-value
    truth (``Seeded.cells`` empty) for benchmarks of millions of rows. ``people`` gives
    names and street names (default :data:`~yinsi.sample.generators.HAND_MADE`; the demo
    passes :class:`~yinsi.sample.generators.FakerPeople`).
    """
    if subjects < 1:
        raise ValueError(f"subjects must be at least 1, got {subjects}")
    check_key_prefix(redis_prefix)
    targets = {store: engine_of(engines, store) for store in SQL_STORES}
    builder = _Builder(
        rng=random.Random(seed),
        today=today,
        prefix=redis_prefix,
        key=identity_key,
        keep_truth=keep_truth,
        with_cache=redis_client is not None,
        people=people or gen.HAND_MADE,
    )
    for i in range(subjects):
        builder.user(i)
    for j in range(max(3, subjects // 2) if leads is None else leads):
        builder.non_user_lead(j)
    for store, engine in targets.items():
        _insert(engine, METADATA[store], builder.rows)
    if redis_client is not None:
        _write_cache(redis_client, builder.cache)
    return builder.seeded()


def _insert(
    engine: Engine, metadata: sa.MetaData, rows: Mapping[str, list[dict[str, Any]]]
) -> None:
    """All rows of one store in one transaction, parents before children."""
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            batch = rows.get(table.name, [])
            for start in range(0, len(batch), _CHUNK):
                conn.execute(sa.insert(table), batch[start : start + _CHUNK])


@dataclass(frozen=True, slots=True)
class _CacheWrite:
    key: str
    value: str | dict[str, str]
    ttl_s: int


def _write_cache(client: redis.Redis, writes: Sequence[_CacheWrite]) -> None:
    for start in range(0, len(writes), _CHUNK):
        pipe = client.pipeline(transaction=False)
        for w in writes[start : start + _CHUNK]:
            if isinstance(w.value, dict):
                mapping: dict[FieldT, EncodableT] = {f: v for f, v in w.value.items()}
                pipe.hset(w.key, mapping=mapping)
                pipe.expire(w.key, w.ttl_s)
            else:
                pipe.set(w.key, w.value, ex=w.ttl_s)
        pipe.execute()


@dataclass(slots=True)
class _Loan:
    id: int
    status: str
    applied_at: datetime
    settled_at: date | None
    term_months: int
    amount: Decimal
    paid: int
    """Instalments repaid so far."""
    overdue_days: int


@dataclass
class _Builder:
    rng: random.Random
    today: date
    prefix: str
    key: bytes
    keep_truth: bool
    with_cache: bool
    people: gen.People
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    cache: list[_CacheWrite] = field(default_factory=list)
    subjects: dict[str, Subject] = field(default_factory=dict)
    cells: dict[str, dict[Cell, object]] = field(default_factory=dict)
    others: dict[Cell, object] = field(default_factory=dict)
    held: dict[str, list[HeldRecord]] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    next_id: dict[str, int] = field(default_factory=dict)
    uniques: gen.Uniques = field(init=False)
    now: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.uniques = gen.Uniques(self.rng)
        self.counts = {(ds.store, ds.id): 0 for ds in DATASETS}
        self.now = datetime.combine(self.today, time(10, 0))

    # ------------------------------------------------------------ recording
    def _record(self, ds_id: str, row: dict[str, Any], owner: str | None) -> str:
        """Add a SQL row; note its PI cells as ``owner``'s (``None``: a non-user's)."""
        ds, pk = _DATASET[ds_id], _PRIMARY_KEY[ds_id]
        if pk not in row:  # application-assigned BIGINT ids, 1, 2, 3, … per table
            row = {pk: self._id(ds_id), **row}
        self.rows.setdefault(ds_id, []).append(row)
        self.counts[(ds.store, ds_id)] += 1
        key = str(row[pk])
        self._cells(ds, key, row, owner)
        return key

    def _cache(
        self, ds_id: str, identity: str, value: str | dict[str, str], ttl_s: int, owner: str | None
    ) -> None:
        ds = _DATASET[ds_id]
        assert ds.key is not None
        name = ds.key[ds.key.index("{") + 1 : ds.key.index("}")]
        key = self.prefix + ds.key.replace("{" + name + "}", identity)
        self.cache.append(_CacheWrite(key, value, ttl_s))
        self.counts[(CACHE, ds_id)] += 1
        fields = value if isinstance(value, dict) else {REDIS_STRING_FIELD: value}
        self._cells(ds, key, fields, owner)

    def _cells(
        self, ds: SampleDataset, key: str, values: Mapping[str, object], owner: str | None
    ) -> None:
        if not self.keep_truth:
            return
        target = self.cells.setdefault(owner, {}) if owner is not None else self.others
        for name in ds.fields:
            value = values.get(name)
            if value is not None:
                target[Cell(ds.store, ds.id, key, name)] = value

    def _id(self, ds_id: str) -> int:
        n = self.next_id.get(ds_id, 0) + 1
        self.next_id[ds_id] = n
        return n

    def _hold(self, uid: str, ds_id: str, key: str, loan: _Loan) -> None:
        if loan.settled_at is None:
            reason, until = "借款尚未结清", None
        else:
            reason, until = "借款结清后依法保存5年", _add_years(loan.settled_at, HOLD_YEARS)
        self.held.setdefault(uid, []).append(HeldRecord(CORE, ds_id, key, HOLD_RULE, reason, until))

    # ------------------------------------------------------------ people
    def _at(self, day: date, *, hour: int | None = None) -> datetime:
        h = self.rng.randrange(8, 23) if hour is None else hour
        return datetime.combine(day, time(h, self.rng.randrange(60), self.rng.randrange(60)))

    def _days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randrange(low, high))

    def user(self, i: int) -> None:
        rng, u = self.rng, self.uniques
        uid = f"u{i + 1:07d}"
        profile = PROFILES[i % len(PROFILES)]
        district = rng.choice(gen.DISTRICTS)
        male = rng.random() < 0.5
        birth = gen.birth_date(rng, self.today, youngest=26, oldest=55)
        name = u.draw(partial(self.people.name, male=male), strict=False)
        mobile = u.draw(gen.mobile)
        id_number = u.draw(partial(gen.id_number, district=district, birth=birth, male=male))
        phone_hash = identity_hash(mobile, self.key)
        id_hash = identity_hash(id_number, self.key)
        loans = self._loans(profile)
        first = min((ln.applied_at.date() for ln in loans), default=self._days_ago(30, 900))
        created = self._at(first - timedelta(days=rng.randrange(3, 120)))
        cancelled = (
            self._at(self._days_ago(30, 300)) if profile is Profile.SETTLED_LONG_AGO else None
        )
        self.subjects[uid] = Subject(
            uid, profile, name, mobile, id_number, phone_hash, id_hash, cancelled is not None
        )
        self._record(
            "users",
            {
                "id": uid,
                "mobile_number": mobile,
                "phone_hash": phone_hash,
                "id_number": id_number,
                "id_number_hash": id_hash,
                "name": name,
                "birth_date": birth,
                "password_hash": f"pbkdf2_sha256$600000${gen.hex_token(rng, 16)}$"
                + gen.hex_token(rng, 64),
                # 月收入*, asked at the credit-line application
                "monthly_income": Decimal(rng.randrange(30, 400) * 100).quantize(_CENT)
                if loans
                else None,
                "created_at": created,
                "cancelled_at": cancelled,
            },
            uid,
        )
        borrower = bool(loans)
        if borrower or i // len(PROFILES) % 2 == 0:
            self._record(
                "id_verifications",
                {
                    "user_id": uid,
                    "id_photo_ref": f"oss://xyk-kyc/{uid}/idcard_front_{gen.hex_token(rng, 8)}.jpg",
                    "face_ref": f"oss://xyk-kyc/{uid}/face_{gen.hex_token(rng, 8)}.jpg",
                    "verified_at": created + timedelta(minutes=rng.randrange(5, 600)),
                },
                uid,
            )
            cards = [self._bank_card(uid, mobile, created) for _ in range(rng.choice((1, 1, 2)))]
        else:
            cards = []
        self._addresses(uid, district, created, borrower)
        if borrower:
            for relation in rng.sample(_RELATIONS, 2):
                self._record(
                    "emergency_contacts",
                    {
                        "user_id": uid,
                        "contact_name": u.draw(self.people.name, strict=False),
                        "contact_phone": u.draw(gen.mobile),
                        "relation": relation,
                    },
                    uid,
                )
        last_device = self._devices(uid, created)
        for loan in loans:
            self._loan(uid, loan, name, id_number, id_hash, cards)
        if i % 3 == 0:
            self._lead(
                phone_hash, mobile, name, created - timedelta(days=rng.randrange(1, 60)), uid
            )
        if cancelled is None and self.with_cache:
            self._cache(
                "sessions",
                uid,
                {
                    "device_id": last_device[0],
                    "ip_address": last_device[1],
                    "login_at": self.now.isoformat(),
                },
                SESSION_TTL_S,
                uid,
            )
            if i % 2 == 0:
                self._cache("locations", uid, gen.location(rng, district), LOCATION_TTL_S, uid)
            if i % 3 == 1:
                self._cache("sms_codes", phone_hash, f"{rng.randrange(10**6):06d}", SMS_TTL_S, uid)

    def _bank_card(self, uid: str, mobile: str, created: datetime) -> str:
        number, bank = self.uniques.pair(gen.bank_card)
        self._record(
            "bank_cards",
            {
                "user_id": uid,
                "card_number": number,
                "bank_name": bank,
                "reserved_mobile": mobile
                if self.rng.random() < 0.8
                else self.uniques.draw(gen.mobile),
                "bound_at": created + timedelta(days=self.rng.randrange(0, 30)),
            },
            uid,
        )
        return number

    def _addresses(self, uid: str, home: gen.District, created: datetime, borrower: bool) -> None:
        kinds = ["home", "work"] if borrower and self.rng.random() < 0.5 else ["home"]
        if not borrower and self.rng.random() < 0.5:
            kinds = []
        for kind in kinds:
            district = home if kind == "home" else self.rng.choice(gen.DISTRICTS)
            self._record(
                "addresses",
                {
                    "user_id": uid,
                    "kind": kind,
                    "residence_city": district.city_path,
                    "address": self.uniques.draw(
                        partial(gen.address, district=district, people=self.people)
                    ),
                    "updated_at": created,
                },
                uid,
            )

    def _devices(self, uid: str, created: datetime) -> tuple[str, str]:
        last = ("", "")
        for _ in range(self.rng.choice((1, 1, 2))):
            model = self.rng.choice(gen.DEVICE_MODELS)
            device_id = self.uniques.draw(gen.device_id)
            ip = gen.ipv4(self.rng)
            self._record(
                "devices",
                {
                    "user_id": uid,
                    "device_id": device_id,
                    "imei": None if model.startswith("iPhone") else self.uniques.draw(gen.imei),
                    "device_model": model,
                    "os_version": gen.os_version(self.rng, model),
                    "mac_address": None
                    if model.startswith("iPhone") or self.rng.random() < 0.5
                    else self.uniques.draw(gen.mac_address),
                    "ip_address": ip,
                    "last_seen_at": created + timedelta(days=self.rng.randrange(0, 400)),
                },
                uid,
            )
            last = (device_id, ip)
        return last

    def _loans(self, profile: Profile) -> list[_Loan]:
        kinds = {
            Profile.OUTSTANDING: ["outstanding"],
            Profile.SETTLED_RECENTLY: ["recent"],
            Profile.SETTLED_LONG_AGO: ["old"],
            Profile.NO_LOAN: [],
            Profile.MIXED: ["old", "recent", "outstanding"],
        }[profile]
        return [self._new_loan(kind) for kind in kinds]

    def _new_loan(self, kind: str) -> _Loan:
        rng = self.rng
        term = rng.choice((3, 6, 12))
        amount = Decimal(rng.randrange(10, 500) * 100).quantize(_CENT)
        if kind == "outstanding":
            paid = rng.randrange(0, term)
            applied = self._at(self._days_ago(paid * 30 + 5, paid * 30 + 25))
            overdue = rng.choice((0, 0, 0, 3, 17))
            return _Loan(
                self._id("loans"), "outstanding", applied, None, term, amount, paid, overdue
            )
        years = 2 if kind == "recent" else 6
        settled = self.today - timedelta(days=365 * years + rng.randrange(0, 60))
        applied = self._at(settled - timedelta(days=30 * term + rng.randrange(0, 10)))
        overdue = rng.choice((0, 0, 2))  # the longest overdue while it ran
        return _Loan(self._id("loans"), "settled", applied, settled, term, amount, term, overdue)

    def _loan(
        self, uid: str, loan: _Loan, name: str, id_number: str, id_hash: str, cards: list[str]
    ) -> None:
        rng = self.rng
        held = loan.settled_at is None or self.today < _add_years(loan.settled_at, HOLD_YEARS)
        key = self._record(
            "loans",
            {
                "id": loan.id,
                "user_id": uid,
                "amount": loan.amount,
                "term_months": loan.term_months,
                "status": loan.status,
                "applied_at": loan.applied_at,
                "settled_at": loan.settled_at,
                "overdue_days": loan.overdue_days,
            },
            uid,
        )
        if held:
            self._hold(uid, "loans", key, loan)
        signed = loan.applied_at + timedelta(minutes=rng.randrange(2, 30))
        key = self._record(
            "contracts",
            {
                "loan_id": loan.id,
                "contract_no": f"XYKD{signed:%Y%m%d}{loan.id:08d}",
                "signed_at": signed,
                "borrower_name": name,
                "borrower_id_number": id_number,
                "signature_hash": gen.hex_token(rng, 64),
                "ca_cert_serial": gen.hex_token(rng, 32).upper(),
            },
            uid,
        )
        if held:
            self._hold(uid, "contracts", key, loan)
        last4 = cards[0][-4:] if cards else None
        instalment = (loan.amount / loan.term_months).quantize(_CENT)
        for n in range(1, loan.paid + 1):
            if loan.settled_at is not None and n == loan.term_months:
                paid_at = self._at(loan.settled_at)
                amount = loan.amount - instalment * (loan.term_months - 1)
            else:
                paid_at = loan.applied_at + timedelta(days=30 * n, hours=rng.randrange(0, 5))
                amount = instalment
            key = self._record(
                "repayments",
                {"loan_id": loan.id, "paid_at": paid_at, "amount": amount, "card_last4": last4},
                uid,
            )
            if held:
                self._hold(uid, "repayments", key, loan)
        queried = loan.applied_at - timedelta(minutes=rng.randrange(1, 60))
        report = {
            "报告编号": f"{queried:%Y%m%d%H%M%S}{rng.randrange(10**6):06d}",
            "被查询者姓名": name,
            "被查询者证件号码": id_number,
            "查询原因": "贷款审批",
            "信贷记录": {
                "信用卡账户数": rng.randrange(0, 6),
                "贷款账户数": rng.randrange(0, 4),
                "逾期账户数": rng.choice((0, 0, 0, 1)),
            },
        }
        self._record(
            "credit_reports",
            {
                "id_number_hash": id_hash,
                "report_no": report["报告编号"],
                "report": json.dumps(report, ensure_ascii=False, sort_keys=True),
                "queried_at": queried,
            },
            uid,
        )
        self._record(
            "risk_scores",
            {
                "user_id": uid,
                "credit_score": rng.randrange(350, 950),
                "behaviour_tags": ",".join(sorted(rng.sample(_TAGS, 3))),
                "model_version": "xyk-rs-3.2",
                "scored_at": queried + timedelta(minutes=1),
            },
            uid,
        )

    def _lead(
        self, phone_hash: str, mobile: str, name: str, at: datetime, owner: str | None
    ) -> None:
        self._record(
            "marketing_leads",
            {
                "phone_hash": phone_hash,
                "mobile_number": mobile,
                "name": name,
                "source": self.rng.choice(_LEAD_SOURCES),
                "created_at": at,
            },
            owner,
        )

    def non_user_lead(self, j: int) -> None:
        """A person who left a phone number with an ad but never registered."""
        mobile = self.uniques.draw(gen.mobile)
        phone_hash = identity_hash(mobile, self.key)
        name = self.uniques.draw(self.people.name, strict=False)
        self._lead(phone_hash, mobile, name, self._at(self._days_ago(1, 365)), None)
        if j % 2 == 0 and self.with_cache:  # registering right now: an SMS code was sent
            self._cache(
                "sms_codes", phone_hash, f"{self.rng.randrange(10**6):06d}", SMS_TTL_S, None
            )

    def seeded(self) -> Seeded:
        return Seeded(
            today=self.today,
            redis_prefix=self.prefix,
            identity_key=self.key,
            subjects=MappingProxyType(self.subjects),
            counts=MappingProxyType(self.counts),
            cells=MappingProxyType(
                {uid: MappingProxyType(cells) for uid, cells in self.cells.items()}
            ),
            others=MappingProxyType(self.others),
            held=MappingProxyType({uid: tuple(h) for uid, h in self.held.items()}),
        )


_DATASET = {ds.id: ds for ds in DATASETS}
_PRIMARY_KEY = {ds.id: ds.primary_key for ds in DATASETS if ds.table is not None}


def _add_years(day: date, years: int) -> date:
    """``day`` + ``years`` calendar years; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
