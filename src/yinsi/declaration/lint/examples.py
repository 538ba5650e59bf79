"""The base declaration every rule example is merged into, and the merge itself.

A rule's failing and passing examples (:class:`~.registry.Example`) are short YAML
fragments: the keys that matter for that rule. :func:`example_text` merges one into
:data:`BASE`, a small lending declaration on which no rule reports anything
(tests/test_lint_rules.py checks both, and ``docs/rules.md`` prints the base once).
"""

from __future__ import annotations

from typing import Any

import yaml

from yinsi.declaration.lint.registry import Example

__all__ = ["BASE", "example_data", "example_text", "merge"]

BASE = """\
yinsi: 1
app:
  id: demo_loan
  name: 示例贷
  handler: {name: 示例金融信息服务有限公司, address: 深圳市南山区示例路1号}
  service_model: 为用户匹配持牌资金方的借贷信息服务平台
policy:
  title: 示例贷隐私保护政策
  version: "1.0"
  updated: 2024-01-01
  effective: 2024-01-01
  notice_methods: [弹窗]
contacts:
  channels:
    - {id: hotline, kind: phone, value: "400-000-0000", label: 客服热线,
       purposes: [inquiry, complaint, rights_request]}
    - {id: officer, kind: email, value: privacy@example.com, label: 个人信息保护负责人邮箱,
       purposes: [pi_officer]}
  pi_protection_officer: {channels: [officer]}
consents:
  - {id: policy, label: 隐私保护政策, kind: general}
retention:
  - {id: account, label: 账户信息, period: 5y, bound: at_most, starts: account_cancellation,
     then: delete_or_anonymise}
scenarios:
  - id: signup
    name: 注册与登录
    function: basic
    purposes: [account_registration]
    methods: [user_input]
    elements: [mobile_number]
    consents: [policy]
    retention: account
rights:
  items:
    - {id: access, kind: access, channels: [hotline]}
    - {id: copy, kind: copy, channels: [hotline]}
    - {id: transfer, kind: transfer, channels: [hotline]}
    - {id: correction, kind: correction, channels: [hotline]}
    - {id: deletion, kind: deletion, channels: [hotline]}
    - {id: restrict, kind: restrict, channels: [hotline]}
    - {id: withdraw, kind: withdraw_consent, channels: [hotline]}
    - {id: cancel, kind: cancel_account, channels: [hotline]}
    - {id: explanation, kind: explanation, channels: [hotline]}
    - {id: relatives, kind: deceased_relatives, channels: [hotline]}
    - {id: complaint, kind: complaint, channels: [hotline]}
"""
"""A small lending declaration that every rule accepts."""


def _merge_lists(base: list[Any], patch: list[Any], at: str, replaces: tuple[str, ...]) -> Any:
    """Items with ids merge by id (new ids are appended); other lists are replaced."""
    keyed = all(isinstance(x, dict) and "id" in x for x in [*base, *patch])
    if not keyed or not base or at in replaces:
        return patch
    out = [dict(x) for x in base]
    for item in patch:
        index = next((i for i, x in enumerate(out) if x["id"] == item["id"]), None)
        if index is None:
            out.append(item)
        else:
            out[index] = merge(out[index], item, f"{at}[{item['id']}]", replaces)
    return out


def merge(base: Any, patch: Any, at: str = "", replaces: tuple[str, ...] = ()) -> Any:
    """``patch`` merged into ``base`` (see :class:`~.registry.Example`); ``at`` is the
    dotted path of ``base``, compared with ``replaces``."""
    if at in replaces:
        return patch
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            where = f"{at}.{key}" if at else str(key)
            out[key] = merge(base[key], value, where, replaces) if key in base else value
        return out
    if isinstance(base, list) and isinstance(patch, list):
        return _merge_lists(base, patch, at, replaces)
    return patch


def example_data(example: Example) -> dict[str, Any]:
    """The base declaration with ``example`` merged in, as plain data."""
    base: dict[str, Any] = yaml.safe_load(BASE)
    patch = yaml.safe_load(example.yaml) if example.yaml.strip() else {}
    merged: dict[str, Any] = merge(base, patch, "", example.replaces)
    return merged


def example_text(example: Example) -> str:
    """The base declaration with ``example`` merged in, as YAML to load."""
    return yaml.safe_dump(example_data(example), allow_unicode=True, sort_keys=False)
