"""The policy's header and its update terms (chapter 8) as the declaration states them.

A boolean flag (``changes_need_consent``, ``continued_use_as_acceptance`` …) says
something only when the declaration writes it and it is true (:func:`flag`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from yinsi.declaration.schema import Declaration
from yinsi.policy.phrases import DECLINE, chinese_date, laws_in_force, version_label
from yinsi.policy.provenance import Kind, Statement, at, fixed, said, stated
from yinsi.policy.text import clause, sentence

__all__ = ["ADULT", "CHILD", "PolicyMeta", "flag", "policy_meta"]

ADULT = 18  # 民法典 Art. 17
CHILD = 14  # PIPL Art. 28, 31
NOTHING = Statement("")


@dataclass(frozen=True)
class PolicyMeta:
    title: Statement
    version: Statement
    updated: Statement
    effective: Statement
    effective_on_acceptance: Statement
    notice_methods: Statement
    changes_need_consent: Statement
    continued_use: Statement
    decline: Statement
    material_change_notice: Statement
    high_risk: Statement
    signature_required: bool
    minimum_age: Statement
    laws: Statement
    drafted_under: Statement
    change_commitments: list[Statement]
    adults_only: bool
    children_allowed: bool


def flag(model: BaseModel, name: str, path: str, text: str, kind: Kind = "commitment") -> Statement:
    """``text`` when the boolean ``name`` is written and true, else nothing."""
    if stated(model, name) and getattr(model, name):
        return fixed(text, f"flag.{path}", path, kind=kind)
    return NOTHING


def policy_meta(d: Declaration) -> PolicyMeta:
    p = d.policy
    age = p.minimum_age if stated(p, "minimum_age") and p.minimum_age > 0 else None
    decline = NOTHING
    mode = p.on_decline
    if mode is not None:
        decline = fixed(
            DECLINE[mode], f"phrases.decline.{mode.value}", "policy.on_decline", kind="commitment"
        )
    return PolicyMeta(
        title=said(clause(p.title).strip("《》"), "policy.title"),
        version=said(version_label(p.version), "policy.version"),
        updated=said(chinese_date(p.updated), "policy.updated"),
        effective=said(chinese_date(p.effective), "policy.effective"),
        effective_on_acceptance=flag(
            p,
            "effective_on_acceptance",
            "policy.effective_on_acceptance",
            "更新后的政策自您同意之日起对您生效",
        ),
        notice_methods=said("、".join(p.notice_methods), "policy.notice_methods", kind="commitment")
        if stated(p, "notice_methods")
        else NOTHING,
        changes_need_consent=flag(
            p, "changes_need_consent", "policy.changes_need_consent", "重新取得您的同意"
        ),
        continued_use=flag(
            p,
            "continued_use_as_acceptance",
            "policy.continued_use_as_acceptance",
            "如果您继续使用我们的产品和/或服务，则视为您接受我们对本政策相关条款所做的修改。",
            kind="fact",
        ),
        decline=decline,
        material_change_notice=said(
            sentence(p.material_change_notice), "policy.material_change_notice", kind="commitment"
        ),
        high_risk=flag(
            p,
            "high_risk_impact_assessment",
            "policy.high_risk_impact_assessment",
            "我们的个人信息保护影响评估报告表明，相关个人信息处理活动存在高风险，"
            "特此以显著方式向您提示。",
            kind="fact",
        ),
        signature_required=p.signature_required,
        minimum_age=said(str(age), "policy.minimum_age", kind="commitment") if age else NOTHING,
        laws=fixed(laws_in_force(p.effective), "phrases.laws_in_force", "policy.effective"),
        drafted_under=said(clause(p.drafted_under), "policy.drafted_under"),
        change_commitments=[
            said(sentence(c), at("policy", "change_commitments", i), kind="commitment")
            for i, c in enumerate(p.change_commitments)
        ],
        adults_only=age is not None and age >= ADULT,
        children_allowed=age is not None and age < CHILD,
    )
