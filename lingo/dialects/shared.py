"""Paths two dialects share; the request body decides which dialect answers.

``POST /api/auth/send_code``: a JSON body with ``account`` is the platform
dialect, anything else the modern one (SPEC §6).
"""
from __future__ import annotations

from flask import Blueprint, Response

from . import modern
from .parsing import json_body

bp = Blueprint("shared", __name__)


@bp.post("/api/auth/send_code")
def send_code() -> Response:
    """Dispatch ``send_code`` to the dialect the body speaks."""
    body = json_body()
    modern.DIALECT.use()
    return modern.send_code(body)
