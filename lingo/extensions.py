"""Flask extensions, created unbound and initialised in :func:`lingo.create_app`."""
from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
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
migrate = Migrate()
#: Per-client-IP limits. ``request.remote_addr`` is already the real client
#: (ProxyFix trusts exactly ``PROXY_HOPS`` proxies), so forged headers do not count.
limiter = Limiter(key_func=get_remote_address)
