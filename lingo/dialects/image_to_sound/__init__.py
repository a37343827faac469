"""The image-to-sound dialect (``docs/dialects/image-to-sound.md``): code login with HS256 JWTs.

This module holds the :class:`~lingo.dialects.Dialect` and its blueprint;
``routes`` parses and calls the services, ``schemas`` describes the bodies,
``render`` the envelope and the error table.
"""

from __future__ import annotations

from flask import Blueprint

from .. import Dialect
from .render import ERRORS, render_error

PREFIX = "/image-to-sound"

#: Annotated: the routes module imports it back while this module is half done.
bp: Blueprint = Blueprint("its", __name__, url_prefix=PREFIX + "/api")

DIALECT = Dialect(
    name="its",
    prefixes=(PREFIX,),
    blueprint=bp,
    errors=ERRORS,
    render_error=render_error,
)

from . import routes  # noqa: E402,F401  (registers the routes on bp)
