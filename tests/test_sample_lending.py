"""The sample lending back-end (issue 5): its generators, its seeded ground truth against
what really is in PostgreSQL, MariaDB, Redis (and SQLite), and its data map."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

import yinsi_demo as sample
from yinsi.connectors import Connectors
from yinsi.consent.age import age_on, parse_id_number
from yinsi.declaration.datamap import DataMap, Strategy, walk_order
from yinsi.declaration.datamap_checks import read_data_map
from yinsi.declaration.schema import Declaration
from yinsi.lifecycle.deidentify import apply
from yinsi.rights.ports import Record
from yinsi.storage import create_engine
from yinsi.taxonomy.formats import validate
from yinsi_demo import CACHE, CORE, RISK, Cell, Profile, Seeded
from yinsi_demo import generators as gen
from yinsi_demo.lending import DATASETS, METADATA, identity_hash

if TYPE_CHECKING:
    from sample_fixtures import LendingFactory, LendingStores

pytest_plugins = ["sample_fixtures"]

DATA_MAP_PATH = (
    Path(__file__).resolve().parent.parent / "examples" / "datamaps" / "xiaoying-kadai.yaml"
)
TODAY = date(2025, 6, 16)
SUBJECTS = 10

ERASE_KEY = b"yinsi-test-erasure-key-32-bytes!"
MAIN_ELEMENTS = {
    "mobile_number", "id_number", "name", "password", "sms_code", "id_photo", "face",
    "monthly_income", "residence_city", "address", "emergency_contacts", "bank_card",
    "loan_records", "transaction_records", "overdue_info", "digital_certificate",
    "credit_report", "credit_score", "device_id", "imei", "device_model", "os_info",
    "mac_address", "ip_address", "precise_location",
}  # fmt: skip


# ---------------------------------------------------------------- generators


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_generated_values_are_valid(seed: int) -> None:
    rng = random.Random(seed)
    district = rng.choice(gen.DISTRICTS)
    birth = gen.birth_date(rng, TODAY, youngest=26, oldest=55)
    number = gen.id_number(rng, district, birth, male=seed % 2 == 1)
    parsed = parse_id_number(number, today=TODAY)  # the age gate's own GB 11643 reader
    assert parsed.birth == birth
    assert 26 <= age_on(number, TODAY) <= 55
    assert parsed.is_male == (seed % 2 == 1)
    assert validate("id_number", number, today=TODAY) == number
    card, bank = gen.bank_card(rng)
    assert validate("bank_card", card) == card and bank
    assert re.fullmatch(r"1[3-9][0-9]{9}", gen.mobile(rng))
    assert validate("phone_cn", (phone := gen.mobile(rng))) == phone
    assert gen.luhn_valid(gen.imei(rng))
    assert validate("address", gen.address(rng, district))
    assert validate("name_cn", gen.name(rng))


def test_check_characters_of_known_id_numbers() -> None:
    # GB 11643-1999 Annex A's example and a number ending in X.
    assert gen.id_check_character("11010519491231002") == "X"
    assert gen.id_check_character("44052418800101001") == "4"
    assert gen.luhn_digit("7992739871") == "3"


def test_unique_draws_never_repeat() -> None:
    uniques = gen.Uniques(random.Random(1))
    phones = [uniques.draw(gen.mobile) for _ in range(2000)]
    assert len(set(phones)) == len(phones)
    with pytest.raises(RuntimeError, match="seed fewer people"):
        uniques.draw(lambda _rng: phones[0])


def test_identity_hash_is_keyed_hmac() -> None:
    a = identity_hash("13800138000", b"k1")
    assert re.fullmatch(r"[0-9a-f]{64}", a)
    assert a == identity_hash("13800138000", b"k1") != identity_hash("13800138000", b"k2")


# ---------------------------------------------------------------- seeding on SQLite


def _sqlite(folder: Path) -> dict[str, sa.Engine]:
    engines = {
        CORE: create_engine(f"sqlite:///{folder / 'core.db'}"),
        RISK: create_engine(f"sqlite:///{folder / 'risk.db'}"),
    }
    sample.create(engines)
    return engines


def _seed_without_cache(folder: Path, seed: int) -> tuple[Seeded, dict[Cell, object]]:
    engines = _sqlite(folder)
    try:
        seeded = sample.seed(engines, None, subjects=SUBJECTS, seed=seed, today=TODAY)
        return seeded, sample.snapshot(engines, None)
    finally:
        for engine in engines.values():
            engine.dispose()


def test_seed_is_deterministic(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    first, stored = _seed_without_cache(tmp_path / "a", 7)
    second, _ = _seed_without_cache(tmp_path / "b", 7)
    other, _ = _seed_without_cache(tmp_path / "c", 8)
    assert first.all_cells() == second.all_cells() == stored
    assert first.subjects == second.subjects
    assert first.held == second.held
    assert other.all_cells() != first.all_cells()
    assert all(n == 0 for (store, _), n in first.counts.items() if store == CACHE)


def test_drop_removes_every_table(tmp_path: Path) -> None:
    engines = _sqlite(tmp_path)
    sample.drop(engines)
    for engine in engines.values():
        assert sa.inspect(engine).get_table_names() == []
        engine.dispose()
    with pytest.raises(ValueError, match="no engine for store 'risk'"):
        sample.create({CORE: engines[CORE]})


def test_seed_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    engines = _sqlite(tmp_path)
    with pytest.raises(ValueError, match="at least 1"):
        sample.seed(engines, None, subjects=0, seed=1, today=TODAY)
    with pytest.raises(ValueError, match="no glob characters"):
        sample.seed(engines, None, "t:*", subjects=1, seed=1, today=TODAY)
    with pytest.raises(ValueError, match="no engine for store 'risk'"):
        sample.seed({CORE: engines[CORE]}, None, subjects=1, seed=1, today=TODAY)
    assert sample.count(engines, None)[(CORE, "users")] == 0  # nothing half-written
    for engine in engines.values():
        engine.dispose()


def test_profiles_holds_and_cancellations(tmp_path: Path) -> None:
    seeded, _ = _seed_without_cache(tmp_path, 3)
    profiles = Counter(s.profile for s in seeded.subjects.values())
    assert profiles == {p: SUBJECTS // len(Profile) for p in Profile}
    for subject in seeded.subjects.values():
        held = seeded.held.get(subject.user_id, ())
        loans = {c.key for c in seeded.cells_of(subject.user_id) if c.dataset == "loans"}
        held_loans = {h.key for h in held if h.dataset == "loans"}
        assert subject.cancelled == (subject.profile is Profile.SETTLED_LONG_AGO)
        assert all(h.rule == sample.HOLD_RULE for h in held)
        if subject.profile is Profile.OUTSTANDING:
            assert held_loans == loans and len(loans) == 1
            assert {h.until for h in held} == {None}
        elif subject.profile is Profile.SETTLED_RECENTLY:
            assert held_loans == loans and len(loans) == 1
            assert all(h.until is not None and h.until > TODAY for h in held)
        elif subject.profile in (Profile.SETTLED_LONG_AGO, Profile.NO_LOAN):
            assert held == ()
            assert len(loans) == (subject.profile is Profile.SETTLED_LONG_AGO)
        else:  # one loan of each kind: two held, the one settled 6 years ago not
            assert len(loans) == 3 and len(held_loans) == 2
        # a held loan's contract and repayments are held with it, nothing else is
        assert {h.dataset for h in held} <= {"loans", "repayments", "contracts"}
        if held_loans:
            assert sum(h.dataset == "contracts" for h in held) == len(held_loans)
        assert set(seeded.held_cells(subject.user_id)) | set(
            seeded.erasable_cells(subject.user_id)
        ) == set(seeded.cells_of(subject.user_id))


# ---------------------------------------------------------------- the real stores


def test_stores_hold_exactly_the_seeded_truth(lending_stores: LendingStores) -> None:
    seeded = lending_stores.seeded
    assert lending_stores.count() == dict(seeded.counts)
    assert lending_stores.snapshot() == seeded.all_cells()
    sql_tables = [(s, d) for (s, d) in seeded.counts if s in (CORE, RISK)]
    redis_sets = [(s, d) for (s, d) in seeded.counts if s == CACHE]
    assert len(sql_tables) >= 12 and len(redis_sets) == 3
    assert all(seeded.counts[k] > 0 for k in seeded.counts)
    assert sum(seeded.counts.values()) >= 15 * SUBJECTS
    keys = set(lending_stores.redis.scan_iter(match="*", count=1000))
    ours = {k for k in keys if k.startswith(lending_stores.redis_prefix)}
    assert len(ours) == sum(seeded.counts[k] for k in redis_sets)


def test_every_value_belongs_to_the_person_its_row_links_to(
    lending_stores: LendingStores,
) -> None:
    """Ownership read from the stores' own links (foreign keys, hashes, key names) agrees
    with the truth, and no row of one person holds a value unique to another."""
    seeded = lending_stores.seeded
    owners = _owners_by_links(lending_stores)
    unique = {uid: seeded.unique_values(uid) for uid in seeded.subjects}
    cells = lending_stores.snapshot()
    non_users = 0
    for cell, value in cells.items():
        owner = owners[cell.record]
        assert seeded.owner(cell) == owner, cell
        non_users += owner is None
        for uid, values in unique.items():
            if uid != owner:
                assert str(value) not in values, (cell, uid)
    assert non_users > 0  # marketing leads and SMS codes of people who are not users
    for uid in seeded.subjects:
        assert seeded.unique_values(uid) >= {
            seeded.subject(uid).mobile_number,
            seeded.subject(uid).id_number,
        }


def _owners_by_links(stores: LendingStores) -> dict[tuple[str, str], str | None]:
    """(dataset, key) → user id, following each row's own link column."""
    owners: dict[tuple[str, str], str | None] = {}
    md = METADATA[CORE].tables
    risk = METADATA[RISK].tables
    with stores.engines[CORE].connect() as conn:
        users = conn.execute(sa.select(md["users"])).mappings().all()
        by_phone = {u["phone_hash"]: u["id"] for u in users}
        by_id_hash = {u["id_number_hash"]: u["id"] for u in users}
        owners.update({("users", u["id"]): u["id"] for u in users})
        loan_owner = {
            str(i): uid for i, uid in conn.execute(sa.select(md["loans"].c["id", "user_id"]))
        }
        for name in ("id_verifications", "bank_cards", "addresses", "emergency_contacts",
                     "devices", "loans"):  # fmt: skip
            for key, uid in conn.execute(sa.select(md[name].c["id", "user_id"])):
                owners[(name, str(key))] = uid
        for name in ("repayments", "contracts"):
            for key, loan in conn.execute(sa.select(md[name].c["id", "loan_id"])):
                owners[(name, str(key))] = loan_owner[str(loan)]
    with stores.engines[RISK].connect() as conn:
        for key, uid in conn.execute(sa.select(risk["risk_scores"].c["id", "user_id"])):
            owners[("risk_scores", str(key))] = uid
        for key, h in conn.execute(sa.select(risk["credit_reports"].c["id", "id_number_hash"])):
            owners[("credit_reports", str(key))] = by_id_hash[h]
        for key, h in conn.execute(sa.select(risk["marketing_leads"].c["id", "phone_hash"])):
            owners[("marketing_leads", str(key))] = by_phone.get(h)
    prefix = stores.redis_prefix
    for key in stores.redis.scan_iter(match=prefix + "*", count=1000):
        kind, identity = key.removeprefix(prefix).split(":", 1)
        dataset = {"session": "sessions", "loc": "locations", "sms": "sms_codes"}[kind]
        owners[(dataset, key)] = identity if kind != "sms" else by_phone.get(identity)
    return owners


def test_the_data_map_finds_each_users_records_and_no_one_elses(
    lending_stores: LendingStores,
) -> None:
    """Walking the data map with the real connectors from a user's id reaches exactly the
    records the truth says are that user's (what an export must read)."""
    seeded = lending_stores.seeded
    with Connectors(lending_stores.data_map) as connectors:
        for uid in seeded.subjects:
            found = _walk(lending_stores.data_map, connectors, uid)
            expected = {c.record for c in seeded.cells_of(uid)}
            assert {(r.dataset, r.key) for r in found} == expected, uid
            values = {
                Cell(lending_stores.data_map.dataset(r.dataset).store, r.dataset, r.key, n): v
                for r in found
                for n, v in r.values.items()
                if n in sample.dataset(r.dataset).fields and v is not None
            }
            assert {c: str(v) for c, v in values.items()} == {
                c: str(v) for c, v in seeded.cells_of(uid).items()
            }


def _walk(data_map: DataMap, connectors: Connectors, user_id: str) -> list[Record]:
    identities: dict[str, list[str]] = {"user_id": [user_id]}
    keys: dict[str, list[str]] = {}
    found: list[Record] = []
    for ds in walk_order(data_map):
        if ds.parent is not None:
            match = {ds.parent.column: keys.get(ds.parent.dataset, [])}
        elif ds.subject is not None:
            match = {ds.subject.column: identities.get(ds.subject.identity, [])}
        else:
            match = {p: identities.get(p, []) for p in ds.placeholders}
        records = connectors[ds.store].find(ds, match) if all(match.values()) else []
        keys[ds.id] = [r.key for r in records]
        for record in records:
            for identity, column in ds.provides.items():
                identities.setdefault(identity, []).append(str(record.values[column]))
        found.extend(records)
    return found


# ---------------------------------------------------------------- the data map


def test_data_map_passes_its_checks_against_the_declaration(
    sample_declaration: Declaration,
) -> None:
    data_map, problems = read_data_map(DATA_MAP_PATH, sample_declaration)
    assert data_map is not None
    assert [p for p in problems if p.severity == "error"] == []
    missing = {
        m.group(1)
        for p in problems
        if (m := re.match(r"the declaration collects '(\w+)' but no dataset holds it", p.message))
    }
    assert len(missing) == len(problems)  # the only warnings: elements the sample lacks
    held = {f.element for ds in data_map.datasets for f in ds.fields}
    assert held >= MAIN_ELEMENTS
    assert not held & missing
    assert data_map.identities == ["user_id", "phone_hash", "id_number_hash"]
    assert {s.url for s in data_map.stores} == {
        "${YINSI_SAMPLE_CORE_URL}",
        "${YINSI_SAMPLE_RISK_URL}",
        "${YINSI_SAMPLE_CACHE_URL}",
    }


@pytest.fixture
def data_map(sample_declaration: Declaration) -> DataMap:
    """The sample's data map as written (no key prefix)."""
    found, _ = read_data_map(DATA_MAP_PATH, sample_declaration)
    assert found is not None
    return found


def test_data_map_describes_the_schema(data_map: DataMap) -> None:
    """Same datasets, stores, tables, keys and fields as the sample module; every parent
    link is a real foreign key; every subject, provides and hold column exists."""
    assert [ds.id for ds in data_map.datasets] == [ds.id for ds in DATASETS]
    for ds in data_map.datasets:
        mine = sample.dataset(ds.id)
        assert ds.store == mine.store
        assert {f.name: f.element for f in ds.fields} == dict(mine.fields), ds.id
        if mine.table is None:
            assert ds.key == mine.key and ds.erase == "row"
            continue
        table = mine.table
        assert ds.table == table.name and ds.primary_key == mine.primary_key
        columns = set(table.c.keys())
        if ds.parent is not None:
            fk = next(iter(table.c[ds.parent.column].foreign_keys))
            assert fk.column.table.name == ds.parent.dataset
            assert fk.column.name == sample.dataset(ds.parent.dataset).primary_key
        else:
            assert ds.subject is not None and ds.subject.column in columns
        assert set(ds.provides.values()) <= columns
        assert {h.since for h in ds.holds if h.since} <= columns


def test_each_erase_strategy_fits_its_column_and_changes_the_value(
    data_map: DataMap, tmp_path: Path
) -> None:
    """The per-field strategies of the data map, applied to every seeded value, give a
    value the column can store (NULL only where nullable, the width kept) that differs
    from the original — what an erasure of the kept users rows does."""
    seeded, _ = _seed_without_cache(tmp_path, 5)
    strategies = {f.erase for ds in data_map.datasets for f in ds.fields if ds.erase == "fields"}
    assert strategies >= {
        Strategy.NULL, Strategy.MASK, Strategy.KEYED_HASH, Strategy.GENERALISE, Strategy.ANONYMISE
    }  # fmt: skip
    for ds in data_map.datasets:
        if ds.erase != "fields":
            continue
        table = sample.dataset(ds.id).table
        assert table is not None
        for f in ds.fields:
            column = table.c[f.name]
            values = [v for c, v in seeded.all_cells().items() if c.record[0] == ds.id and c.name == f.name]  # fmt: skip
            assert values, f.name
            for value in values:
                erased = apply(f.erase, value, element=f.element, key=ERASE_KEY)
                assert erased != value
                if erased is None:
                    assert column.nullable, f"{ds.id}.{f.name} is erased to NULL"
                elif isinstance(erased, str):
                    length = getattr(column.type, "length", None)
                    assert length is None or len(erased) <= length, (f.name, erased)


def test_seeded_values_have_the_formats_the_data_map_declares(
    data_map: DataMap, tmp_path: Path
) -> None:
    seeded, _ = _seed_without_cache(tmp_path, 11)
    formats = {(ds.id, f.name): f.format for ds in data_map.datasets for f in ds.fields if f.format}
    assert len(formats) >= 15
    checked = 0
    for cell, value in seeded.all_cells().items():
        fmt = formats.get((cell.dataset, cell.name))
        if fmt is not None:
            validate(fmt, str(value), today=TODAY)
            checked += 1
    assert checked > 100


def test_walk_order_follows_the_links(data_map: DataMap) -> None:
    order = [ds.id for ds in walk_order(data_map)]
    before = [
        ("users", "loans"),
        ("loans", "repayments"),
        ("loans", "contracts"),
        ("users", "credit_reports"),
        ("users", "marketing_leads"),
        ("users", "sms_codes"),
    ]
    for first, then in before:
        assert order.index(first) < order.index(then)


def test_with_key_prefix_prefixes_redis_keys_only(data_map: DataMap) -> None:
    prefixed = sample.with_key_prefix(data_map, "yinsi_t:abc:")
    keys = {ds.id: ds.key for ds in prefixed.datasets if ds.key}
    assert keys == {
        "sessions": "yinsi_t:abc:session:{user_id}",
        "locations": "yinsi_t:abc:loc:{user_id}",
        "sms_codes": "yinsi_t:abc:sms:{phone_hash}",
    }
    assert [ds.table for ds in prefixed.datasets] == [ds.table for ds in data_map.datasets]
    assert sample.with_key_prefix(data_map, "") is data_map
    with pytest.raises(ValueError, match="only letters, digits"):
        sample.with_key_prefix(data_map, "t:*:")


def test_lending_stores_on_a_larger_population(
    lending_stores_factory: LendingFactory, tmp_path: Path
) -> None:
    """The factory behind the fixture, for other sizes (and without per-value truth)."""
    factory = lending_stores_factory
    with factory("sqlite", tmp_path, subjects=200, seed=9, keep_truth=False) as stores:
        assert stores.seeded.cells == {}
        assert len(stores.seeded.subjects) == 200
        assert stores.count() == dict(stores.seeded.counts)
        assert stores.seeded.counts[(CORE, "users")] == 200
        assert stores.environ["YINSI_SAMPLE_CACHE_URL"].startswith("redis://")
        assert date.fromisoformat(TODAY.isoformat()) == stores.seeded.today
