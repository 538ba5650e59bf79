"""``create_app(engine, units)``: the composition root of the service.

Routes parse the request, call one method (of the :class:`~yinsi.Engine`, or of a unit
of work for keys, the policy list and the audit log) and let :mod:`yinsi.api.errors` map
what is raised. Writes are audited by the engine under the API key's id.
"""

from fastapi import FastAPI, Request, status

from yinsi import __version__
from yinsi.api import errors
from yinsi.api.auth import Admin, Anyone, Auditor, Backend, Reader, UnitsOfWork
from yinsi.api.models import (
    AuditVerifyOut,
    ConsentBody,
    DecisionOut,
    DecisionRequestBody,
    Health,
    PolicyAnswerBody,
    PolicyVersionOut,
    PublishBody,
    StateOut,
)
from yinsi.engine import Engine
from yinsi.security import verify

__all__ = ["UnitsOfWork", "create_app"]

SUBJECT = "/v1/apps/{app_id}/subjects/{subject_id}"


def create_app(engine: Engine, units: UnitsOfWork) -> FastAPI:
    app = FastAPI(title="yinsi", version=__version__, description="PIPL consent service.")
    app.state.units = units
    errors.install(app)

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

    @app.get(SUBJECT, tags=["consents"])
    def state(app_id: str, subject_id: str, _: Reader) -> StateOut:
        return StateOut.of(engine.state(app_id, subject_id))

    @app.post(SUBJECT + "/decisions", tags=["decisions"])
    def decisions(
        app_id: str, subject_id: str, body: list[DecisionRequestBody], _: Backend
    ) -> list[DecisionOut]:
        requests = [r.request() for r in body]
        return [DecisionOut.of(d) for d in engine.decide_batch(app_id, subject_id, requests)]

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
