"""The admin API under ``/api/admin`` (docs/contract.md §6): managers run content, feedback, pushes and users.

Modern envelope and error rendering; every route needs the bearer token of a
manager (``role`` 1): no or a bad token → 401, anyone else → 403.
"""

from __future__ import annotations

from flask import Blueprint

from ...services import managers
from ...web import guard
from .. import Dialect
from .render import ERRORS, render_error

bp = Blueprint("admin", __name__, url_prefix="/api/admin")


@bp.before_request
def _managers_only() -> None:
    """Refuse every admin request that is not a manager's."""
    managers.require_manager(guard.current_user())


DIALECT = Dialect(
    name="admin",
    prefixes=("/api/admin",),
    blueprint=bp,
    errors=ERRORS,
    render_error=render_error,
)

from . import routes  # noqa: E402,F401  (registers the routes on bp)
