"""Per-function consent switches (PIPL Art. 15, X29, W15).

One form per consent item, holding one ``<input type=checkbox role=switch>`` and a save
button: it works without JavaScript, and htmx posts it on change and swaps the card in
place. Withdrawing takes exactly the taps granting takes. Separate consents (单独同意:
sensitive PI, provision to others) are listed apart, under a stronger notice (X05). Each
switch names the functions that stop when it is withdrawn, and only those stop (X29).

The switches are those of the version the user is decided by (the accepted one); the
items that accepting the policy grants are not switches: withdrawing them ends the
service as a whole, which is what account cancellation does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from yinsi.declaration import Declaration
from yinsi.policy.lookup import Lookup
from yinsi.web.privacy import pages, views
from yinsi.web.privacy.route import NotFound, Poster, PrivacyRoute, Viewer
from yinsi.web.privacy.session import PrivacySession
from yinsi.web.site import Site, site_of

__all__ = ["router"]


def _decided(site: Site, session: PrivacySession) -> Declaration | None:
    """The declaration the subject's consents belong to; None before any acceptance."""
    state = site.engine.state(session.app_id, session.subject_id)
    if state.accepted_version is None:
        return None
    return site.engine.declaration(session.app_id, state.accepted_version)


router = APIRouter(prefix="/privacy", include_in_schema=False, route_class=PrivacyRoute)


@router.get("/consents", response_class=HTMLResponse)
def consents(request: Request, session: Viewer, saved: str = "", on: str = "") -> HTMLResponse:
    site = site_of(request)
    declaration = _decided(site, session)
    current = site.engine.declaration(session.app_id)
    context: dict[str, object] = {
        "app_id": session.app_id,
        "app_name": current.app.name,
        "consents": None,
        "flash": "",
    }
    if declaration is not None:
        state = site.engine.state(session.app_id, session.subject_id)
        context["consents"] = views.consents(declaration, state)
        look = Lookup.of(declaration)
        if saved in look.consents:
            label = look.consent(saved)
            context["flash"] = (
                f"已开启“{label}”。" if on == "1" else f"已撤回“{label}”，相关功能已停止。"
            )
    return pages.page(request, "consents.html", context, session=session)


@router.post("/consents/{consent_id}", response_model=None)
def set_consent(
    request: Request,
    consent_id: str,
    session: Poster,
    granted: Annotated[str | None, Form()] = None,
) -> Response:
    """Grant (``granted`` sent) or withdraw (not sent: an unticked box sends nothing)."""
    site = site_of(request)
    declaration = _decided(site, session)
    if declaration is None or consent_id not in {c.id for c in declaration.consents}:
        raise NotFound("没有这项授权。")
    want = granted is not None
    state = site.engine.state(session.app_id, session.subject_id)
    if want != (consent_id in state.granted):  # the same answer twice records nothing
        record = site.engine.grant if want else site.engine.withdraw
        state = record(
            session.app_id,
            session.subject_id,
            consent_id,
            evidence=pages.evidence(request, session),
            actor="privacy-center",
        )
    if pages.is_htmx(request):
        item = next(c for c in declaration.consents if c.id == consent_id)
        context = {
            "item": views.switch(Lookup.of(declaration), item, state),
            "saved": True,
        }
        return pages.page(request, "_consent_card.html", context, session=session)
    on = "1" if want else "0"
    return pages.see_other(f"/privacy/consents?saved={consent_id}&on={on}#c-{consent_id}")
