"""Flask extensions, created unbound and initialised in :func:`lingo.create_app`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import request
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


#: Per-client limits (see :func:`client_key`).
limiter = Limiter(key_func=client_key)
