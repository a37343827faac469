"""Flask extensions, created unbound and initialised in :func:`lingo.create_app`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, request
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

#: Deterministic constraint names, so migrations are the same on SQLite and MySQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))

if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskModel
    from sqlalchemy.orm import DeclarativeBase

    class Model(_FlaskModel, DeclarativeBase):
        """``db.Model`` as type checkers should see it: an attribute is no base class to them."""

else:
    #: The base class of every model: ``db.Model`` itself at run time.
    Model = db.Model
migrate = Migrate()


def client_key() -> str:
    """The limiter's key: the client's IPv4 address or IPv6 /64.

    ``request.remote_addr`` is already the real client (ProxyFix trusts exactly
    ``PROXY_HOPS`` proxies), so forged headers do not count; an IPv6 client
    holds a whole /64, so it counts as one.
    """
    from .services.throttles import client_group

    return client_group(request.remote_addr or "")


#: flask-limiter settings that limit every request, not just decorated routes.
REQUEST_WIDE_LIMITS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")


class RouteLimiter(Limiter):
    """flask-limiter's ``Limiter`` without its per-request pass when nothing needs it.

    flask-limiter looks for default, application and meta limits in a
    ``before_request`` hook on every request, also when none is configured:
    about 480,000 instructions a request (callgrind), a third of what a request
    that touches nothing costs. lingo's own limits are route decorators
    (:mod:`lingo.web.limits`), which check themselves; the hook does its work
    only when an operator sets one of :data:`REQUEST_WIDE_LIMITS` (e.g.
    ``LINGO_RATELIMIT_APPLICATION``).
    """

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and not any(current_app.config.get(name) for name in REQUEST_WIDE_LIMITS):
            return
        super()._check_request_limit(callable_name, in_middleware)


#: Per-client limits (see :func:`client_key`).
limiter = RouteLimiter(key_func=client_key)
