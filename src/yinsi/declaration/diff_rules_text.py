"""The judgement table's lines for free text that :mod:`.diff_effects_text` reads: the names
of the parties that receive PI, the sources of indirectly obtained PI, lists of promises
and burdens, and a right's fee. Merged into :data:`yinsi.declaration.diff_rules.TABLE`.

Each reason says the rule it applied, so that a reader can check the verdict: a name
judged a rewording is the same party by :func:`.diff_effects_text.same_party`.
"""

from __future__ import annotations

from yinsi.declaration import diff_effects as fx
from yinsi.declaration import diff_effects_text as text
from yinsi.declaration.diff_rule_types import R, Rule

__all__ = [
    "FEE",
    "JOINT_HANDLER_NAME",
    "MEASURES",
    "PRECONDITIONS",
    "RECIPIENT_NAME",
    "SDK_PROVIDER",
    "SOURCE",
    "promises",
]

_IGNORING = "忽略空白、标点、全半角、组织形式（有限公司等）及末尾注释后"
"""What :func:`.diff_effects_text.same_party` leaves out before comparing two names."""

# fmt: off
RECIPIENT_NAME = R(text.other_party, f"接收方变更为另一主体：{_IGNORING}名称仍不同 (PI provided to another party: not the same name reworded, PIPL Arts. 21, 23)", f"接收方名称措辞修改：{_IGNORING}名称相同，为同一主体 (recipient's name reworded: same party)")
"""``recipients[].name``: another company (众安 → 阳光财险) is a new recipient (Art. 23) or a
new entrusted processor (Art. 21); ``有限公司`` added is not."""
SDK_PROVIDER = R(text.other_party, f"第三方SDK提供方变更为另一主体：{_IGNORING}名称仍不同 (SDK from another provider, PIPL Art. 23)", f"第三方SDK提供方名称措辞修改：{_IGNORING}名称相同，为同一主体 (SDK provider's name reworded: same party)")
"""``sdks[].provider``."""
JOINT_HANDLER_NAME = R(text.other_party, f"共同处理者变更为另一主体：{_IGNORING}名称仍不同 (another joint handler, PIPL Art. 20)", f"共同处理者名称措辞修改：{_IGNORING}名称相同，为同一主体 (joint handler's name reworded: same party)")
"""``joint_handlers[].name``."""

SOURCE = R(text.source_added, "新增或变更间接获取来源：新文本含有旧文本没有的内容 (PI obtained from a new source: the text says something it did not)", "间接获取来源减少或措辞修改：新文本未提及旧文本以外的内容 (fewer sources, or reworded: nothing new named)")
"""``scenarios[].source``, ``pi_inventory[].source``."""

MEASURES = R(text.lost_text, "安全措施减少或可能减弱：原有措施被删除或改写 (fewer or possibly weaker security measures: one removed or reworded, PIPL Art. 51)", "安全措施增加、调整顺序或措辞修改：原有措施均在，仅标点或增补文字不同 (measures added, reordered or reworded: each is still there)")
"""``security.measures``."""

PRECONDITIONS = R(text.gained_text, "新增行使权利的条件 (precondition added: X03 C, W19; 网络数据安全管理条例 Art. 23)")
"""``rights.items[].preconditions``: only punctuation, width and spaces are wording."""

FEE = R(fx.fee_added, "行使权利开始收费或不再承诺免费 (a fee added, or free of charge no longer promised: X03 C, W19)", "承诺免费或不再收费 (free of charge promised, or a fee dropped)")
"""``rights.items[].free``: True (written), None (not written) or False (a fee)."""
# fmt: on


def promises(reason: str) -> Rule:
    """A list of promises in free text (ways of notice or withdrawal) judged like the measures:
    material with ``reason`` when one is removed or reworded beyond wording."""
    return R(
        text.lost_text,
        reason,
        "各项均在，仅措辞修改或增加 (each is still there: reworded or added)",
    )
