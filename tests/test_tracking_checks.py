"""X40: cookies can be disabled or cleared; browse-only cookies are removed promptly.

The two reference declarations stay free of errors and get exactly the X40 warnings that
are true of their source policies; a synthetic declaration shows each warning and that a
compliant browse-mode cookie gets none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import EXAMPLES
from yinsi.declaration import read, read_file
from yinsi.declaration.schema import Duration
from yinsi.declaration.tracking_checks import browse_only_scenarios, check_tracking

Dump = Callable[[dict[str, Any]], str]


def x40_paths(problems: list[Any]) -> list[tuple[str | int, ...]]:
    return [p.path for p in problems if "(X40" in p.message or "X40)" in p.message]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # the seed says nothing about clearing ETags (Cookie指引1.D)
        ("xiaoying-kadai", [("tracking", 5, "how_to_clear")]),
        # （二）1.2 gives no way to clear LocalStorage or web beacons
        ("wolai-shuke", [("tracking", 5, "how_to_clear"), ("tracking", 6, "how_to_clear")]),
    ],
)
def test_x40_examples_have_no_errors_and_only_true_warnings(
    name: str, expected: list[tuple[str | int, ...]]
) -> None:
    loaded = read_file(EXAMPLES / f"{name}.yaml")
    assert loaded.declaration is not None
    assert [p for p in loaded.problems if p.severity == "error"] == []
    assert x40_paths(loaded.warnings) == expected
    assert all("PIPL Art. 15" in p.message for p in loaded.warnings if p.path in expected)


def test_x40_xiaoying_browse_mode_cookie_is_kept_at_most_one_month() -> None:
    loaded = read_file(EXAMPLES / "xiaoying-kadai.yaml")
    d = loaded.declaration
    assert d is not None
    assert [s.id for s in browse_only_scenarios(d)] == ["guest_browsing"]
    cookie = next(t for t in d.tracking if t.id == "browse_mode_cookie")
    assert cookie.retention == "browse_only"
    # a stricter limit than the declared 1 month would flag it: the limit is a setting
    stricter = list(check_tracking(d, browse_only_max=Duration(amount=14, unit="days")))
    assert [i.path for i in stricter if "browse-only" in i.message] == [
        ("tracking", d.tracking.index(cookie), "retention")
    ]


def _browse_mode(base: dict[str, Any]) -> dict[str, Any]:
    """``base`` plus a browse-only scenario and three cookies."""
    base["policy"]["on_decline"] = "browse_only"
    base["taxonomy"] = {"purposes": [{"id": "guest_browsing", "label": "提供游客浏览功能"}]}
    base["retention"] += [
        {"id": "browse", "label": "浏览信息", "period": "1m", "bound": "at_most"},
        {"id": "long", "label": "较长期限", "period": "1y", "bound": "at_most"},
    ]
    base["scenarios"].append(
        {
            "id": "guest",
            "name": "游客浏览",
            "function": "basic",
            "purposes": ["guest_browsing"],
            "methods": ["cookie"],
            "elements": ["device_id"],
            "retention": "browse",
        }
    )
    base["waivers"] = [{"rule": "consent-required", "id": "guest", "reason": "测试"}]
    clear = "您可以在浏览器设置中禁用或清除Cookie"
    base["tracking"] = [
        {
            "id": "ok_cookie",
            "kind": "cookie",
            "name": "浏览Cookie",
            "purposes": ["guest_browsing"],
            "retention": "browse",
            "how_to_clear": clear,
        },
        {
            "id": "kept_long",
            "kind": "cookie",
            "name": "长期浏览Cookie",
            "purposes": ["guest_browsing", "account_registration"],
            "retention": "long",
            "how_to_clear": clear,
        },
        {
            "id": "no_retention",
            "kind": "local_storage",
            "name": "浏览缓存",
            "purposes": ["guest_browsing"],
        },
        {
            "id": "login",
            "kind": "cookie",
            "name": "登录Cookie",
            "purposes": ["account_registration"],
            "retention": "long",
            "how_to_clear": clear,
        },
        {"id": "logs", "kind": "log_file", "name": "日志", "purposes": ["account_registration"]},
    ]
    return base


def test_x40_synthetic_declaration_flags_long_kept_and_unclearable_browse_cookies(
    base: dict[str, Any], dump: Dump
) -> None:
    loaded = read(dump(_browse_mode(base)), "app.yaml")
    assert loaded.declaration is not None, [str(p) for p in loaded.problems]
    assert [p for p in loaded.problems if p.severity == "error"] == []
    found = {p.path: p.message for p in loaded.warnings if "X40" in p.message}
    assert sorted(found, key=str) == sorted(
        [
            ("tracking", 1, "retention"),  # 1 year while serving browse-only mode
            ("tracking", 2),  # browse-only, no retention rule
            ("tracking", 2, "how_to_clear"),  # on the device, no way to clear it
        ],
        key=str,
    )
    assert (
        "长期浏览Cookie（Cookie） serves browse-only mode (guest)"
        in found[("tracking", 1, "retention")]
    )
    assert "period 1年" in found[("tracking", 1, "retention")]
    assert "at most 1个月 (X38, X40; GB/T 35273-2020 §6.1)" in found[("tracking", 2)]
    assert "《App违法违规收集使用个人信息行为认定方法》" in found[("tracking", 2, "how_to_clear")]
    # the login cookie (not browse-only) may be kept longer; a log file is not on the device


def test_x40_without_browse_only_mode_no_retention_warning(
    base: dict[str, Any], dump: Dump
) -> None:
    data = _browse_mode(base)
    data["policy"]["on_decline"] = "previous_version"
    loaded = read(dump(data), "app.yaml")
    assert loaded.declaration is not None, [str(p) for p in loaded.problems]
    paths = x40_paths(loaded.warnings)
    assert paths == [("tracking", 2, "how_to_clear")]
