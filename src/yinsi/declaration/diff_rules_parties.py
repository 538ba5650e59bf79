"""The judgement table's lines for minors, joint handlers, onward transfers, an opt-out's
switch and the change log (issue 13, Build 4, half B), merged into
:data:`yinsi.declaration.diff_rules.TABLE`. Widening is material, narrowing and wording
are not (see :mod:`.diff_effects`).
"""

from __future__ import annotations

from collections.abc import Mapping

from yinsi.declaration import diff_effects as fx
from yinsi.declaration import diff_effects_parties as parties
from yinsi.declaration import diff_effects_refs as refs
from yinsi.declaration.diff_rule_types import WORDING, Part, R, Rule
from yinsi.declaration.diff_rules_text import JOINT_HANDLER_NAME

__all__ = ["JOINT_HANDLERS", "MINORS", "ONWARD", "SWITCH"]

# fmt: off
_END_ACTION = {"delete": 0, "delete_or_anonymise": 1, "anonymise": 2}

ONWARD = R(parties.onward_widened, "接收方向更多方或境外转提供 (recipient passes PI on to more parties, abroad or more of it, PIPL Arts. 23, 38-39)")
"""``recipients[].onward``."""
SWITCH = R(fx.cleared_text, "不再说明在何处关闭 (where to switch it off no longer told, PIPL Arts. 15, 24)")
"""``consents[].switch``."""

MINORS: Mapping[str, Rule] = {
    "minors": R(fx.dropped, "不再说明未成年人个人信息保护规则 (what the policy says about minors withdrawn, PIPL Art. 31)"),
    "minors.under_14": R(fx.ranked({"not_served": 0, "guardian_consent": 1, None: 2}), "接纳不满十四周岁的未成年人 (children under 14 admitted, PIPL Art. 31)"),
    "minors.guardian_consent": R(refs.consent_ref, "同意方式弱化或取消 (weaker or no consent, PIPL Arts. 14, 31)"),
    "minors.children_rules": R(fx.dropped, "不再提供儿童个人信息处理规则 (children's rules withdrawn, PIPL Art. 31 para. 2)"),
    "minors.children_rules.title": WORDING,
    "minors.children_rules.url": R(fx.cleared_text, "不再提供儿童个人信息处理规则的链接 (link to the children's rules withdrawn, PIPL Art. 31 para. 2)"),
    "minors.closed_features": R(fx.lost, "向未成年人开放更多业务功能 (functions opened to minors, PIPL Art. 31)"),
    "minors.found_later": R(fx.ranked(_END_ACTION), "发现未成年人个人信息后的处理减弱 (weaker action on minors' PI found later, PIPL Art. 31)"),
    "minors.note": R(fx.reworded_promise, "未成年人保护说明变更或取消 (what the policy says about minors changed, PIPL Art. 31)"),
    "changes": R(fx.never, "", "更新记录 (change log, X01)"),
    "archive_url": R(fx.never, "", "历史版本链接 (archive of earlier versions, X01)"),
}
"""Fields of ``policy`` (the part's own table adds them)."""

JOINT_HANDLERS = Part(
    R(fx.always, "新增共同处理者 (new joint handler, PIPL Art. 20)"),
    R(fx.never, "", "删除共同处理者 (joint handler removed)"),
    {
        "name": JOINT_HANDLER_NAME,
        "contact": R(fx.cleared_text, "不再提供共同处理者的联系方式 (joint handler's contact withdrawn, PIPL Arts. 17, 20)"),
        "scenarios": R(fx.gained, "更多业务功能由共同处理者参与 (joint processing in more functions, PIPL Art. 20)"),
        "purposes": R(fx.gained, "新增处理目的 (new purpose, PIPL Art. 14)"),
        "elements": R(fx.gained, "接收或收集更多个人信息 (more PI elements, PIPL Art. 14)"),
        "our_duties": R(fx.reworded_promise, "我们在共同处理中承担的义务变更 (our duties in joint processing changed, PIPL Art. 20)"),
        "their_duties": R(fx.changed_text, "共同处理者的职责变更 (the joint handler's duties changed, PIPL Art. 20)"),
        "note": WORDING,
    },
)
"""The part ``joint_handlers``."""
# fmt: on
