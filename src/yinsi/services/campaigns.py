"""``CampaignService``: re-consent campaigns for a new policy version (X02, W19).

Subjects still on an older version are decided under the version they accepted; the new
one applies to them only once they accept it, and declining it leaves browse-only mode.
A campaign records, for the current version, how many subjects are behind (starting one
is audited by the storage adapter); exporting its list of subjects to notify is audited
here, and the list is read at export time: those still behind then.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from yinsi.consent import UnknownName
from yinsi.consent.campaigns import Campaign
from yinsi.declaration.versions import PolicyVersion
from yinsi.storage import UnitsOfWork

__all__ = ["CampaignService", "PolicyOverview", "behind"]


def behind(versions: Sequence[PolicyVersion], accepted: dict[str | None, int]) -> int:
    """Subjects whose last accepted version is older than the current (last) one."""
    return sum(accepted.get(v.version, 0) for v in versions[:-1])


@dataclass(frozen=True, slots=True)
class PolicyOverview:
    """An app's published versions (oldest first), who accepted which, and its campaigns."""

    versions: tuple[PolicyVersion, ...]
    accepted: dict[str | None, int]
    """Subjects by the version they accepted last (None: none accepted)."""
    campaigns: tuple[Campaign, ...]
    """Newest first."""

    @property
    def current(self) -> PolicyVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def behind(self) -> int:
        return behind(self.versions, self.accepted)


class CampaignService:
    def __init__(self, units: UnitsOfWork) -> None:
        self._units = units

    def overview(self, app_id: str) -> PolicyOverview:
        """The versions, acceptance counts and campaigns of ``app_id``, read together."""
        with self._units(read_only=True) as uow:
            return PolicyOverview(
                tuple(uow.policies.list(app_id)),
                uow.reports.accepted_versions(app_id),
                tuple(uow.campaigns.list(app_id)),
            )

    def start(self, app_id: str, *, actor: str) -> Campaign:
        """A campaign for the app's current version, counting the subjects behind it.

        Raises ``UnknownName`` when the app has published no version.
        """
        with self._units() as uow:
            versions = uow.policies.list(app_id)
            if not versions:
                raise UnknownName("app", app_id, uow.reports.apps())
            count = behind(versions, uow.reports.accepted_versions(app_id))
            campaign = uow.campaigns.start(app_id, versions[-1].version, count, actor=actor)
            uow.commit()
        return campaign

    def export(self, campaign_id: str, *, actor: str) -> Campaign | None:
        """Audit that ``actor`` exports the campaign's list; None for an unknown campaign.

        The list itself is :meth:`recipients`, read as it is sent.
        """
        with self._units() as uow:
            campaign = uow.campaigns.get(campaign_id)
            if campaign is None:
                return None
            uow.audit.append(
                actor,
                "consent.campaign_exported",
                campaign.app_id,
                details={"campaign_id": campaign.id, "version": campaign.version},
            )
            uow.commit()
        return campaign

    def recipients(self, campaign: Campaign) -> Iterator[str]:
        """The subjects still behind the campaign's version now, sorted (read lazily)."""
        with self._units(read_only=True) as uow:
            yield from uow.reports.subjects_behind(campaign.app_id, campaign.version)
