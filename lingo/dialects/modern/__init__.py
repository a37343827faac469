"""The modern ``/api/auth`` dialect (``docs/dialects/modern.md``).

Like every dialect package: this module holds the :class:`~lingo.dialects.Dialect`
and its blueprint; ``routes`` parses requests and calls the services,
``schemas`` describes the bodies, ``render`` the envelope and the error table.
"""

from __future__ import annotations

from flask import Blueprint

from .. import Dialect
from .render import ERRORS, render_error

#: Annotated: the routes module imports it back while this module is half done.
bp: Blueprint = Blueprint("modern", __name__, url_prefix="/api/auth")

DIALECT = Dialect(
    name="modern",
    prefixes=("/api/auth", "/"),
    blueprint=bp,
    errors=ERRORS,
    render_error=render_error,
)

from . import routes  # noqa: E402,F401  (registers the routes on bp)
from .routes.auth import send_code  # noqa: E402,F401  (reached through lingo.dialects.shared)
