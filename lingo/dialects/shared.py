"""Paths two dialects share; the request body decides which dialect answers.

``POST /api/auth/send_code``: a JSON object body with an ``account`` key is
the platform dialect, anything else the modern one (SPEC §6). A body that is
not a JSON object at all is answered by modern (the owner of ``/api/auth``).
"""
from __future__ import annotations

from flask import Blueprint, Response

from . import modern, platform
from .parsing import json_body

bp = Blueprint("shared", __name__)


@bp.post("/api/auth/send_code")
def send_code() -> Response:
    """Dispatch ``send_code`` to the dialect the body speaks."""
    body = json_body()
    if "account" in body:
        platform.DIALECT.use()
        return platform.send_code(body)
    modern.DIALECT.use()
    return modern.send_code(body)
