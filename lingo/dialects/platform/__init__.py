"""The 2019 platform dialect (``docs/dialects/platform.md``): numbered error codes.

This module holds the :class:`~lingo.dialects.Dialect` and its blueprint;
``routes`` holds the views, one module per subject, ``schemas`` the bodies,
``render`` the envelope and the numbered error table.
``POST /api/auth/send_code`` is shared with the modern dialect; see
:mod:`lingo.dialects.shared`.
"""

from __future__ import annotations

from flask import Blueprint

from .. import Dialect
from .render import ERRORS, render_error

#: Annotated: the route modules import it back while this module is half done (an import cycle mypy cannot type).
bp: Blueprint = Blueprint("platform", __name__)

#: ``/api/*`` is platform, except ``/api/auth/*`` which is modern's; these
#: platform paths under it render their own 404/405 in the platform envelope.
AUTH_PATHS = tuple(
    f"/api/auth/{name}" for name in ("check_code", "register", "access_token", "refresh_token", "destroy_token")
)

DIALECT = Dialect(
    name="platform",
    prefixes=("/api", *AUTH_PATHS),
    blueprint=bp,
    errors=ERRORS,
    render_error=render_error,
)

from . import routes  # noqa: E402,F401  (registers the routes on bp)
from .routes.auth import send_code  # noqa: E402,F401  (reached through lingo.dialects.shared)
