"""The 2019 platform dialect (``docs/dialects/platform.md``): numbered error codes.

Its routes live in modules by subject, all on one blueprint:
account and profile routes, and content routes (push, FAQ, feedback, messages).
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

from . import auth, content, personal, push  # noqa: E402,F401  (they register the routes on bp)
from .auth import send_code  # noqa: E402,F401  (reached through lingo.dialects.shared)
