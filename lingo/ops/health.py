"""Health endpoints for load balancers and orchestrators (plain JSON).

- ``GET /healthz``: the process answers (touches nothing else) → 200
  ``{"status": "ok"}``.
- ``GET /readyz``: the database answers ``SELECT 1`` and, when the limiter
  storage is Redis, Redis answers ``PING`` → 200 ``{"status": "ok", "checks":
  {...}}``; otherwise 503 ``{"status": "unavailable", "checks": {...}}``.
  Each check is ``"ok"``, ``"unavailable"`` or (Redis) ``"not_configured"``.

Neither endpoint counts against the per-IP limits.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db, limiter
from . import metrics

log = logging.getLogger("lingo.ops.health")
bp = Blueprint("health", __name__)

#: Storage URI schemes that mean "the limiter keeps its counters in Redis".
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://", "redis+sentinel://", "redis+cluster://")


def database_ok() -> bool:
    """Whether the database answers ``SELECT 1`` (a failure is logged)."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError as exc:
        log.error("readiness: database unavailable: %s", type(exc).__name__)
        metrics.backend_error("database")
        return False


def redis_state() -> str:
    """``ok`` / ``unavailable`` for a Redis limiter storage, else ``not_configured``."""
    uri = str(current_app.config.get("RATELIMIT_STORAGE_URI") or "")
    if not uri.startswith(REDIS_SCHEMES):
        return "not_configured"
    if limiter.storage.check():
        return "ok"
    log.error("readiness: limiter storage (Redis) unavailable")
    metrics.backend_error("redis")
    return "unavailable"


@bp.route("/healthz", methods=["GET", "HEAD"])
@limiter.exempt
def healthz() -> Response:
    """The process is alive."""
    return jsonify({"status": "ok"})


@bp.route("/readyz", methods=["GET", "HEAD"])
@limiter.exempt
def readyz() -> tuple[Response, int]:
    """The database (and Redis, when configured) can be reached."""
    checks = {"database": "ok" if database_ok() else "unavailable", "redis": redis_state()}
    ready = "unavailable" not in checks.values()
    return jsonify({"status": "ok" if ready else "unavailable", "checks": checks}), 200 if ready else 503
