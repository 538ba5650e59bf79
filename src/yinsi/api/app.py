"""``create_app(engine, units, rights=None)``: the composition root of the service.

Routes parse the request, call one method (of the :class:`~yinsi.Engine`, or of a unit
of work for keys, the policy list and the audit log) and let :mod:`yinsi.api.errors` map
what is raised. Writes are audited by the engine under the API key's id. Rights requests
(``/v1/requests``, :mod:`yinsi.api.rights`) need a
:class:`~yinsi.services.rights.RightsService`; without one those routes answer 503.
"""

from dataclasses import replace

from fastapi import FastAPI, HTTPException, Request, status

from yinsi import __version__, web
from yinsi.api import decisions, errors, privacy_link
from yinsi.api import lifecycle as lifecycle_routes
from yinsi.api import rights as rights_routes
from yinsi.api import sdk as sdk_routes
from yinsi.api.auth import (
    KEY_CACHE_SECONDS,
    Admin,
    Anyone,
    Auditor,
    Backend,
    KeyCache,
    Reader,
    UnitsOfWork,
)
from yinsi.api.models import (
    AuditVerifyOut,
    ConsentBody,
    EventOut,
    Health,
    KeyBody,
    KeyOut,
    NewKeyOut,
    PolicyAnswerBody,
    PolicyVersionOut,
    PublishBody,
    RegistrationCheckBody,
    RegistrationCheckOut,
    StateOut,
)
from yinsi.security import verify
from yinsi.services.root import Services
from yinsi.web import Site

__all__ = ["UnitsOfWork", "create_app"]

SUBJECT = "/v1/apps/{app_id}/subjects/{subject_id}"


def create_app(
    services: Services,
    *,
    web_secret: bytes | None = None,
    secure_cookies: bool = False,
    key_cache_seconds: float = KEY_CACHE_SECONDS,
) -> FastAPI:
    """The service; ``web_secret`` signs the web pages' sessions (random when None).

    ``key_cache_seconds``: how long a verified API key is trusted before it is read again
    (:class:`~yinsi.api.auth.KeyCache`; 0 reads it on every request).
    """
    engine = services.consent
    units = services.units
    app = FastAPI(title="yinsi", version=__version__, description="PIPL consent service.")
    app.state.services = services
    app.state.engine = engine
    app.state.units = units
    app.state.rights = None if services.data_map is None else services.rights
    app.state.keys = KeyCache(engine.api_key, ttl=key_cache_seconds)
    errors.install(app)
    app.include_router(decisions.router(engine))  # first: the hot path is matched first
    site = Site(services, secure_cookies=secure_cookies)
    web.mount(app, site if web_secret is None else replace(site, secret=web_secret))
    app.include_router(rights_routes.router)
    app.include_router(sdk_routes.router(engine))
    app.include_router(lifecycle_routes.router)
    app.include_router(privacy_link.router)

    @app.get("/healthz", tags=["service"])
    def healthz() -> Health:
        return Health()

    @app.post("/v1/policies", status_code=status.HTTP_201_CREATED, tags=["policies"])
    def publish(body: PublishBody, key: Admin) -> PolicyVersionOut:
        text = body.declaration
        if "\n" not in text:  # a one-line string would be read as a server-side path
            text += "\n"
        return PolicyVersionOut.of(engine.publish(text, actor=key.id))

    @app.get("/v1/apps/{app_id}/policies", tags=["policies"])
    def policies(app_id: str, _: Anyone) -> list[PolicyVersionOut]:
        with units() as uow:
            return [PolicyVersionOut.of(p) for p in uow.policies.list(app_id)]

    @app.post(SUBJECT + "/policy:accept", tags=["consents"])
    def accept(
        app_id: str, subject_id: str, body: PolicyAnswerBody, request: Request, key: Backend
    ) -> StateOut:
        evidence = body.evidence.evidence(_client_ip(request))
        return StateOut.of(
            engine.accept_policy(
                app_id, subject_id, version=body.version, evidence=evidence, actor=key.id
            )
        )

    @app.post(SUBJECT + "/policy:decline", tags=["consents"])
    def decline(
        app_id: str, subject_id: str, body: PolicyAnswerBody, request: Request, key: Backend
    ) -> StateOut:
        evidence = body.evidence.evidence(_client_ip(request))
        return StateOut.of(
            engine.decline_policy(
                app_id, subject_id, version=body.version, evidence=evidence, actor=key.id
            )
        )

    @app.post(SUBJECT + "/consents/{consent_id}:grant", tags=["consents"])
    def grant(
        app_id: str,
        subject_id: str,
        consent_id: str,
        body: ConsentBody,
        request: Request,
        key: Backend,
    ) -> StateOut:
        evidence = body.evidence.evidence(_client_ip(request))
        return StateOut.of(
            engine.grant(app_id, subject_id, consent_id, evidence=evidence, actor=key.id)
        )

    @app.post(SUBJECT + "/consents/{consent_id}:withdraw", tags=["consents"])
    def withdraw(
        app_id: str,
        subject_id: str,
        consent_id: str,
        body: ConsentBody,
        request: Request,
        key: Backend,
    ) -> StateOut:
        evidence = body.evidence.evidence(_client_ip(request))
        return StateOut.of(
            engine.withdraw(app_id, subject_id, consent_id, evidence=evidence, actor=key.id)
        )

    @app.post(SUBJECT + "/consents/{consent_id}:use", tags=["consents"])
    def use(
        app_id: str,
        subject_id: str,
        consent_id: str,
        body: ConsentBody,
        request: Request,
        key: Backend,
    ) -> StateOut:
        """X15: a single-use consent (asked each time) was used up by the processing."""
        evidence = body.evidence.evidence(_client_ip(request))
        return StateOut.of(
            engine.use(app_id, subject_id, consent_id, evidence=evidence, actor=key.id)
        )

    @app.get(SUBJECT + "/events", tags=["consents"])
    def events(app_id: str, subject_id: str, _: Reader) -> list[EventOut]:
        """The subject's ledger in order, with the evidence of each event (X41)."""
        return [EventOut.of(e) for e in engine.events(app_id, subject_id)]

    @app.post("/v1/apps/{app_id}/registration:check", tags=["decisions"])
    def registration_check(
        app_id: str, body: RegistrationCheckBody, _: Backend
    ) -> RegistrationCheckOut:
        """X04: refuse registering a minor; the ID number is neither stored nor logged."""
        refusal = engine.register_check(app_id, body.id_number)
        if refusal is None:
            version = engine.current_version(app_id)
            return RegistrationCheckOut(allowed=True, reason=None, policy_version=version)
        return RegistrationCheckOut(
            allowed=False, reason=refusal.reason, policy_version=refusal.policy_version
        )

    @app.get(SUBJECT, tags=["consents"])
    def state(app_id: str, subject_id: str, _: Reader) -> StateOut:
        return StateOut.of(engine.state(app_id, subject_id))

    @app.post("/v1/keys", status_code=status.HTTP_201_CREATED, tags=["keys"])
    def create_key(body: KeyBody, key: Admin) -> NewKeyOut:
        with units() as uow:
            made, secret = uow.api_keys.create(body.name, body.scopes, actor=key.id)
            uow.commit()
        return NewKeyOut(**KeyOut.of(made).model_dump(), secret=secret)

    @app.get("/v1/keys", tags=["keys"])
    def list_keys(_: Admin) -> list[KeyOut]:
        with units() as uow:
            return [KeyOut.of(k) for k in uow.api_keys.list()]

    @app.post("/v1/keys/{key_id}:revoke", tags=["keys"])
    def revoke_key(key_id: str, request: Request, key: Admin) -> KeyOut:
        with units() as uow:
            revoked = uow.api_keys.revoke(key_id, actor=key.id)
            uow.commit()
        request.app.state.keys.clear()
        if revoked is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no API key {key_id!r}")
        return KeyOut.of(revoked)

    @app.get("/v1/audit/verify", tags=["audit"])
    def audit_verify(_: Auditor) -> AuditVerifyOut:
        with units() as uow:
            entries = list(uow.audit.entries())
            head = uow.audit.head()
        breaks = verify(entries, head)
        return AuditVerifyOut(
            intact=not breaks, entries=len(entries), head=head.hash, breaks=[str(b) for b in breaks]
        )

    return app


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None
