"""Deterministic synthetic data for the sample lending back-end, with its ground truth.

``seed(engines, redis, prefix, subjects=N, seed=S, today=D)`` inserts N users and what
a lending app keeps about them, cycling through the :class:`~yinsi_demo.truth.Profile`
kinds (outstanding loan, loan settled ~2 years ago, loan settled ~6 years ago and account
cancelled, no loan, one of each), plus marketing leads of people who never registered.
The same arguments always give the same rows. It returns a
:class:`~yinsi_demo.truth.Seeded` naming every PI value per user and what is held.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import redis
import sqlalchemy as sa
from redis.typing import EncodableT, FieldT
from sqlalchemy.engine import Engine

from yinsi_demo import generators as gen
from yinsi_demo.datamap import check_key_prefix
from yinsi_demo.lending import METADATA, SQL_STORES, engine_of, identity_hash
from yinsi_demo.seed_loans import plan_loans, record_loan
from yinsi_demo.seed_records import CENT, HOLD_RULE, CacheWrite, Recorder
from yinsi_demo.truth import Profile, Seeded, Subject

__all__ = ["HOLD_RULE", "SAMPLE_IDENTITY_KEY", "seed"]

SAMPLE_IDENTITY_KEY = b"xiaoying-kadai-sample-identity-hash-key"
"""The sample app's HMAC key for phone and ID-number hashes (sample data only)."""

SESSION_TTL_S = 7 * 24 * 3600
LOCATION_TTL_S = 24 * 3600
SMS_TTL_S = 30 * 60
"""Real apps expire SMS codes after about 5 minutes; 30 leaves slow test runs the data."""

PROFILES = tuple(Profile)
_CHUNK = 5000
_RELATIONS = ("父亲", "母亲", "配偶", "兄弟", "姐妹", "同事", "朋友")
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
    :func:`~yinsi_demo.lending.create` made. Redis keys are written under
    ``redis_prefix`` (e.g. ``yinsi_test_1a2b:``); with ``redis_client=None`` the cache is
    left empty (a machine without Redis). ``leads`` non-user marketing leads are added
    (default: half the users, at least 3). ``keep_truth=False`` skips the per-value
    truth (``Seeded.cells`` empty) for benchmarks of millions of rows. ``people`` gives
    names and street names (default :data:`~yinsi_demo.generators.HAND_MADE`; the demo
    passes :class:`~yinsi_demo.generators.FakerPeople`).
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


def _write_cache(client: redis.Redis, writes: Sequence[CacheWrite]) -> None:
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


@dataclass(frozen=True, slots=True)
class _Person:
    """Who a seeded user is: drawn first, in this order, before anything they did."""

    uid: str
    district: gen.District
    male: bool
    birth: date
    name: str
    mobile: str
    id_number: str
    phone_hash: str
    id_hash: str


class _Builder(Recorder):
    """The users, their records and the marketing leads, drawn in a fixed order."""

    # ------------------------------------------------------------ people
    def user(self, i: int) -> None:
        """User ``i`` (``u0000001``, …), of profile ``i`` mod 5, with what the app keeps."""
        profile = PROFILES[i % len(PROFILES)]
        p = self._person(f"u{i + 1:07d}")
        loans = plan_loans(self, profile)
        first = min((ln.applied_at.date() for ln in loans), default=self.days_ago(30, 900))
        created = self.at(first - timedelta(days=self.rng.randrange(3, 120)))
        cancelled = self.at(self.days_ago(30, 300)) if profile is Profile.SETTLED_LONG_AGO else None
        self.subjects[p.uid] = Subject(
            p.uid,
            profile,
            p.name,
            p.mobile,
            p.id_number,
            p.phone_hash,
            p.id_hash,
            cancelled is not None,
        )
        borrower = bool(loans)
        self._account(p, created, cancelled, borrower)
        if borrower or i // len(PROFILES) % 2 == 0:
            cards = self._id_verification(p.uid, p.mobile, created)
        else:
            cards = []
        self._addresses(p.uid, p.district, created, borrower)
        if borrower:
            self._emergency_contacts(p.uid)
        last_device = self._devices(p.uid, created)
        for loan in loans:
            record_loan(self, p.uid, loan, p.name, p.id_number, p.id_hash, cards)
        if i % 3 == 0:
            at = created - timedelta(days=self.rng.randrange(1, 60))
            self._lead(p.phone_hash, p.mobile, p.name, at, p.uid)
        if cancelled is None and self.with_cache:
            self._cached(i, p, last_device)

    def _person(self, uid: str) -> _Person:
        rng, u = self.rng, self.uniques
        district = rng.choice(gen.DISTRICTS)
        male = rng.random() < 0.5
        birth = gen.birth_date(rng, self.today, youngest=26, oldest=55)
        name = u.draw(partial(self.people.name, male=male), strict=False)
        mobile = u.draw(gen.mobile)
        id_number = u.draw(partial(gen.id_number, district=district, birth=birth, male=male))
        return _Person(
            uid,
            district,
            male,
            birth,
            name,
            mobile,
            id_number,
            identity_hash(mobile, self.key),
            identity_hash(id_number, self.key),
        )

    def _account(
        self, p: _Person, created: datetime, cancelled: datetime | None, borrower: bool
    ) -> None:
        rng = self.rng
        self.record(
            "users",
            {
                "id": p.uid,
                "mobile_number": p.mobile,
                "phone_hash": p.phone_hash,
                "id_number": p.id_number,
                "id_number_hash": p.id_hash,
                "name": p.name,
                "birth_date": p.birth,
                "password_hash": f"pbkdf2_sha256$600000${gen.hex_token(rng, 16)}$"
                + gen.hex_token(rng, 64),
                # 月收入*, asked at the credit-line application
                "monthly_income": Decimal(rng.randrange(30, 400) * 100).quantize(CENT)
                if borrower
                else None,
                "created_at": created,
                "cancelled_at": cancelled,
            },
            p.uid,
        )

    def _id_verification(self, uid: str, mobile: str, created: datetime) -> list[str]:
        """The ID card and face check, then the bank cards bound after it (their numbers)."""
        rng = self.rng
        self.record(
            "id_verifications",
            {
                "user_id": uid,
                "id_photo_ref": f"oss://xyk-kyc/{uid}/idcard_front_{gen.hex_token(rng, 8)}.jpg",
                "face_ref": f"oss://xyk-kyc/{uid}/face_{gen.hex_token(rng, 8)}.jpg",
                "verified_at": created + timedelta(minutes=rng.randrange(5, 600)),
            },
            uid,
        )
        return [self._bank_card(uid, mobile, created) for _ in range(rng.choice((1, 1, 2)))]

    def _emergency_contacts(self, uid: str) -> None:
        for relation in self.rng.sample(_RELATIONS, 2):
            self.record(
                "emergency_contacts",
                {
                    "user_id": uid,
                    "contact_name": self.uniques.draw(self.people.name, strict=False),
                    "contact_phone": self.uniques.draw(gen.mobile),
                    "relation": relation,
                },
                uid,
            )

    def _cached(self, i: int, p: _Person, last_device: tuple[str, str]) -> None:
        """What Redis holds of an open account: the session, maybe a location or SMS code."""
        session = {
            "device_id": last_device[0],
            "ip_address": last_device[1],
            "login_at": self.now.isoformat(),
        }
        self.cache_value("sessions", p.uid, session, SESSION_TTL_S, p.uid)
        if i % 2 == 0:
            location = gen.location(self.rng, p.district)
            self.cache_value("locations", p.uid, location, LOCATION_TTL_S, p.uid)
        if i % 3 == 1:
            code = f"{self.rng.randrange(10**6):06d}"
            self.cache_value("sms_codes", p.phone_hash, code, SMS_TTL_S, p.uid)

    def _bank_card(self, uid: str, mobile: str, created: datetime) -> str:
        number, bank = self.uniques.pair(gen.bank_card)
        self.record(
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
            self.record(
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
            self.record(
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

    def _lead(
        self, phone_hash: str, mobile: str, name: str, at: datetime, owner: str | None
    ) -> None:
        self.record(
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
        self._lead(phone_hash, mobile, name, self.at(self.days_ago(1, 365)), None)
        if j % 2 == 0 and self.with_cache:  # registering right now: an SMS code was sent
            self.cache_value(
                "sms_codes", phone_hash, f"{self.rng.randrange(10**6):06d}", SMS_TTL_S, None
            )
