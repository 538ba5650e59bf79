"""The words of a rights deadline and of the reply time, in the declared modality.

The chapters' views (chapters 4 and 9), with each phrase's sources, are
:mod:`yinsi.policy.rights_chapter`.
"""

from __future__ import annotations

from yinsi.declaration.schema import Deadline
from yinsi.taxonomy import DeadlineQualifier

__all__ = ["DEADLINE_START", "deadline_phrase", "reply_phrase", "we_will"]

DEADLINE_START: dict[str | None, str] = {
    "receipt": "收到您的请求后",
    "verification": "验证您的身份后",
    "receipt_and_verification": "收到您的请求并验证您的身份后",
    None: "",
}
"""What a deadline counts from, as the policy says it (nothing when it does not say)."""


def we_will(qualifier: DeadlineQualifier | None) -> str:
    """Says 我们将, hedged as the policy hedges it: "我们原则上将", "一般情况下，我们将"."""
    if qualifier is DeadlineQualifier.GENERALLY:
        return f"{qualifier.label}，我们将"
    return f"我们{qualifier.label if qualifier else ''}将"


def reply_phrase(days: int, qualifier: DeadlineQualifier | None = None) -> str:
    """The reply time for questions and complaints (``contacts``), in the declared modality."""
    return f"对于您的问题、意见或建议，{we_will(qualifier)}在{days}个工作日内予以答复。"


def deadline_phrase(deadline: Deadline | None) -> str:
    """The deadline in the policy's words: its verb, hedge and start, nothing more.

    "我们原则上将在收到您的请求并验证您的身份后15个工作日内答复。"; with a usual time:
    "我们将在验证您的身份后15个工作日内答复，一般情况下在3个工作日内处理完成。" Without a
    verb the policy states only the time limit ("验证您的身份后15个工作日内。").
    """
    if deadline is None:
        return ""
    start = DEADLINE_START[deadline.counted_from]
    days = f"{start}{deadline.working_days}个工作日内"
    if deadline.verb is None:
        text = days
    else:
        text = f"{we_will(deadline.qualifier)}在{days}{deadline.verb.label}"
    if deadline.target_working_days:
        usual = f"{deadline.target_working_days}个工作日内"
        verb = deadline.target_verb.label if deadline.target_verb else ""
        text += f"，一般情况下在{usual}{verb}" if verb else f"，一般情况下{usual}"
    return text + "。"
