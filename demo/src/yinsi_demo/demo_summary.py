"""What the demo's seeding reports, and the user lists it leaves in its folder.

:class:`DemoSummary` is what ``yinsi demo seed`` prints: the counts, where users stand on
the policy versions, and the users worth opening first (:class:`Featured`).
:func:`write_user_files` writes ``users.tsv``, ``subjects.tsv`` and ``featured.tsv``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yinsi_demo as sample
from yinsi.consent import ConsentState
from yinsi.rights.requests import Status
from yinsi_demo import demo_stores as stores
from yinsi_demo.demo_desk import Desk
from yinsi_demo.demo_plan import Published


@dataclass(frozen=True, slots=True)
class Featured:
    """A demo user worth opening in the privacy center, and why (in Chinese)."""

    role: str
    subject_id: str
    note: str


@dataclass(frozen=True)
class DemoSummary:
    """What one seeding made, for ``yinsi demo seed`` to print."""

    app_id: str
    users: tuple[str, ...]
    """The demo users' subject ids (= the sample's ``users.id``)."""
    guests: tuple[str, ...]
    """Guest installs that declined the policy (browse-only), no account."""
    versions: tuple[Published, ...]
    policy: Mapping[str, int]
    """Users by where they stand: ``current`` (accepted the latest version), ``behind``
    (accepted an earlier one only: the re-consent audience), ``declined`` (declined the
    latest), ``cancelled`` (accounts closed); and ``guests``."""
    consents: Mapping[str, tuple[int, int]]
    """Per consent item of the latest version: (users granting it now, users who withdrew)."""
    requests: Mapping[Status, int]
    overdue: int
    """Open requests past their due date."""
    holds: int
    """Legal holds in force."""
    released_holds: int
    incidents: tuple[str, ...]
    events: int
    """Consent events written."""
    records: int
    """Records put in the sample stores (SQL rows and Redis keys)."""
    featured: tuple[Featured, ...]
    folder: Path
    seconds: float


def featured(seeded: sample.Seeded, desk: Desk, behind: Sequence[str]) -> tuple[Featured, ...]:
    """The users to open first: one behind on the policy version (a borrower if one is
    left), the overdue deletion request, the completed access request with an export."""
    picks: list[Featured] = []
    if behind:  # a borrower if one is left: more to see in the privacy center
        order = [sample.Profile.OUTSTANDING, sample.Profile.MIXED]
        rank = {p: n for n, p in enumerate(order)}
        who = min(behind, key=lambda u: rank.get(seeded.subject(u).profile, len(order)))
        note = "尚未同意第1.4版隐私政策：进入隐私中心时会请其重新确认"
        picks.append(Featured("reconsent", who, note))
    for filed in desk.filed:
        script = filed.script
        if script.kind == "deletion" and script.until is Status.VERIFIED:
            picks.append(Featured("overdue", filed.subject_id, "有一件已逾期、待审核的删除请求"))
        elif script.kind == "access" and script.until is Status.COMPLETED and not script.relative:
            picks.append(Featured("export", filed.subject_id, "查阅请求已完成，可下载个人信息副本"))
    return tuple(picks)


def standing(state: ConsentState, latest: str, cancelled: bool) -> str:
    """Where a user stands on the latest version ``latest``: a key of
    :attr:`DemoSummary.policy`."""
    if cancelled:
        return "cancelled"
    if state.declined_version == latest:
        return "declined"
    if state.accepted_version == latest:
        return "current"
    return "behind"


def write_user_files(
    folder: Path, seeded: sample.Seeded, summary: DemoSummary, used: set[str]
) -> None:
    """``users.tsv``, ``subjects.tsv`` (one user per profile that no script touched, the
    format of ``yinsi sample seed``) and ``featured.tsv``."""
    people = [seeded.subject(uid) for uid in summary.users]
    stores.write_tsv(
        folder / "users.tsv",
        ("user_id", "profile", "name", "id_suffix"),
        [(p.user_id, p.profile.value, p.name, p.id_number[-6:]) for p in people],
    )
    untouched = [
        next(p for p in seeded.of(profile) if p.user_id not in used) for profile in sample.Profile
    ]
    stores.write_tsv(
        folder / "subjects.tsv",
        ("profile", "user_id", "id_suffix"),
        [(p.profile.value, p.user_id, p.id_number[-6:]) for p in untouched],
    )
    stores.write_tsv(
        folder / "featured.tsv",
        ("role", "user_id", "note"),
        [(f.role, f.subject_id, f.note) for f in summary.featured],
    )
