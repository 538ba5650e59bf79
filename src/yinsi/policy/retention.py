"""The words of a retention period, in the declared modality (chapters 1, 5 and 6).

网络数据安全管理条例 Art. 21 asks for the retention period *and* what happens when it
ends; each phrase says what the declaration states of both, in its modality, and nothing
it does not (``validate`` warns about what is missing). The chapters' views, with each
phrase's sources, are :mod:`yinsi.policy.storage`.
"""

from __future__ import annotations

from yinsi.declaration.schema import RetentionRule
from yinsi.policy.text import clause
from yinsi.taxonomy import RetentionBound, RetentionStart

__all__ = ["period_cell", "period_phrase", "retention_phrase"]

NECESSARY = "实现处理目的所必需的最短期间"
NOT_RETAINED = "不保存"
DIGEST = "不保存原始信息，仅保存其摘要"
"""``kept_as: digest`` (e.g. a face image kept only as its digest)."""


def period_phrase(rule: RetentionRule) -> str:
    """The period in the policy's modality (``bound``), from its start if it names one.

    ``at_most``: "最长不超过您注销账户后5年", "最长不超过1个月"; ``exactly``: "自收集之日起
    保存1个月", "保存1个月"; a zero period: "不保存". Without a period, the policy's own
    words on how the period is determined (``basis``: "我们仅会在必需期间和符合法律法规要求
    的时限内保留您的信息"), or nothing when it says nothing.
    """
    if rule.not_retained:
        return NOT_RETAINED
    if rule.kept_as == "digest":
        rest = period_phrase(rule.model_copy(update={"kept_as": None})) if rule.period else ""
        return "，".join(filter(None, [DIGEST, rest]))
    period = rule.period
    if period is None:
        return clause(rule.basis)
    if _until_start(rule):
        assert rule.starts is not None
        return f"保存至{rule.starts.event}时"
    if period.amount == 0:
        return NOT_RETAINED
    if rule.bound is RetentionBound.AT_MOST:
        after = f"{rule.starts.event}后" if rule.starts else ""
        return f"最长不超过{after}{period.label}"
    since = f"自{rule.starts.label}起" if rule.starts else ""
    if rule.bound is RetentionBound.EXACTLY:
        return f"{since}保存{period.label}"
    return f"保存期限为{since}{period.label}"  # unreachable once loaded: bound is required


def period_cell(rule: RetentionRule) -> str:
    """The period column of the retention table: "最长不超过5年", "1个月", "不保存",
    "仅保存摘要，最长不超过5年", or ""."""
    if rule.not_retained:
        return NOT_RETAINED
    digest = "仅保存摘要" if rule.kept_as == "digest" else ""
    period = rule.period
    if period is None:
        return digest
    if _until_start(rule):
        assert rule.starts is not None
        return "，".join(filter(None, [digest, f"保存至{rule.starts.label}"]))
    if period.amount == 0:
        return NOT_RETAINED
    cell = f"最长不超过{period.label}" if rule.bound is RetentionBound.AT_MOST else period.label
    return "，".join(filter(None, [digest, cell]))


def retention_phrase(rule: RetentionRule | None) -> str:
    """``最长不超过您注销账户后5年，期限届满后删除或匿名化处理`` (no final full stop).

    Each part only when the declaration states it: the period (or how it is determined),
    what happens when it ends (``then``), a legal minimum. ``None`` (no rule at all) is
    the statutory rule of PIPL Art. 19 and 47.
    """
    if rule is None:
        return f"在{NECESSARY}内保存，期限届满后删除或匿名化处理"
    if rule.not_retained or (
        rule.period is not None and rule.period.amount == 0 and not _until_start(rule)
    ):
        return period_phrase(rule)
    parts = [period_phrase(rule)]
    if rule.then is not None:
        parts.append(f"期限届满后{rule.then.label}")
    phrase = "，".join(p for p in parts if p)
    if rule.minimum is not None:
        phrase += f"（法律、行政法规规定的最短保存期限为{rule.minimum.label}）"
    return phrase


def _until_start(rule: RetentionRule) -> bool:
    """A zero period from a later event (``period: 0d, starts: account_cancellation``):
    the PI is kept until that event, then the rule's ``then`` — not "不保存", which a
    zero period from collection is."""
    zero = rule.period is not None and rule.period.amount == 0
    return zero and rule.starts is not None and rule.starts is not RetentionStart.COLLECTION
