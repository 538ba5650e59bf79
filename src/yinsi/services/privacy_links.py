"""Entry links to the privacy center, issued for the app's back-end or support staff.

A link lets whoever holds it act as the user in the privacy center for ten minutes
(:mod:`yinsi.security.entry_links`), so issuing one is written to the audit log
(``privacy.link_issued``, with the app and the subject), and only for an app that has
published a declaration: the center has nothing to show for any other.
"""

from __future__ import annotations

from dataclasses import dataclass

from yinsi.security.entry_links import ENTRY_SECONDS, entry_link
from yinsi.services.consent import Engine
from yinsi.storage import UnitsOfWork

__all__ = ["EntryLink", "PrivacyLinkService"]


@dataclass(frozen=True, slots=True)
class EntryLink:
    """A signed link that opens the privacy center as one user, valid ``expires_in_s``."""

    url: str
    expires_in_s: int


class PrivacyLinkService:
    """Issues entry links (built by :class:`~yinsi.services.root.Services`)."""

    def __init__(self, consent: Engine, units: UnitsOfWork, *, actor: str) -> None:
        self._consent = consent
        self._units = units
        self._actor = actor

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
