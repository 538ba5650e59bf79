"""The demo tenant's scripts: which rights requests and legal holds it shows, and how far
each one goes.

Each :class:`Script` is one request and where it stops: only received, verified,
approved, executing (a contest waiting for a person's answer), completed, partially
completed (held loans, a legal hold), refused (on a declared ground, or by the W16
precondition) or withdrawn. Requests filed about a month ago that are still open are
overdue: the due date is 15 working days after verification. Data only:
:class:`yinsi_demo.demo_desk.Desk` turns them into timed steps.
"""

from __future__ import annotations

from dataclasses import dataclass

from yinsi.rights.requests import Status
from yinsi_demo.truth import Profile


@dataclass(frozen=True, slots=True)
class Script:
    """One rights request of the demo and the status it is left in."""

    kind: str
    profile: Profile
    filed_days_ago: int
    until: Status
    needs: str | None = None
    """A consent item the subject must hold when filing (what a withdrawal withdraws)."""
    consent_id: str | None = None
    trigger: str | None = None
    text: str = ""
    ground: str | None = None
    """Refuse on this declared ground (None with ``until=REFUSED``: a precondition fails)."""
    relative: str | None = None
    """A close relative files it (PIPL Art. 49, X34): the relation."""
    correct: str | None = None
    """The element a correction gives a new value for."""
    channel: str = "app"
    """``app`` (verified by SMS code) or ``hotline`` (by the ID number's last six)."""
    legal_hold: str | None = None
    """A legal hold on all the subject's records, added before filing: its reason."""
    answer: str = ""
    """The person's answer to a complaint, contest or explanation request."""


@dataclass(frozen=True, slots=True)
class HoldScript:
    profile: Profile
    dataset: str | None
    reason: str
    added_days_ago: int
    until_days: int | None = None
    """Days after today the hold ends by itself (None: until released)."""
    released_days_ago: int | None = None


SCRIPTS: tuple[Script, ...] = (
    # closed
    Script("access", Profile.NO_LOAN, 38, Status.COMPLETED),
    Script("copy", Profile.OUTSTANDING, 25, Status.COMPLETED, channel="hotline"),
    Script("transfer", Profile.SETTLED_RECENTLY, 21, Status.COMPLETED),
    Script("access", Profile.MIXED, 24, Status.COMPLETED, relative="child", channel="hotline"),
    Script("deletion", Profile.MIXED, 30, Status.PARTIALLY_COMPLETED, trigger="purpose_done"),
    Script("deletion", Profile.NO_LOAN, 22, Status.COMPLETED, trigger="consent_withdrawn"),
    Script(
        "deletion",
        Profile.NO_LOAN,
        19,
        Status.PARTIALLY_COMPLETED,
        trigger="purpose_done",
        legal_hold="涉诉案件审理期间，法院要求保全该用户的全部账户资料",
    ),
    Script("cancel_account", Profile.OUTSTANDING, 20, Status.REFUSED),
    Script("cancel_account", Profile.SETTLED_RECENTLY, 17, Status.PARTIALLY_COMPLETED),
    Script("cancel_account", Profile.NO_LOAN, 15, Status.COMPLETED),
    Script(
        "withdraw_consent",
        Profile.OUTSTANDING,
        16,
        Status.COMPLETED,
        needs="marketing_messages",
        consent_id="marketing_messages",
    ),
    Script(
        "opt_out_personalisation",
        Profile.SETTLED_RECENTLY,
        13,
        Status.COMPLETED,
        needs="personalisation",
    ),
    Script("correction", Profile.NO_LOAN, 11, Status.COMPLETED, correct="mobile_number"),
    Script(
        "explanation",
        Profile.MIXED,
        27,
        Status.REFUSED,
        text="请提供贵公司授信模型的全部变量及其权重",
        ground="trade_secret",
        channel="hotline",
    ),
    Script(
        "complaint",
        Profile.OUTSTANDING,
        9,
        Status.COMPLETED,
        text="催收电话过于频繁，影响正常工作和生活",
        answer="经核实，已要求合作催收机构调整联系频次，并仅在工作日白天联系您本人。",
        channel="hotline",
    ),
    Script("access", Profile.SETTLED_RECENTLY, 8, Status.WITHDRAWN),
    # open and overdue (filed about a month ago)
    Script(
        "contest_automated_decision",
        Profile.MIXED,
        35,
        Status.EXECUTING,
        text="我的借款额度被大幅下调，认为自动化评估结果有误，要求人工复核",
        channel="hotline",
    ),
    Script("deletion", Profile.SETTLED_RECENTLY, 33, Status.VERIFIED, trigger="purpose_done"),
    Script("copy", Profile.NO_LOAN, 29, Status.VERIFIED),
    Script("deletion", Profile.OUTSTANDING, 31, Status.APPROVED, trigger="consent_withdrawn"),
    Script("access", Profile.MIXED, 26, Status.RECEIVED),
    # open, on time
    Script(
        "withdraw_consent",
        Profile.MIXED,
        4,
        Status.VERIFIED,
        needs="location",
        consent_id="location",
    ),
    Script("correction", Profile.OUTSTANDING, 6, Status.VERIFIED, correct="mobile_number"),
    Script("copy", Profile.SETTLED_RECENTLY, 3, Status.APPROVED, channel="hotline"),
    Script("deletion", Profile.NO_LOAN, 2, Status.RECEIVED, trigger="purpose_done"),
    Script("access", Profile.OUTSTANDING, 1, Status.RECEIVED, channel="hotline"),
)

HOLDS: tuple[HoldScript, ...] = (
    HoldScript(
        Profile.OUTSTANDING, "loans", "监管检查：调阅借款合同及还款记录", 40, until_days=120
    ),
    HoldScript(
        Profile.MIXED, None, "客户投诉处理期间保全相关借款及通话记录", 80, released_days_ago=15
    ),
)
