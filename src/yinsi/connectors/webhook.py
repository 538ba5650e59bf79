"""The HTTP webhook adapter: entrusted processors and SDK providers that hold the app's PI.

yinsi POSTs one JSON object per call to the store's URL, signed (:mod:`.signing`)::

    {"action": "find" | "erase" | "correct", "dataset": …, "app": …,
     "identities": {identity: [values]} | "keys": [record ids],
     "elements": [element ids], "idempotency_key": …}

``correct`` adds ``"name"`` and ``"value"``. The processor answers ``find`` with
``{"records": [{"key": …, "values": {…}, "holds": {rule: {"since": date, "condition":
bool}}}]}`` and ``erase`` / ``correct`` with ``{"status": "done", "confirmation": "<ref>",
"affected": n}``. An erasure's confirmation reference is the evidence that the processor
deleted the data when the entrustment ended (X21); an erasure without one fails.

Connection errors, HTTP 429 and 5xx are retried with exponential back-off and jitter
(``Retry-After`` is honoured up to the maximum delay); other 4xx are not. Every retry
of a call carries the same ``Idempotency-Key`` and a fresh signature.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from yinsi.connectors.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from yinsi.connectors.urls import display_url, expand
from yinsi.declaration.datamap import Dataset, Store
from yinsi.rights.ports import Connector, ConnectorError, EraseOutcome, HoldFacts, Record

_RETRIED = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)
_B = TypeVar("_B", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a call is retried."""

    max_attempts: int = 5
    base_delay_s: float = 0.5
    """Delay before the 2nd attempt; doubled each time, with jitter (half to full)."""
    max_delay_s: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("max_attempts must be at least 1 and delays not negative")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        cap = min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1))
        wait = cap / 2 + random.uniform(0, cap / 2)  # jitter, not a secret
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_delay_s))
        return wait


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Hold(_Body):
    since: date | None = None
    condition: bool = False


class _Found(_Body):
    key: str | int
    values: dict[str, Any] = {}
    holds: dict[str, _Hold] = {}


class _FindAnswer(_Body):
    records: list[_Found]


class _DoneAnswer(_Body):
    status: str
    confirmation: str | None = None
    affected: int = 0


class WebhookConnector(Connector):
    """A processor (or SDK provider) of the data map, reached over HTTPS."""

    def __init__(
        self,
        store: Store,
        http: httpx.Client,
        *,
        app: str = "",
        retry: RetryPolicy | None = None,
        environ: Mapping[str, str] | None = None,
        owned: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``store.url`` and ``store.secret`` are expanded from ``environ`` (default: the
        process environment). ``owned``: :meth:`close` closes ``http``."""
        if store.secret is None:
            raise ConnectorError(store.id, "a webhook store needs `secret`, the signing key")
        self.store = store.id
        self._url = expand(store.id, store.url, environ)
        self._secret = expand(store.id, store.secret, environ).encode("utf-8")
        self._shown = display_url(self._url)
        self._http = http
        self._app = app
        self._retry = retry or RetryPolicy()
        self._owned = owned
        self._sleep = sleep
        self._clock = clock

    # -- the port ---------------------------------------------------------------------

    def find(self, dataset: Dataset, match: Mapping[str, Sequence[str]]) -> list[Record]:
        identities = {name: list(dict.fromkeys(values)) for name, values in match.items()}
        payload = self._payload("find", dataset, str(uuid.uuid4()), identities=identities)
        answer = self._call(payload, _FindAnswer)
        return [
            Record(
                dataset=dataset.id,
                key=str(found.key),
                values=found.values,
                holds={r: HoldFacts(h.since, h.condition) for r, h in found.holds.items()},
            )
            for found in answer.records
        ]

    def find_keys(self, dataset: Dataset, keys: Sequence[str]) -> list[Record]:
        """The processor's records with these keys: a ``find`` naming ``keys``."""
        payload = self._payload("find", dataset, str(uuid.uuid4()), keys=list(dict.fromkeys(keys)))
        answer = self._call(payload, _FindAnswer)
        return [
            Record(dataset=dataset.id, key=str(found.key), values=found.values)
            for found in answer.records
        ]

    def scan(self, dataset: Dataset) -> Iterator[Record]:
        """Refused: a processor's records cannot be listed from here; ask the processor."""
        raise ConnectorError(self.store, "a processor's records cannot be listed; ask it")

    def erase(
        self,
        dataset: Dataset,
        keys: Sequence[str],
        *,
        hash_key: bytes,
        idempotency_key: str,
    ) -> EraseOutcome:
        payload = self._payload("erase", dataset, idempotency_key, keys=list(dict.fromkeys(keys)))
        answer = self._done(payload)
        if not answer.confirmation:
            raise ConnectorError(
                self.store,
                f"the processor at {self._shown} answered the erasure of dataset "
                f"{dataset.id!r} without a `confirmation` reference, so the deletion cannot "
                'be tracked (X21); it must answer {"status": "done", "confirmation": …}',
            )
        return EraseOutcome(answer.affected, confirmation=answer.confirmation)

    def correct(self, dataset: Dataset, key: str, name: str, value: str) -> int:
        declared = list(dict.fromkeys([*dataset.elements, *(f.name for f in dataset.fields)]))
        if name not in declared:
            raise ConnectorError(
                self.store,
                f"{name!r} is not an element or field of dataset {dataset.id!r} (declared: "
                f"{', '.join(declared) or 'none'}); only declared PI can be corrected",
            )
        step = hashlib.sha256(
            json.dumps([dataset.id, key, name, value], ensure_ascii=False).encode()
        ).hexdigest()
        payload = self._payload("correct", dataset, step, keys=[key], name=name, value=value)
        return self._done(payload).affected

    def close(self) -> None:
        if self._owned:
            self._http.close()

    # -- requests ---------------------------------------------------------------------

    def _payload(
        self, action: str, dataset: Dataset, idempotency_key: str, **extra: object
    ) -> dict[str, object]:
        return {
            "action": action,
            "dataset": dataset.id,
            "app": self._app,
            **extra,
            "elements": list(dataset.elements) or [f.element for f in dataset.fields],
            "idempotency_key": idempotency_key,
        }

    def _done(self, payload: dict[str, object]) -> _DoneAnswer:
        answer = self._call(payload, _DoneAnswer)
        if answer.status != "done":
            raise ConnectorError(
                self.store,
                f"the processor at {self._shown} has not done the {payload['action']} of "
                f"dataset {payload['dataset']!r} (status {answer.status!r}); run the step "
                "again later, the processor receives the same Idempotency-Key",
            )
        return answer

    def _call(self, payload: dict[str, object], answer: type[_B]) -> _B:
        action = payload["action"]
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        last = ""
        for attempt in range(1, self._retry.max_attempts + 1):
            retry_after: float | None = None
            try:
                response = self._http.post(
                    self._url, content=body, headers=self._headers(body, payload)
                )
            except _RETRIED as exc:
                last = f"{type(exc).__name__}: {_first_line(exc)}"
            except httpx.HTTPError as exc:
                raise ConnectorError(
                    self.store,
                    f"cannot send the {action} request to {self._shown}: "
                    f"{type(exc).__name__}: {_first_line(exc)}; check the store's url",
                ) from None
            else:
                status = response.status_code
                if status == 429 or status >= 500:
                    last = f"HTTP {status}"
                    retry_after = _seconds(response.headers.get("Retry-After"))
                elif status >= 300:
                    raise ConnectorError(self.store, self._refused(str(action), status))
                else:
                    return self._parse(response, answer, str(action))
            if attempt < self._retry.max_attempts:
                self._sleep(self._retry.delay(attempt, retry_after))
        raise ConnectorError(
            self.store,
            f"the processor at {self._shown} did not answer the {action} request after "
            f"{self._retry.max_attempts} attempts (last: {last}); run the step again later, "
            "the processor receives the same Idempotency-Key and acts once",
        )

    def _headers(self, body: bytes, payload: dict[str, object]) -> dict[str, str]:
        timestamp = str(int(self._clock()))
        return {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
            IDEMPOTENCY_HEADER: str(payload["idempotency_key"]),
        }

    def _refused(self, action: str, status: int) -> str:
        hint = {
            401: "check that the store's secret is the one the processor verifies with",
            403: "check that the store's secret is the one the processor verifies with",
            404: "check the store's url",
        }.get(status, "the processor refused the request; ask its operator which field it rejects")
        return f"the processor at {self._shown} refused the {action} request with HTTP {status}: {hint}"

    def _parse(self, response: httpx.Response, answer: type[_B], action: str) -> _B:
        try:
            return answer.model_validate_json(response.content)
        except ValidationError as exc:
            where = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:3]
            )
            raise ConnectorError(
                self.store,
                f"the processor at {self._shown} answered the {action} request with a body "
                f"yinsi cannot read ({where}); see the webhook contract in "
                "yinsi.connectors.webhook",
            ) from None


def _seconds(header: str | None) -> float | None:
    if header is None:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        return None  # an HTTP date: fall back to the back-off


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else "no detail"
