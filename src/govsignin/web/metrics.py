"""Prometheus metrics: names, bounded labels, and GET /metrics (docs/observability.md).

Every label takes values from a small fixed set (route *templates*, never raw URLs; credential
kinds; grant types; id token algs; channels), so a client cannot grow the series count.
Children of the domain counters are resolved once here, so counting on a hot path is one
dict lookup and one `inc()`.

With `govsignin serve --workers N` several processes serve. prometheus-client's multiprocess
mode is used when the environment variable PROMETHEUS_MULTIPROC_DIR names a directory *before
the process starts* (prometheus-client chooses its value storage at import time): each worker
writes its samples to files there and /metrics, answered by whichever worker, adds them up.
Without it, each process has its own in-memory registry (right for one worker).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.responses import Response

from govsignin.crypto import constant_time_equal

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")
if MULTIPROC_DIR:
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

# Seconds. Pages that verify a password (argon2id) land around 50-100 ms; token exchanges and
# silent SSO in single milliseconds; static JSON in well under one.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_DURATION = Histogram(
    "govsignin_http_request_duration_seconds",
    "Time from receiving a request to finishing its response, by route template and method",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
REQUESTS = Counter(
    "govsignin_http_requests",
    "Requests answered, by route template, method and status code",
    ["route", "method", "status"],
)
SIGN_IN_ATTEMPTS = Counter(
    "govsignin_sign_in_attempts",
    "Credential checks on the sign-in pages: credential Cl (password), Cm (second factor) or passkey (both)",
    ["credential", "outcome"],
)
LOCKOUTS = Counter(
    "govsignin_lockouts", "Lockouts started (6 wrong attempts), by kind", ["kind"]
)
TOKENS_ISSUED = Counter(
    "govsignin_tokens_issued",
    "Token responses issued, by grant type and ID token signing algorithm",
    ["grant_type", "id_token_alg"],
)
MESSAGES_SENT = Counter(
    "govsignin_messages_sent", "Messages handed to Notify (or the outbox), by channel", ["channel"]
)
MESSAGES_DEAD = Counter(
    "govsignin_messages_dead", "Queued messages given up on (attempts spent, or refused by Notify), by channel",
    ["channel"],
)
SENDS_REFUSED = Counter(
    "govsignin_sends_refused", "Security codes not sent because a send limit was reached, by limit", ["limit"]
)
SMS_BUDGET_EXCEEDED = Counter(
    "govsignin_sms_budget_exceeded", "Text messages refused because the daily SMS budget is spent"
)
RATE_LIMITED = Counter(
    "govsignin_rate_limited", "Requests refused with 429, by limit", ["limit"]
)

# Pre-resolved children: the label values are known, so no per-call label lookup.
_SIGN_IN = {(c, o): SIGN_IN_ATTEMPTS.labels(c, o) for c in ("Cl", "Cm", "passkey") for o in ("success", "failure")}
_LOCKOUTS = {k: LOCKOUTS.labels(k) for k in ("password", "code")}
_TOKENS = {
    ("authorization_code", alg): TOKENS_ISSUED.labels("authorization_code", alg)
    for alg in ("ES256", "RS256")
}
_MESSAGES = {c: MESSAGES_SENT.labels(c) for c in ("email", "sms")}
_RATE_LIMITED = {
    k: RATE_LIMITED.labels(k) for k in ("sign_in_ip", "password_account", "token_client_ip", "account_session", "account_ip",
                                        "authorize_ip")
}


def sign_in_attempt(credential: str, outcome: str) -> None:
    """credential: "Cl" (password), "Cm" (authenticator app / SMS code) or "passkey" (both)."""
    _SIGN_IN[credential, outcome].inc()


def lockout(kind: str) -> None:
    _LOCKOUTS[kind].inc()


def token_issued(grant_type: str, id_token_alg: str) -> None:
    child = _TOKENS.get((grant_type, id_token_alg))
    if child is None:  # a new grant or alg added in code: still a bounded set
        child = _TOKENS[grant_type, id_token_alg] = TOKENS_ISSUED.labels(grant_type, id_token_alg)
    child.inc()


def message_sent(channel: str) -> None:
    _MESSAGES[channel].inc()


def message_dead(channel: str) -> None:
    MESSAGES_DEAD.labels(channel).inc()


def send_refused(limit: str) -> None:
    """limit: one of messaging.limits.Refusal's values (a fixed set)."""
    SENDS_REFUSED.labels(limit).inc()


def sms_budget_exceeded() -> None:
    SMS_BUDGET_EXCEEDED.inc()


def rate_limited(limit: str) -> None:
    _RATE_LIMITED[limit].inc()


def _registry():
    if not MULTIPROC_DIR:
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def metrics_endpoint(token: str | None):
    """GET /metrics. With a token (GOVSIGNIN_METRICS_TOKEN), only `Authorization: Bearer <token>`
    may read it; without one, keep /metrics off the public internet at the edge."""
    expected = f"Bearer {token}" if token else None

    async def metrics(request):
        if expected and not constant_time_equal(request.headers.get("authorization", ""), expected):
            return Response("", status_code=401, headers={"WWW-Authenticate": "Bearer", "Cache-Control": "no-store"})
        return Response(
            generate_latest(_registry()),
            media_type=CONTENT_TYPE_LATEST,
            headers={"Cache-Control": "no-store"},
        )

    return metrics
