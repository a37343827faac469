"""Per-client-IP request limits (flask-limiter).

The counters live in ``RATELIMIT_STORAGE_URI`` (Redis in production), so every
worker on every host counts together; the client IP is ``request.remote_addr``
after ``ProxyFix`` (``PROXY_HOPS``), so a forged ``X-Forwarded-For`` does not
give a fresh budget. A breach raises werkzeug's 429, rendered as
``rate_limited`` in the dialect's envelope. The verification-code limits of
SPEC §3 are not here: they are database counters (``services.throttles``).
"""
from __future__ import annotations

from flask import current_app

from .extensions import limiter


def login_limit() -> str:
    """The configured ``LOGIN_RATE_LIMIT`` (e.g. ``"30/minute"``)."""
    return str(current_app.config["LOGIN_RATE_LIMIT"])


#: Decorator for password sign-in endpoints: one budget per client IP shared
#: by every dialect's password login, so switching dialect does not multiply it.
password_login = limiter.shared_limit(login_limit, scope="password-login")


def isregister_limit() -> str:
    """The configured ``ISREGISTER_RATE_LIMIT`` (SPEC: 30 per minute per client IP)."""
    return str(current_app.config["ISREGISTER_RATE_LIMIT"])


#: Decorator for the legacy v4 ``isregister`` look-up (account enumeration guard).
isregister = limiter.limit(isregister_limit)
