"""Rules on cookies and similar technologies (X40): users can clear what is stored on their
device, and browse-only data goes promptly (:mod:`yinsi.declaration.tracking_checks`).
"""

from __future__ import annotations

from collections.abc import Iterator

from yinsi.declaration.check_context import CheckContext
from yinsi.declaration.errors import Issue
from yinsi.declaration.lint.registry import PIPL, Citation, Example, rule
from yinsi.declaration.tracking_checks import (
    BROWSE_ONLY_RETENTION,
    TRACKING_CLEARABLE,
    check_tracking,
)

__all__ = ["RULES"]

_COOKIE = (
    "scenarios: [{id: signup, elements: [mobile_number, login_token]}]\n"
    "tracking: [{id: session, kind: cookie, name: 登录状态Cookie, elements: [login_token], "
    "purposes: [account_registration]"
)


@rule(
    "tracking-clearable",
    "warning",
    title="A cookie or local storage entry the user cannot clear",
    cites=(PIPL(15), Citation("认定方法", section="三")),
    explanation="What an app stores on the user's device (cookies, LocalStorage, web "
    "beacons, ETags) must be something the user can disable or clear: consent is "
    "withdrawn conveniently (PIPL Art. 15), and section 三 of the 认定方法 counts not "
    "offering a way to withdraw consent as collection without consent. Log files and "
    "request headers are not stored on the device.",
    fix="Say how in `how_to_clear` (e.g. 我的-设置-清除缓存, or the browser's settings).",
    failing=Example(_COOKIE + "}]"),
    passing=Example(_COOKIE + ", how_to_clear: 我的-设置-清除缓存}]"),
    stage="load",
)
def tracking_clearable(ctx: CheckContext) -> Iterator[Issue]:
    return (i for i in check_tracking(ctx.d) if i.rule == TRACKING_CLEARABLE)


_BROWSE = (
    "policy: {on_decline: browse_only}\n"
    "retention: [{id: browse, label: 浏览信息, period: {period}, bound: at_most, "
    "then: delete_or_anonymise}]\n"
    "scenarios: [{id: browse, name: 仅浏览模式, function: basic, purposes: [guest_browsing], "
    "methods: [automatic], elements: [ip_address], retention: browse}]\n"
    "tracking: [{id: browse_log, kind: log_file, name: 浏览日志, elements: [ip_address], "
    "purposes: [guest_browsing], retention: browse}]\n"
    "taxonomy: {purposes: [{id: guest_browsing, label: 提供仅浏览模式下的浏览功能}]}\n"
    "waivers: [{rule: consent-required, id: browse, reason: 原政策未说明仅浏览模式的处理依据}]"
)


@rule(
    "browse-only-retention",
    "warning",
    title="Browse-only data kept longer than one month",
    cites=(PIPL(19), Citation("GB/T 35273-2020", section="§6.1")),
    explanation="A user who declined the policy may still browse (X02); what is collected "
    "for that is kept the shortest time necessary (PIPL Art. 19; GB/T 35273-2020 §6.1), "
    "at most one month (X38). Browse-only scenarios are the basic-function scenarios on "
    "consent that name no consent item, when `policy.on_decline` is `browse_only`.",
    fix="Name a retention rule with a period of at most one month.",
    failing=Example(_BROWSE.replace("{period}", "1y")),
    passing=Example(_BROWSE.replace("{period}", "1m")),
    stage="load",
)
def browse_only_retention(ctx: CheckContext) -> Iterator[Issue]:
    return (i for i in check_tracking(ctx.d) if i.rule == BROWSE_ONLY_RETENTION)


RULES = (tracking_clearable, browse_only_retention)
