"""X26: the subjects of a Redis dataset are read from its keys, whose pattern is a Redis glob."""

from __future__ import annotations

import pytest

from yinsi.declaration.datamap import Dataset
from yinsi.lifecycle.incidents import key_values


def _dataset(key: str) -> Dataset:
    return Dataset.model_validate(
        {"id": "codes", "label": "短信验证码", "store": "cache", "key": key}
    )


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("session:{user_id}", "session:u1", {"user_id": "u1"}),
        ("sms:{phone_hash}:*", "sms:ab12:20250101", {"phone_hash": "ab12"}),
        ("sms:{phone_hash}:*", "sms:ab12:", {"phone_hash": "ab12"}),
        ("otp:?:{user_id}", "otp:7:u9", {"user_id": "u9"}),
        ("otp:[ab]:{user_id}", "otp:b:u9", {"user_id": "u9"}),
        ("lit:\\*:{user_id}", "lit:*:u3", {"user_id": "u3"}),
        ("a.b+c:{user_id}", "a.b+c:u4", {"user_id": "u4"}),
    ],
)
def test_x26_key_values_read_identities_through_redis_globs(
    pattern: str, key: str, expected: dict[str, str]
) -> None:
    assert key_values(_dataset(pattern), key) == expected


@pytest.mark.parametrize(
    ("pattern", "key"),
    [
        ("sms:{phone_hash}:*", "session:ab12"),
        ("otp:[ab]:{user_id}", "otp:c:u9"),
        ("lit:\\*:{user_id}", "lit:x:u3"),
        ("a.b+c:{user_id}", "aXb+c:u4"),
    ],
)
def test_x26_keys_outside_the_pattern_name_no_subject(pattern: str, key: str) -> None:
    assert key_values(_dataset(pattern), key) is None
