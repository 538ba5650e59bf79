"""Entry links to the privacy center, issued for the app's back-end or support staff.

A link lets whoever holds it act as the user in the privacy center for ten minutes
(:mod:`yinsi.security.entry_links`), so issuing one is written to the audit log
(``privacy.link_issued``, with the app and the subject), and only for an app that has
published a declaration: the center has nothing to show for any other. A link opens one
session only (:meth:`PrivacyLinkService.redeem`): the first opening records the link's id
in the database until the link would have expired — one insert, so of two openings at
once, in one process or several, exactly one succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from yinsi.security.entry_links import ENTRY_SECONDS, entry_link, read_entry_token
from yinsi.services.clock import Clock, utc_now
from yinsi.services.consent import Engine
from yinsi.storage import UnitsOfWork

__all__ = ["EntryLink", "PrivacyLinkService", "Redeemed"]


class Redeemed(StrEnum):
    """What opening an entry link gave."""

    OPENED = "opened"
    """The first opening of a genuine, unexpired link: open the session."""
    USED = "used"
    """The link was opened before: refuse, and say how to get a new one."""
    INVALID = "invalid"
    """Forged, expired or malformed."""


@dataclass(frozen=True, slots=True)
class EntryLink:
    """A signed link that opens the privacy center as one user, valid ``expires_in_s``."""

    url: str
    expires_in_s: int


class PrivacyLinkService:
    """Issues entry links (built by :class:`~yinsi.services.root.Services`)."""

    def __init__(
        self, consent: Engine, units: UnitsOfWork, *, actor: str, clock: Clock = utc_now
    ) -> None:
        self._consent = consent
        self._units = units
        self._actor = actor
        self._clock = clock

    def issue(
        self,
        app_id: str,
        subject_id: str,
        *,
        secret: bytes,
        base_url: str,
        actor: str | None = None,
    ) -> EntryLink:
        """A link to ``base_url``'s privacy center as ``subject_id`` of ``app_id``, signed
        with ``secret`` (the site's); audited.

        Raises :class:`~yinsi.consent.UnknownName` for an app nobody published.
        """
        self._consent.current_version(app_id)
        with self._units() as uow:
            uow.audit.append(actor or self._actor, "privacy.link_issued", app_id, subject_id)
            uow.commit()
        return EntryLink(entry_link(secret, base_url, app_id, subject_id), ENTRY_SECONDS)

    def redeem(self, token: str, *, secret: bytes) -> Redeemed:
        """Open the entry link ``token`` (signed with ``secret``) once: :attr:`Redeemed.OPENED`
        the first time, :attr:`Redeemed.USED` after, :attr:`Redeemed.INVALID` if forged or
        expired."""
        found = read_entry_token(secret, token)
        if found is None:
            return Redeemed.INVALID
        with self._units() as uow:
            first = uow.limits.use_once(found.link_id, self._clock(), found.expires_at)
            uow.commit()
        return Redeemed.OPENED if first else Redeemed.USED
