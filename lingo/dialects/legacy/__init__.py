"""The legacy ``/api/v4.0`` dialect (``docs/dialects/legacy-v4.md``): every error is HTTP 200.

This module holds the :class:`~lingo.dialects.Dialect` and its blueprint;
``routes`` parses and calls the services, ``schemas`` describes the
parameters (and where they come from), ``render`` the envelope and error codes.
"""

from __future__ import annotations

from flask import Blueprint

from .. import Dialect
from .render import ERRORS, render_error

PREFIX = "/api/v4.0"

#: Annotated: the routes module imports it back while this module is half done.
bp: Blueprint = Blueprint("v4", __name__, url_prefix=PREFIX)

DIALECT = Dialect(
    name="v4",
    prefixes=(PREFIX,),
    blueprint=bp,
    errors=ERRORS,
    render_error=render_error,
)

from . import routes  # noqa: E402,F401  (registers the routes on bp)
