"""Wire dialects: each parses requests and renders results in its own envelope.

A :class:`Dialect` names its URL prefixes, its blueprint and the one
dictionary that maps every :class:`~lingo.errors.Error` to its rendering.
Errors (domain errors, unknown paths, wrong methods, oversize bodies, server
faults) are handled here, at application level, and rendered by the dialect
that owns the request: the one its view chose (``g.dialect``), else the one
whose prefix matches the path best.

Werkzeug's own answers that are not errors are replaced here too, because
they are HTML: a routing redirect (a 308 page whose ``Location`` echoes the
``Host`` header and the query string) becomes the dialect's 404, and the
automatic ``OPTIONS`` answer (200 ``text/html``, empty) becomes a 204 with
an ``Allow`` header and no body type.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import RequestRedirect

from ..errors import DomainError, Error
from ..ops import metrics
from ..services.sessions import TokenPolicy, token_policy
from ..web import client, limits

log = logging.getLogger("lingo.errors")


@dataclass(frozen=True)
class Dialect:
    """One wire dialect.

    :ivar name: short name (``modern``, ``platform``, ``v4``, ``its``).
    :ivar prefixes: URL prefixes whose unmatched paths this dialect renders.
    :ivar blueprint: its routes.
    :ivar errors: every :class:`Error` mapped to this dialect's rendering data.
    :ivar render_error: turns a :class:`DomainError` into a response.
    """

    name: str
    prefixes: tuple[str, ...]
    blueprint: Blueprint
    errors: Mapping[Error, Any]
    render_error: Callable[[DomainError], Response]

    def use(self) -> None:
        """Make this dialect render the current request's errors (and name it to the services)."""
        g.dialect = self
        client.use_dialect(self.name)

    def token_policy(self) -> TokenPolicy:
        """This dialect's tokens: :func:`lingo.services.sessions.token_policy`."""
        return token_policy(self.name)


HTTP_ERRORS = {
    400: Error.INVALID_INPUT,
    401: Error.INVALID_TOKEN,
    403: Error.FORBIDDEN,
    404: Error.NO_SUCH_PATH,
    405: Error.METHOD_NOT_ALLOWED,
    413: Error.PAYLOAD_TOO_LARGE,
    429: Error.RATE_LIMITED,
    503: Error.SERVICE_UNAVAILABLE,
}


#: Runs of slashes, collapsed only to choose a dialect: ``//api//v4.0//x`` is
#: no route (slash merging is off) but is still a v4 client's path.
SLASHES = re.compile(r"/{2,}")


def dialect_for_path(path: str) -> Dialect:
    """The dialect with the longest prefix matching ``path`` (the first one otherwise)."""
    dialects: list[Dialect] = current_app.extensions["lingo.dialects"]
    path = SLASHES.sub("/", path)
    best, best_len = dialects[0], -1
    for dialect in dialects:
        for prefix in dialect.prefixes:
            if (path == prefix or path.startswith(prefix.rstrip("/") + "/")) and len(prefix) > best_len:
                best, best_len = dialect, len(prefix)
    return best


def current_dialect() -> Dialect:
    """The dialect rendering the current request."""
    return g.get("dialect") or dialect_for_path(request.path)


def add_page_area(app: Flask, prefix: str, render_error: Callable[[DomainError], Response]) -> None:
    """Render every error under ``prefix`` with ``render_error``: an area of HTML pages, not a wire
    dialect (the admin web console, ``/admin``; ``/api/admin`` stays the admin dialect's JSON)."""
    app.extensions.setdefault("lingo.page_areas", []).append((prefix, render_error))


def _page_area(path: str) -> Callable[[DomainError], Response] | None:
    path = SLASHES.sub("/", path)
    for prefix, render_error in current_app.extensions.get("lingo.page_areas", ()):
        if path == prefix or path.startswith(prefix + "/"):
            return render_error
    return None


def render(err: DomainError) -> Response:
    """Render a domain error in the current request's dialect (or its page area's, :func:`add_page_area`)."""
    page_error = _page_area(request.path)
    if page_error is not None:
        return page_error(err)
    return current_dialect().render_error(err)


def _on_http_error(exc: HTTPException) -> Response:
    refused = limits.refused_limit(exc)
    if refused is not None:
        metrics.rate_limited(refused)
    error = HTTP_ERRORS.get(exc.code or 500, Error.INTERNAL)
    detail = None
    if error is Error.INVALID_INPUT:
        detail = [{"loc": ["body"], "msg": "Malformed request", "type": "value_error"}]
    response = render(DomainError(error, details=detail))
    valid_methods = getattr(exc, "valid_methods", None) if error is Error.METHOD_NOT_ALLOWED else None
    if valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response


def _answer_routing_without_html() -> Response | None:
    """Before every request: keep Werkzeug's HTML answers out (see the module docstring).

    A redirect cannot happen with today's rules (slash merging is off, no
    rule ends in ``/`` or has defaults), but one added later must not
    reopen the hole: the requested path is not a route, so it is a 404.

    :raises NotFound: instead of a routing redirect.
    """
    if isinstance(request.routing_exception, RequestRedirect):
        raise NotFound()
    rule = request.url_rule
    if request.method == "OPTIONS" and rule is not None and getattr(rule, "provide_automatic_options", False):
        response = current_app.make_default_options_response()  # Allow: the path's methods
        response.status_code = 204
        response.headers.remove("Content-Type")
        return response
    return None


def _on_database_down(exc: Exception) -> Response:
    if isinstance(exc, DBAPIError) and not isinstance(exc, OperationalError) and not exc.connection_invalidated:
        return _on_unexpected(exc)
    log.error("database unavailable: %s", type(exc).__name__)
    metrics.backend_error("database")
    return render(DomainError(Error.SERVICE_UNAVAILABLE))


def _on_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render(DomainError(Error.INTERNAL))


def init_app(app: Flask, dialects: list[Dialect]) -> None:
    """Register the dialects' blueprints and the application-level error handlers."""
    app.extensions["lingo.dialects"] = list(dialects)
    by_blueprint = {d.blueprint.name: d for d in dialects}
    for dialect in dialects:
        app.register_blueprint(dialect.blueprint)

    @app.before_request
    def _choose_dialect() -> None:
        if request.blueprint in by_blueprint:
            g.dialect = by_blueprint[request.blueprint]

    client.init_app(app, lambda: current_dialect().name)
    app.before_request(_answer_routing_without_html)
    app.register_error_handler(DomainError, render)
    app.register_error_handler(HTTPException, _on_http_error)
    app.register_error_handler(DBAPIError, _on_database_down)
    app.register_error_handler(Exception, _on_unexpected)
