"""Prometheus metrics of a yinsi process (``GET /metrics``).

The names are declared here, once; services and entry points update them. Label values
are bounded sets (outcomes, channels, route templates, status codes) — never ids or PI.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

__all__ = [
    "DECISIONS",
    "DECISION_SECONDS",
    "DELIVERIES",
    "DELIVERIES_GIVEN_UP",
    "HTTP_REQUESTS",
    "HTTP_SECONDS",
    "OVERDUE_REQUESTS",
    "SWEEP_ROWS",
    "exposition",
    "observe_decisions",
]

DECISIONS = Counter(
    "yinsi_decisions", "Consent decisions answered, by outcome (allow / deny).", ["outcome"]
)
DECISION_SECONDS = Histogram(
    "yinsi_decision_seconds",
    "Time to answer one decision call (all its questions).",
    buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0),
)
HTTP_REQUESTS = Counter(
    "yinsi_http_requests",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "yinsi_http_request_seconds", "HTTP request latency by route template.", ["route"]
)
OVERDUE_REQUESTS = Gauge(
    "yinsi_rights_requests_overdue", "Open rights requests past their statutory due date."
)
SWEEP_ROWS = Counter(
    "yinsi_retention_sweep_rows", "Rows handled by retention sweeps, by action.", ["action"]
)
DELIVERIES = Counter(
    "yinsi_deliveries",
    "Messages delivered, by channel (sms/email/push) and outcome.",
    ["channel", "outcome"],
)
DELIVERIES_GIVEN_UP = Counter(
    "yinsi_deliveries_given_up",
    "Kept messages the delivery outbox gave up on (retry period over, refused, undecryptable), "
    "by channel and purpose: each one is a person not told; alert on any increase.",
    ["channel", "purpose"],
)

_ALLOWED = DECISIONS.labels("allow")
_DENIED = DECISIONS.labels("deny")


def observe_decisions(allowed: int, denied: int, seconds: float) -> None:
    """Count one decision call's answers and its time (a few µs: bound children)."""
    if allowed:
        _ALLOWED.inc(allowed)
    if denied:
        _DENIED.inc(denied)
    DECISION_SECONDS.observe(seconds)


def exposition(overdue: int | None) -> tuple[bytes, str]:
    """The text exposition of every metric and its content type; ``overdue`` (counted at
    scrape time by :func:`yinsi.services.health.overdue_requests`, None without a data
    map) sets the gauge first."""
    if overdue is not None:
        OVERDUE_REQUESTS.set(overdue)
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
