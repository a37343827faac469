"""Per-client-IP request limits on routes, over the ``limits`` library.

The counters live in the limiter's storage (``RATELIMIT_STORAGE_URI``: Redis
in production), so every worker on every host counts together; the client is
:func:`lingo.extensions.client_key` (``request.remote_addr`` after
``ProxyFix``), so a forged ``X-Forwarded-For`` does not give a fresh budget.
A breach raises :class:`LimitRefused` (werkzeug's 429), rendered as
``rate_limited`` in the dialect's envelope. The verification-code limits of
docs/contract.md §3 are not here: they are database counters
(``services.throttles``).

Why not flask-limiter's own decorators: a decorated route there resolves its
limits through the limit manager on every request (about a quarter of a
million instructions besides the storage's round trip, callgrind), which is
most of what a cheap route like v4 ``isregister`` costs beyond its one
statement. A route here names one shared limit; :func:`shared_limit` hits it
directly. flask-limiter stays for what an operator configures for every
request (``RATELIMIT_APPLICATION``, :class:`lingo.extensions.RouteLimiter`),
and its storage is the one these limits count in (same keys: prefix, client,
scope).

While the storage is unreachable the limits are counted per worker in memory
(``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``, on by default), an error is logged
and ``lingo_backend_errors_total{backend="redis"}`` counts it; the storage is
tried again every :data:`RECHECK_SECONDS`.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from flask import Flask, Response, current_app, g
from flask_limiter import RateLimitExceeded
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import STRATEGIES, RateLimiter
from werkzeug.exceptions import HTTPException, TooManyRequests

from ..extensions import client_key, limiter
from ..ops import metrics

log = logging.getLogger(__name__)

#: ``app.extensions`` key of the app's :class:`RouteLimits`.
EXTENSION = "lingo.route_limits"
#: Seconds between attempts to reach a storage found unreachable.
RECHECK_SECONDS = 5.0
#: The limit name of a refusal by a route's own (non-shared) flask-limiter limit.
ROUTE_LIMIT = "route"
#: ``g`` key of the limit a request was counted against, for the rate-limit headers.
_COUNTED = "lingo_route_limit"

P = ParamSpec("P")
R = TypeVar("R")


class LimitRefused(TooManyRequests):
    """A per-client limit refused the request; ``scope`` names the limit (``password-login``)."""

    def __init__(self, scope: str, item: RateLimitItem) -> None:
        super().__init__(description=str(item))
        self.scope = scope
        self.item = item


def refused_limit(exc: HTTPException) -> str | None:
    """The name of the limit behind a 429, for the metrics; ``None`` when no limiter raised ``exc``.

    Shared limits are named by their scope (``password-login``,
    ``registration-lookup``; ``global`` for flask-limiter's
    ``RATELIMIT_APPLICATION``); a route's own flask-limiter limit is
    :data:`ROUTE_LIMIT`.
    """
    if isinstance(exc, LimitRefused):
        return exc.scope
    if isinstance(exc, RateLimitExceeded):
        scope = exc.limit.scope
        return scope if exc.limit.shared and isinstance(scope, str) else ROUTE_LIMIT
    return None


@functools.cache
def _items(text: str) -> tuple[RateLimitItem, ...]:
    """``"30/minute; 500/day"`` parsed, once per text."""
    return tuple(parse_many(text))


@dataclass
class RouteLimits:
    """One app's route limits: a ``limits`` strategy on the limiter's storage, and its fallback."""

    strategy: RateLimiter
    #: The same strategy on a per-worker memory storage, when the fallback is enabled.
    fallback: RateLimiter | None
    #: ``RATELIMIT_KEY_PREFIX``: the first part of every key.
    prefix: str
    enabled: bool = True
    #: Whether responses carry ``X-RateLimit-*`` (and a 429 ``Retry-After``).
    headers: bool = False
    #: While the storage is unreachable: the ``time.monotonic()`` of the next attempt.
    retry_at: float | None = field(default=None)

    @classmethod
    def for_app(cls, app: Flask) -> RouteLimits:
        """The route limits ``app``'s configuration asks for, counting in the limiter's storage.

        With ``RATELIMIT_ENABLED`` off flask-limiter makes no storage; nothing is counted then.
        """
        config = app.config
        enabled = bool(config.get("RATELIMIT_ENABLED", True))
        strategy = STRATEGIES[str(config.get("RATELIMIT_STRATEGY") or "fixed-window")]
        fallback = config.get("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", False)
        return cls(
            strategy=strategy(limiter.storage if enabled else MemoryStorage()),
            fallback=strategy(MemoryStorage()) if fallback else None,
            prefix=str(config.get("RATELIMIT_KEY_PREFIX") or ""),
            enabled=enabled,
            headers=bool(config.get("RATELIMIT_HEADERS_ENABLED", False)),
        )

    def _current(self) -> RateLimiter:
        """The strategy to count with: the storage's, or while it is unreachable the fallback."""
        if self.retry_at is None or self.fallback is None:
            return self.strategy
        if time.monotonic() < self.retry_at:
            return self.fallback
        self.retry_at = time.monotonic() + RECHECK_SECONDS  # before checking: one request checks, not all
        if self.strategy.storage.check():
            log.info("rate limit storage recovered")
            self.retry_at = None
            return self.strategy
        return self.fallback

    def _storage_down(self) -> None:
        log.error("rate limit storage unreachable: counting the limits per worker in memory")
        metrics.backend_error("redis")
        self.retry_at = time.monotonic() + RECHECK_SECONDS

    def hit(self, text: str, scope: str) -> None:
        """Count this request against the limits ``text`` under ``scope`` for the current client.

        :raises LimitRefused: when one of them is spent.
        """
        if not self.enabled:
            return
        identifiers = (self.prefix, client_key(), scope) if self.prefix else (client_key(), scope)
        for item in _items(text):
            strategy = self._current()
            try:
                allowed = strategy.hit(item, *identifiers)
            except Exception:  # any storage's failure (redis, memcached, mongodb); re-raised without a fallback
                if self.fallback is None or strategy is self.fallback:
                    raise
                self._storage_down()
                strategy = self.fallback
                allowed = strategy.hit(item, *identifiers)
            if self.headers and (not allowed or _COUNTED not in g):
                setattr(g, _COUNTED, (strategy, item, identifiers, not allowed))
            if not allowed:
                raise LimitRefused(scope, item)


def _add_headers(response: Response) -> Response:
    """After a limited route: ``X-RateLimit-*`` of the limit it was counted against (the first
    of the configured text, or the one that refused), and ``Retry-After`` on its refusal.

    Left out when flask-limiter counted a request-wide limit for this request (it
    sends its own), and when the storage fails to tell (the answer stands).
    """
    counted = g.pop(_COUNTED, None)
    if counted is None or limiter.current_limit is not None:
        return response
    strategy, item, identifiers, refused = counted
    try:
        reset_at, remaining = strategy.get_window_stats(item, *identifiers)
    except Exception:  # the storage went away since the count: no headers, the answer stands
        log.warning("rate limit headers left out: the storage did not answer", exc_info=True)
        return response
    response.headers["X-RateLimit-Limit"] = str(item.amount)
    response.headers["X-RateLimit-Remaining"] = str(remaining)
    response.headers["X-RateLimit-Reset"] = str(int(reset_at + 1))
    if refused:
        response.headers["Retry-After"] = str(max(int(reset_at + 1 - time.time()), 0))
    return response


def init_app(app: Flask) -> None:
    """Give ``app`` its :class:`RouteLimits` on the limiter's storage (after ``limiter.init_app``)."""
    limits = app.extensions[EXTENSION] = RouteLimits.for_app(app)
    if limits.headers:
        app.after_request(_add_headers)


def shared_limit(limit: Callable[[], str], scope: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A route decorator: every route it decorates counts in one budget per client, ``scope``.

    ``limit`` returns the limit's text (``"30/minute"``), read per request so
    that the configuration decides it.
    """

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def limited(*args: P.args, **kwargs: P.kwargs) -> R:
            route_limits: RouteLimits = current_app.extensions[EXTENSION]
            route_limits.hit(limit(), scope)
            return view(*args, **kwargs)

        return limited

    return decorate


def login_limit() -> str:
    """The configured ``LOGIN_RATE_LIMIT`` (e.g. ``"30/minute"``)."""
    return str(current_app.config["LOGIN_RATE_LIMIT"])


#: Decorator for password sign-in endpoints: one budget per client IP shared
#: by every dialect's password login, so switching dialect does not multiply it.
password_login = shared_limit(login_limit, scope="password-login")


def lookup_limit() -> str:
    """The configured ``ISREGISTER_RATE_LIMIT``: answers that tell whether a number is registered."""
    return str(current_app.config["ISREGISTER_RATE_LIMIT"])


#: Decorator for every endpoint whose answer tells whether an account exists
#: (v4 ``isregister``, ``sendsms``, ``register``, ``verify_code``,
#: ``forget_password``; platform ``register``; modern ``set_password_by_code``):
#: one budget per client address shared by all of them, so an enumerating
#: client cannot spread its look-ups over several endpoints or dialects.
registration_lookup = shared_limit(lookup_limit, scope="registration-lookup")
