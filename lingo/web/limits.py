"""Per-client-IP request limits (flask-limiter).

The counters live in ``RATELIMIT_STORAGE_URI`` (Redis in production), so every
worker on every host counts together; the client IP is ``request.remote_addr``
after ``ProxyFix`` (``PROXY_HOPS``), so a forged ``X-Forwarded-For`` does not
give a fresh budget. A breach raises werkzeug's 429, rendered as
``rate_limited`` in the dialect's envelope. The verification-code limits of
docs/contract.md §3 are not here: they are database counters (``services.throttles``).
"""

from __future__ import annotations

from flask import current_app

from ..extensions import limiter


def login_limit() -> str:
    """The configured ``LOGIN_RATE_LIMIT`` (e.g. ``"30/minute"``)."""
    return str(current_app.config["LOGIN_RATE_LIMIT"])


#: Decorator for password sign-in endpoints: one budget per client IP shared
#: by every dialect's password login, so switching dialect does not multiply it.
password_login = limiter.shared_limit(login_limit, scope="password-login")


def lookup_limit() -> str:
    """The configured ``ISREGISTER_RATE_LIMIT``: answers that tell whether a number is registered."""
    return str(current_app.config["ISREGISTER_RATE_LIMIT"])


#: Decorator for every endpoint whose answer tells whether an account exists
#: (v4 ``isregister``, ``sendsms``, ``register``, ``verify_code``,
#: ``forget_password``; platform ``register``; modern ``set_password_by_code``):
#: one budget per client address shared by all of them, so an enumerating
#: client cannot spread its look-ups over several endpoints or dialects.
registration_lookup = limiter.shared_limit(lookup_limit, scope="registration-lookup")
