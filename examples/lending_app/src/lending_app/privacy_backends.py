"""The two ways the app reaches yinsi: embedded (``yinsi.Engine`` and the sharing gate on
yinsi's database, in-process) or over HTTP (``yinsi.client`` plus the provisions endpoint).
Both offer the same calls; :class:`lending_app.privacy.Privacy` picks one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import httpx

from yinsi import DecisionRequest, Engine
from yinsi.api.sdk import SdkEntryOut, ViolationOut
from yinsi.client import YinsiClient
from yinsi.consent import ConsentState, Decision, Evidence
from yinsi.lifecycle.permissions import UseEventIn
from yinsi.services.root import Services
from yinsi.services.sdk_gate import check_permission_events, sdk_manifest

Manifest = list[dict[str, object]]
"""The SDK manifest as yinsi's API answers it (what yinsi-consent.js reads)."""

Acquiring = tuple[str, str, tuple[str, ...]]
"""An acquisition from a third party as the app asks it: (scenario, purpose, elements)."""

Violations = list[dict[str, object]]
"""Permission-use violations as yinsi's API answers them (W10; yinsi-consent.js reads them)."""


class Backend(Protocol):
    def decide_batch(
        self, app_id: str, subject_id: str, requests: Sequence[DecisionRequest]
    ) -> list[Decision]: ...

    def register_check(self, app_id: str, id_number: str) -> Decision | None: ...

    def accept_policy(
        self, app_id: str, subject_id: str, *, evidence: Evidence
    ) -> ConsentState: ...

    def grant(
        self, app_id: str, subject_id: str, consent_id: str, *, evidence: Evidence
    ) -> ConsentState: ...

    def withdraw(
        self, app_id: str, subject_id: str, consent_id: str, *, evidence: Evidence
    ) -> ConsentState: ...

    def state(self, app_id: str, subject_id: str) -> ConsentState: ...


class Embedded:
    """yinsi in-process on its database (``url``; None: YINSI_DATABASE_URL or the default)."""

    def __init__(self, url: str | None, declaration: Path) -> None:
        self.file: Path | None = None
        """yinsi's SQLite file (None: another database)."""
        if url is None or url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///") if url else ".yinsi/yinsi.db")
            path.parent.mkdir(parents=True, exist_ok=True)
            Engine.embedded(path).close()  # creates and migrates the file if needed
            self.file = path.resolve()
            url = f"sqlite:///{self.file}"
        self.services = Services.open(url, actor="lending_app")
        self.engine = self.services.consent
        self.engine.publish(declaration)  # the same content again is a no-op

    def shares(self, database_url: str) -> bool:
        """Whether the app's database is yinsi's own SQLite file: then a provision is
        written in the app's transaction (``provide(within=…)``), one commit for both."""
        if self.file is None or not database_url.startswith("sqlite:///"):
            return False
        return Path(database_url.removeprefix("sqlite:///")).resolve() == self.file

    def provide(
        self,
        app_id: str,
        subject_id: str,
        recipient: str,
        elements: Sequence[str],
        purpose: str,
        *,
        within: object | None = None,
    ) -> tuple[int | None, str, tuple[str, ...]]:
        outcome = self.services.sharing.provide(
            app_id, subject_id, recipient, elements, purpose, within=within
        )
        provision = outcome.provision
        decision = outcome.decision
        missing = () if provision is not None or not decision.consent_id else (decision.consent_id,)
        return (None if provision is None else provision.id), decision.reason, missing

    def acquire(
        self, app_id: str, subject_id: str, source: str, step: Acquiring
    ) -> tuple[int | None, str, tuple[str, ...]]:
        """X18: yinsi's acquisition gate (the source's vetting, the subject's consent)."""
        scenario, purpose, elements = step
        outcome = self.services.sourcing.acquire(
            app_id, subject_id, source, elements, purpose, scenario
        )
        found, decision = outcome.acquisition, outcome.decision
        return (None if found is None else found.id), decision.reason, decision.consent_ids

    def sdk_manifest(self, app_id: str, subject_id: str) -> Manifest:
        entries = sdk_manifest(self.engine, app_id, subject_id)
        return [SdkEntryOut.of(e).model_dump(mode="json") for e in entries]

    def check_permission_uses(self, app_id: str, events: Sequence[UseEventIn]) -> Violations:
        """W10 telemetry: the violations of ``events`` (yinsi's permission-event check)."""
        found = check_permission_events(self.engine, app_id, [e.event() for e in events])
        return [ViolationOut.of(v).model_dump(mode="json") for v in found]

    def privacy_link(self, app_id: str, subject_id: str) -> str | None:
        """None: the privacy center is served by ``yinsi serve``, not by an embedded engine."""
        return None

    def close(self) -> None:
        self.services.close()


class Remote:
    """yinsi over HTTP at ``url`` with a ``backend`` API key."""

    def __init__(self, url: str, api_key: str, *, transport: httpx.BaseTransport | None = None):
        self._http = httpx.Client(
            base_url=url, transport=transport, headers={"Authorization": f"Bearer {api_key}"}
        )
        self.engine = YinsiClient(url, api_key, http=self._http)

    def provide(
        self, app_id: str, subject_id: str, recipient: str, elements: Sequence[str], purpose: str
    ) -> tuple[int | None, str, tuple[str, ...]]:
        body = {"recipient": recipient, "elements": list(elements), "purpose": purpose}
        answer = self._http.post(f"/v1/apps/{app_id}/subjects/{subject_id}/provisions", json=body)
        if answer.status_code in (403, 422):
            detail = answer.json().get("detail")
            if not isinstance(detail, dict):
                return None, str(detail), ()
            consent = detail.get("consent_id")
            return None, str(detail.get("reason")), (str(consent),) if consent else ()
        answer.raise_for_status()
        data = answer.json()
        return int(data["provision"]["id"]), str(data["decision"]["reason"]), ()

    def acquire(
        self, app_id: str, subject_id: str, source: str, step: Acquiring
    ) -> tuple[int | None, str, tuple[str, ...]]:
        scenario, purpose, elements = step
        decision, found = self.engine.acquire(
            app_id, subject_id, source, elements, purpose, scenario
        )
        return (None if found is None else found.id), decision.reason, decision.consent_ids

    def sdk_manifest(self, app_id: str, subject_id: str) -> Manifest:
        answer = self._http.get(
            f"/v1/apps/{app_id}/subjects/{subject_id}/sdk-manifest", params={"limit": 500}
        )
        answer.raise_for_status()
        found: Manifest = answer.json()
        return found

    def check_permission_uses(self, app_id: str, events: Sequence[UseEventIn]) -> Violations:
        body = [e.model_dump(mode="json") for e in events]
        answer = self._http.post(f"/v1/apps/{app_id}/permission-events:check", json=body)
        answer.raise_for_status()
        found: Violations = answer.json()
        return found

    def privacy_link(self, app_id: str, subject_id: str) -> str | None:
        """A fresh entry link to yinsi's privacy center as the subject (10 minutes);
        None when that yinsi serves no privacy center (503)."""
        answer = self._http.post(f"/v1/apps/{app_id}/subjects/{subject_id}/privacy-link")
        if answer.status_code == 503:
            return None
        answer.raise_for_status()
        return str(answer.json()["url"])

    def close(self) -> None:
        self.engine.close()
        self._http.close()  # shared with the client, which does not own it


class AllowAll:
    """Every step allowed, nothing recorded: the app with its yinsi calls taken out.

    Only the baseline of ``benchmarks/app_overhead.py`` (issue 15) uses it, passed as
    ``create_app(privacy_backend=AllowAll())``; it offers the same calls and does no
    work, so the app's own work (validation, encryption, its tables) is all that is left.
    Never for production: it decides nothing and keeps no ledger.
    """

    def __init__(self) -> None:
        self.engine = self
        self._provisions = 0

    def decide_batch(
        self, app_id: str, subject_id: str, requests: Sequence[DecisionRequest]
    ) -> list[Decision]:
        return [Decision(True, "allowed", None) for _ in requests]

    def register_check(self, app_id: str, id_number: str) -> Decision | None:
        return None

    def accept_policy(self, app_id: str, subject_id: str, *, evidence: Evidence) -> ConsentState:
        return ConsentState(app_id, subject_id)

    def grant(
        self, app_id: str, subject_id: str, consent_id: str, *, evidence: Evidence
    ) -> ConsentState:
        return ConsentState(app_id, subject_id)

    def withdraw(
        self, app_id: str, subject_id: str, consent_id: str, *, evidence: Evidence
    ) -> ConsentState:
        return ConsentState(app_id, subject_id)

    def state(self, app_id: str, subject_id: str) -> ConsentState:
        return ConsentState(app_id, subject_id)

    def provide(
        self, app_id: str, subject_id: str, recipient: str, elements: Sequence[str], purpose: str
    ) -> tuple[int | None, str, tuple[str, ...]]:
        self._provisions += 1
        return self._provisions, "allowed", ()

    def acquire(
        self, app_id: str, subject_id: str, source: str, step: Acquiring
    ) -> tuple[int | None, str, tuple[str, ...]]:
        self._provisions += 1
        return self._provisions, "allowed", ()

    def sdk_manifest(self, app_id: str, subject_id: str) -> Manifest:
        return []

    def check_permission_uses(self, app_id: str, events: Sequence[UseEventIn]) -> Violations:
        return []

    def privacy_link(self, app_id: str, subject_id: str) -> str | None:
        return None

    def close(self) -> None:
        pass
