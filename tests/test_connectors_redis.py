"""The Redis connector on the machine's real Redis, under a random key prefix per test."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yinsi.connectors import RedisConnector, connect
from yinsi.declaration.datamap import DataMap
from yinsi.lifecycle.deidentify import ANONYMISED
from yinsi.rights.ports import ConnectorError, HoldFacts

pytest_plugins = ["services"]

HASH_KEY = b"k" * 32
Scratch = tuple[redis.Redis, str]


def _data_map(prefix: str) -> DataMap:
    store = "cache"

    def ds(id_: str, key: str, **more: Any) -> dict[str, Any]:
        return {"id": id_, "label": id_, "store": store, "key": prefix + key, **more}

    return DataMap.model_validate(
        {
            "app": "lending_test",
            "identities": ["user_id", "phone_hash"],
            "stores": [{"id": store, "kind": "redis", "url": "${YINSI_T_REDIS_URL}"}],
            "datasets": [
                ds(
                    "profiles",
                    "profile:{user_id}",
                    provides={"phone_hash": "phone_hash"},
                    fields=[
                        {"field": "name", "element": "name", "erase": "mask"},
                        {"field": "mobile", "element": "mobile_number", "erase": "keyed_hash"},
                        {"field": "city", "element": "residence_city", "erase": "generalise"},
                        {"field": "nickname", "element": "nickname", "erase": "anonymise"},
                        {"field": "email", "element": "email", "erase": "delete"},
                        {"field": "id_number", "element": "id_number", "erase": "null"},
                    ],
                    holds=[{"rule": "kyc_records", "since": "closed_on"}],
                ),
                ds("sessions", "session:{user_id}", erase="row"),
                ds("sms_codes", "sms:{phone_hash}:*", erase="row"),
                ds("devices", "devices:{user_id}", erase="row"),
                ds("history", "history:{user_id}", erase="row"),
            ],
        }
    )


def _seed(client: redis.Redis, p: str) -> None:
    client.hset(
        p + "profile:1",
        mapping={
            "name": "张三",
            "mobile": "13812341234",
            "city": "广东省深圳市",
            "nickname": "小张",
            "email": "zhangsan@example.com",
            "id_number": "11010519491231002X",
            "phone_hash": "ph_alice",
            "closed_on": "2024-06-30",
            "theme": "dark",
        },
    )
    client.hset(p + "profile:2", mapping={"name": "李四", "mobile": "13900001111"})
    client.set(p + "session:1", "token-alice")
    client.set(p + "session:2", "token-bob")
    client.set(p + "sms:ph_alice:1", "1234")
    client.set(p + "sms:ph_alice:2", "5678")
    client.set(p + "sms:ph_bob:1", "9999")
    client.sadd(p + "devices:1", "ios-a", "android-b")
    client.rpush(p + "history:1", "login", "apply", "repay")


@pytest.fixture
def scratch(redis_prefix: Scratch) -> Scratch:
    client, prefix = redis_prefix
    _seed(client, prefix)
    return redis_prefix


@pytest.fixture
def data_map(scratch: Scratch) -> DataMap:
    return _data_map(scratch[1])


@pytest.fixture
def cache(scratch: Scratch, data_map: DataMap) -> RedisConnector:
    return RedisConnector(data_map.store("cache"), scratch[0])


def test_find_hash_fields_provides_and_hold_since(
    cache: RedisConnector, data_map: DataMap, scratch: Scratch
) -> None:
    [record] = cache.find(data_map.dataset("profiles"), {"user_id": ["1", "404"]})
    assert record.key == scratch[1] + "profile:1"
    assert record.values["name"] == "张三"
    assert record.values["phone_hash"] == "ph_alice"
    assert "theme" not in record.values and "closed_on" not in record.values
    assert record.holds == {"kyc_records": HoldFacts(since=date(2024, 6, 30))}


def test_find_strings_sets_and_lists(
    cache: RedisConnector, data_map: DataMap, scratch: Scratch
) -> None:
    p = scratch[1]
    [session] = cache.find(data_map.dataset("sessions"), {"user_id": ["1"]})
    assert (session.key, session.values) == (p + "session:1", {"value": "token-alice"})
    [devices] = cache.find(data_map.dataset("devices"), {"user_id": ["1"]})
    assert devices.values == {"members": ["android-b", "ios-a"]}
    [history] = cache.find(data_map.dataset("history"), {"user_id": ["1"]})
    assert history.values == {"members": ["login", "apply", "repay"]}


def test_find_scans_patterns(cache: RedisConnector, data_map: DataMap, scratch: Scratch) -> None:
    found = cache.find(data_map.dataset("sms_codes"), {"phone_hash": ["ph_alice"]})
    assert sorted(r.key for r in found) == [
        scratch[1] + "sms:ph_alice:1",
        scratch[1] + "sms:ph_alice:2",
    ]
    assert cache.find(data_map.dataset("sms_codes"), {"phone_hash": ["ph_*"]}) == []
    assert cache.find(data_map.dataset("sms_codes"), {}) == []


def test_scan_lists_every_key_with_the_identities_it_names(
    cache: RedisConnector, data_map: DataMap, scratch: Scratch
) -> None:
    client, p = scratch
    client.set("elsewhere:session:3", "another app's key")  # outside the prefix
    try:
        sessions = sorted(cache.scan(data_map.dataset("sessions")), key=lambda r: r.key)
    finally:
        client.delete("elsewhere:session:3")
    assert [(r.dataset, r.key, r.values) for r in sessions] == [
        ("sessions", p + "session:1", {"user_id": "1"}),  # the key's identity, not its value
        ("sessions", p + "session:2", {"user_id": "2"}),
    ]
    profiles = {r.key: r.values for r in cache.scan(data_map.dataset("profiles"))}
    assert profiles == {p + "profile:1": {"user_id": "1"}, p + "profile:2": {"user_id": "2"}}


def test_find_with_a_bytes_client(scratch: Scratch, data_map: DataMap, redis_url: str) -> None:
    raw = redis.Redis.from_url(redis_url)  # decode_responses=False
    try:
        connector = RedisConnector(data_map.store("cache"), raw)
        found = connector.find(data_map.dataset("sms_codes"), {"phone_hash": ["ph_bob"]})
        [profile] = connector.find(data_map.dataset("profiles"), {"user_id": ["2"]})
    finally:
        raw.close()
    assert [(r.key, r.values) for r in found] == [(scratch[1] + "sms:ph_bob:1", {"value": "9999"})]
    assert profile.values["name"] == "李四"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.text(alphabet="ab*?[]\\^-:{} 张", min_size=1, max_size=6))
def test_glob_characters_in_values_never_widen_the_match(value: str, redis_prefix: Scratch) -> None:
    client, prefix = redis_prefix
    data_map = _data_map(prefix)
    keys = [f"{prefix}sms:{value}:1", f"{prefix}sms:{value}a:1", f"{prefix}sms:other:1"]
    client.mset(dict.fromkeys(keys, "x"))
    try:
        connector = RedisConnector(data_map.store("cache"), client)
        found = connector.find(data_map.dataset("sms_codes"), {"phone_hash": [value]})
        assert [r.key for r in found] == keys[:1]
        assert connector.find(data_map.dataset("sessions"), {"user_id": [value]}) == []
    finally:
        client.delete(*keys)


def test_erase_keys_twice_changes_nothing(
    cache: RedisConnector, data_map: DataMap, scratch: Scratch
) -> None:
    client, p = scratch
    sms = data_map.dataset("sms_codes")
    keys = [r.key for r in cache.find(sms, {"phone_hash": ["ph_alice"]})]
    assert cache.erase(sms, keys, hash_key=HASH_KEY, idempotency_key="s").affected == 2
    assert cache.erase(sms, keys, hash_key=HASH_KEY, idempotency_key="s").affected == 0
    assert client.exists(*keys) == 0
    assert client.get(p + "sms:ph_bob:1") == "9999"


def test_erase_hash_fields_each_strategy_twice_same_result(
    cache: RedisConnector, data_map: DataMap, scratch: Scratch
) -> None:
    client, p = scratch
    profiles = data_map.dataset("profiles")
    first = cache.erase(profiles, [p + "profile:1"], hash_key=HASH_KEY, idempotency_key="e")
    after = client.hgetall(p + "profile:1")
    second = cache.erase(
        profiles, [p + "profile:1", p + "profile:404"], hash_key=HASH_KEY, idempotency_key="e"
    )
    assert (first.affected, second.affected) == (1, 0)
    assert client.hgetall(p + "profile:1") == after
    assert after["name"] == "张*"
    assert after["mobile"].startswith("h1:") and len(after["mobile"]) == 35
    assert after["city"] == "广东省"
    assert after["nickname"] == ANONYMISED
    assert "email" not in after and "id_number" not in after  # delete and null: HDEL
    assert after["theme"] == "dark"  # not declared, not touched
    assert client.hgetall(p + "profile:2") == {"name": "李四", "mobile": "13900001111"}


def test_erase_fields_of_a_string_key_is_refused(
    cache: RedisConnector, data_map: DataMap, scratch: Scratch
) -> None:
    wrong = data_map.dataset("profiles").model_copy(
        update={"key": scratch[1] + "session:{user_id}"}
    )
    with pytest.raises(ConnectorError, match="is a string, not a hash"):
        cache.erase(wrong, [scratch[1] + "session:1"], hash_key=HASH_KEY, idempotency_key="x")


def test_correct_a_declared_hash_field(
    cache: RedisConnector, data_map: DataMap, scratch: Scratch
) -> None:
    client, p = scratch
    profiles = data_map.dataset("profiles")
    assert cache.correct(profiles, p + "profile:1", "name", "张三丰") == 1
    assert client.hget(p + "profile:1", "name") == "张三丰"
    assert cache.correct(profiles, p + "profile:404", "name", "无人") == 0
    assert client.exists(p + "profile:404") == 0  # never creates a record
    with pytest.raises(ConnectorError, match="'theme' is not a declared field"):
        cache.correct(profiles, p + "profile:1", "theme", "light")


def test_a_while_hold_is_refused_on_redis(cache: RedisConnector, data_map: DataMap) -> None:
    profiles = data_map.dataset("profiles")
    held = profiles.model_validate(
        {
            **profiles.model_dump(by_alias=True, exclude_none=True),
            "holds": [{"rule": "x", "while": "status = 'open'"}],
        }
    )
    with pytest.raises(ConnectorError, match="`while` is a SQL condition"):
        cache.find(held, {"user_id": ["1"]})


def test_unreachable_redis_names_the_store_not_the_password(data_map: DataMap) -> None:
    connector = connect(
        data_map.store("cache"), environ={"YINSI_T_REDIS_URL": "redis://:s3cret-pw@127.0.0.1:1/0"}
    )
    try:
        with pytest.raises(ConnectorError) as caught:
            connector.find(data_map.dataset("sessions"), {"user_id": ["1"]})
        with pytest.raises(ConnectorError) as scanning:
            list(connector.scan(data_map.dataset("sessions")))
    finally:
        connector.close()
    for message in (str(caught.value), str(scanning.value)):
        assert message.startswith("store 'cache': cannot reach redis://127.0.0.1:1/0")
        assert "s3cret-pw" not in message


def test_factory_client_round_trip(data_map: DataMap, scratch: Scratch, redis_url: str) -> None:
    connector = connect(data_map.store("cache"), environ={"YINSI_T_REDIS_URL": redis_url})
    try:
        [session] = connector.find(data_map.dataset("sessions"), {"user_id": ["2"]})
    finally:
        connector.close()
    assert session.values == {"value": "token-bob"}
