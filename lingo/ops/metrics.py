"""Prometheus metrics: what the service did, on ``GET /metrics``.

Every metric is a module-level ``prometheus_client`` object. Under gunicorn,
``PROMETHEUS_MULTIPROC_DIR`` is set (``gunicorn.conf.py``) before anything
imports ``prometheus_client``: every worker then writes its counts to its own
memory-mapped files there, and ``/metrics`` adds up the files of every worker
of the instance (multiprocess mode), whichever worker answers. Without it
(``flask run``, the tests) the counts live in the process.

What is counted, and where:

- **requests** (:data:`REQUESTS`, :data:`LATENCY`): one after-request hook,
  labelled by dialect, the matched URL rule (``unmatched`` for none: never a
  raw path, so the label set stays bounded) and the status;
- **sign-ins, code sends, verifications** (:data:`SIGN_INS`,
  :data:`CODE_SENDS`, :data:`VERIFICATIONS`): derived from the audit events
  (:func:`lingo.services.audit.record` calls the observers in
  ``audit.OBSERVERS``), so the services stay free of metrics. A failure event
  is counted when recorded (it is kept even when its use case rolls back);
  any other event when its transaction commits, so the counts match the
  audit log;
- **deliveries** (:data:`DELIVERIES`): :func:`code_delivered` after a sender
  returns, :func:`delivery_failed` where a sender logs its refusal;
- **limiter refusals** (:data:`RATE_LIMITED`): the 429 handler
  (:func:`rate_limited`);
- **database and Redis errors** (:data:`BACKEND_ERRORS`,
  :func:`backend_error`): the database-down handler, the readiness checks,
  the route limits' fallback (:mod:`lingo.web.limits`) and flask-limiter's
  "storage unreachable" record.

The recording functions touch only ``prometheus_client`` objects: the
services and senders may call them like a logger.

``/metrics`` is guarded by ``METRICS_TOKEN`` (``Authorization: Bearer
<token>``). Without a token it is open in development and testing and does
not exist in production (the 404 of any unknown path).
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, SessionTransaction

#: The environment variable that switches ``prometheus_client`` to multiprocess mode.
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
#: The endpoint label of a request that matched no URL rule (404, 405).
UNMATCHED = "unmatched"
#: The dialect label of a request no dialect serves (``/healthz``, ``/metrics``).
NO_DIALECT = "none"
#: The ``outcome`` of a delivered code.
DELIVERED = "delivered"
#: A ``METRICS_TOKEN`` shorter than this is refused at start: it guards operational data.
TOKEN_MIN_LENGTH = 16
#: Environments where ``/metrics`` is open when no ``METRICS_TOKEN`` is set.
OPEN_WITHOUT_TOKEN = ("development", "testing")

# ``*_created`` series double the output and mean nothing in multiprocess mode.
disable_created_metrics()

#: Seconds: the ping ceiling lies under 5 ms, argon2 sign-ins around 50–100 ms.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "lingo_http_requests_total",
    "HTTP requests answered by lingo, by dialect, URL rule and status.",
    ["dialect", "endpoint", "status"],
)
LATENCY = Histogram(
    "lingo_http_request_duration_seconds",
    "Time lingo spent on a request, by dialect and URL rule.",
    ["dialect", "endpoint"],
    buckets=LATENCY_BUCKETS,
)
DELIVERIES = Counter(
    "lingo_code_deliveries_total",
    "Codes handed to a sender (SMS provider or email), by sender and outcome: delivered or the mapped provider error.",
    ["sender", "outcome"],
)
CODE_SENDS = Counter(
    "lingo_code_sends_total",
    "Requests for a code that reached the rules, by dialect and outcome: sent or the refusal's error key.",
    ["dialect", "outcome"],
)
VERIFICATIONS = Counter(
    "lingo_code_verifications_total",
    "Codes checked, by outcome: verified or the failure's reason.",
    ["outcome"],
)
SIGN_INS = Counter(
    "lingo_sign_ins_total",
    "Sign-ins, by dialect, method (password, code) and outcome: succeeded, locked or the failure's reason.",
    ["dialect", "method", "outcome"],
)
RATE_LIMITED = Counter(
    "lingo_rate_limited_total",
    "Requests refused by a per-IP limit, by limit.",
    ["limit"],
)
BACKEND_ERRORS = Counter(
    "lingo_backend_errors_total",
    "Failures to reach the database or Redis (the limiter storage), by backend.",
    ["backend"],
)

#: (dialect, endpoint, status) → the children of REQUESTS and LATENCY: a dict
#: look-up per request instead of two ``labels()`` calls (each takes a lock).
_request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


# -- recording: plain functions, callable from anywhere ---------------------------------------
def code_delivered(sender: str) -> None:
    """A sender accepted a code (``sender``: the provider that took it, ``Delivery.provider``)."""
    DELIVERIES.labels(sender or "unknown", DELIVERED).inc()


def delivery_failed(sender: str, error_key: str) -> None:
    """A sender refused a code with the mapped error ``error_key`` (``sms_arrears`` …)."""
    DELIVERIES.labels(sender or "unknown", error_key).inc()


def backend_error(backend: str) -> None:
    """A request or a readiness check could not reach ``backend`` (``database``, ``redis``)."""
    BACKEND_ERRORS.labels(backend).inc()


def rate_limited(limit: str) -> None:
    """A limiter refused a request: count it under the name of the limit it broke
    (:func:`lingo.web.limits.refused_limit`)."""
    RATE_LIMITED.labels(limit).inc()


def count_event(row: dict[str, Any]) -> None:
    """Count one audit event (a row as :func:`lingo.services.audit.record` writes it)."""
    event: str = row["event"]
    details: dict[str, Any] = row.get("details") or {}
    dialect: str = row.get("dialect") or NO_DIALECT
    if event == "sign_in.succeeded":
        SIGN_INS.labels(dialect, details.get("method", "unknown"), "succeeded").inc()
    elif event == "sign_in.failed":
        SIGN_INS.labels(dialect, details.get("method", "password"), details.get("reason", "failed")).inc()
    elif event == "sign_in.locked":
        SIGN_INS.labels(dialect, details.get("method", "password"), "locked").inc()
    elif event == "code.sent":
        CODE_SENDS.labels(dialect, "sent").inc()
    elif event == "code.refused":
        CODE_SENDS.labels(dialect, details.get("reason", "refused")).inc()
    elif event == "code.verified":
        VERIFICATIONS.labels("verified").inc()
    elif event == "code.failed":
        VERIFICATIONS.labels(details.get("reason", "failed")).inc()


#: Audit events :func:`count_event` counts; others are not looked at.
COUNTED_EVENTS = frozenset(
    {"sign_in.succeeded", "sign_in.failed", "sign_in.locked"}
    | {"code.sent", "code.refused", "code.verified", "code.failed"}
)
#: ``Session.info`` key of the events recorded in the open transaction, counted when it commits.
_PENDING = "lingo.metrics.pending"


def _observe_audit(row: dict[str, Any], failure: bool) -> None:
    """The audit observer: failures now (they are always kept), others at commit."""
    if row["event"] not in COUNTED_EVENTS:
        return
    if failure:
        count_event(row)
        return
    from ..extensions import db

    db.session.info.setdefault(_PENDING, []).append(row)


def _count_committed(session: Session) -> None:
    for row in session.info.pop(_PENDING, ()):
        count_event(row)


def _drop_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit
        session.info.pop(_PENDING, None)


class CountStorageDown(logging.Filter):
    """Count flask-limiter's "storage unreachable" records as Redis errors (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "unreachable" in str(record.msg):
            backend_error("redis")
        return True


# -- requests ---------------------------------------------------------------------------------
def _dialect_name() -> str:
    """The dialect that answered: the one the view chose; for a route of no dialect
    (``/healthz``, ``/metrics``) :data:`NO_DIALECT`; else (an unknown path's 404,
    ``OPTIONS``) the one that renders the path's errors."""
    dialect = g.get("dialect")
    if dialect is not None:
        return str(dialect.name)
    from ..dialects import dialect_for_path, shared

    blueprint = request.blueprint
    if blueprint is not None and blueprint != shared.bp.name:
        if all(blueprint != each.blueprint.name for each in current_app.extensions["lingo.dialects"]):
            return NO_DIALECT
    return dialect_for_path(request.path).name


def _count_request(response: Response) -> Response:
    rule = request.url_rule
    key = (_dialect_name(), rule.rule if rule is not None else UNMATCHED, response.status_code)
    children = _request_children.get(key)
    if children is None:
        children = (REQUESTS.labels(key[0], key[1], str(key[2])), LATENCY.labels(key[0], key[1]))
        _request_children[key] = children
    children[0].inc()
    started = g.get("request_started")  # set by lingo.ops.request_log
    if started is not None:
        children[1].observe(time.perf_counter() - started)
    return response


# -- the endpoint -----------------------------------------------------------------------------
bp = Blueprint("metrics", __name__)


def exposition() -> bytes:
    """Every metric in the Prometheus text format: all workers' counts in multiprocess mode."""
    if os.environ.get(MULTIPROC_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def _allowed() -> None:
    """Let the request through or raise the error the guard answers (see the module docstring).

    :raises DomainError: ``NO_SUCH_PATH`` (production without a token),
        ``INVALID_TOKEN`` (a token is set and the request does not carry it).
    """
    from ..errors import DomainError, Error

    token = str(current_app.config.get("METRICS_TOKEN") or "")
    if not token:
        if current_app.config["ENV_NAME"] in OPEN_WITHOUT_TOKEN:
            return
        raise DomainError(Error.NO_SUCH_PATH)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise DomainError(Error.INVALID_TOKEN)


@bp.route("/metrics", methods=["GET"])
def metrics() -> Response:
    """The metrics, for Prometheus (guarded: see :func:`_allowed`)."""
    _allowed()
    return Response(exposition(), content_type=CONTENT_TYPE_LATEST)


def check_token(token: object) -> None:
    """``METRICS_TOKEN`` is empty or a secret of at least :data:`TOKEN_MIN_LENGTH` characters.

    :raises RuntimeError: otherwise.
    """
    if token and (not isinstance(token, str) or len(token) < TOKEN_MIN_LENGTH):
        raise RuntimeError(
            f"METRICS_TOKEN must be a random secret of at least {TOKEN_MIN_LENGTH} characters, e.g. python -c "
            "'import secrets; print(secrets.token_urlsafe(32))'"
        )


def init_app(app: Flask) -> None:
    """Count every request, count audit events, and serve ``GET /metrics``.

    Call right after :func:`lingo.ops.request_log.init_app`, whose start time
    the latency is measured from (after-request functions run in reverse
    order, so this one runs after every other but the request log's).

    :raises RuntimeError: for a ``METRICS_TOKEN`` that is too short.
    """
    from sqlalchemy import event

    from ..extensions import db, limiter
    from ..services import audit

    check_token(app.config.get("METRICS_TOKEN"))
    app.after_request(_count_request)
    app.register_blueprint(bp)
    limiter.exempt(metrics)
    if _observe_audit not in audit.OBSERVERS:
        audit.OBSERVERS.append(_observe_audit)
    if not event.contains(db.session, "after_commit", _count_committed):
        event.listen(db.session, "after_commit", _count_committed)
        event.listen(db.session, "after_transaction_end", _drop_uncommitted)
    limiter_log = logging.getLogger("flask-limiter")
    if not any(isinstance(f, CountStorageDown) for f in limiter_log.filters):
        limiter_log.addFilter(CountStorageDown())
