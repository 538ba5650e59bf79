"""The privacy center (``/privacy``): mobile-first pages for users, in Chinese (issue 7).

Opened from the app with a signed, short-lived link (:func:`entry_link`), it shows the
policy, its summary and the two lists of every version with the differences, the device
permissions and SDKs, per-function consent switches, the new version to accept (or
browse only), rights requests with SMS verification and their due dates, account
cancellation, the export download and complaints. Every page works without JavaScript;
htmx only saves a consent switch in place.

    session.py   entry link -> session cookie     route.py     session, CSRF, error pages
    home.py      entry page, accept / decline     public.py    documents, versions, diff,
    consents.py  consent switches                              permissions and SDKs
    rights.py    requests, SMS code, export       account.py   cancellation, complaints
    views.py, request_kinds.py, changes.py, textdiff.py, documents.py: what pages show
"""

from fastapi import APIRouter

from yinsi.web.privacy import account, consents, home, public, rights
from yinsi.web.privacy.session import entry_link

__all__ = ["entry_link", "router"]


router = APIRouter()
"""Every route of the privacy center (each keeps its :class:`~yinsi.web.privacy.route.PrivacyRoute`)."""
for _part in (home, public, consents, rights, account):
    router.include_router(_part.router)
