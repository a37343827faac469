"""Paths two dialects share; the request body decides which dialect answers.

``POST /api/auth/send_code``: a JSON object body with an ``account`` key is
the platform dialect, anything else the modern one (docs/contract.md §6). A body that is
not a JSON object at all is answered by modern (the owner of ``/api/auth``).

The dialect is chosen from the body's top-level keys *before* anything in the
body is judged, so that a platform client's bad input is answered in the
platform envelope (10005) and not in modern's (422):

- a well-formed object whose text cannot be stored (NUL, a lone surrogate)
  is answered by the dialect its keys name;
- malformed JSON (a broken value, invalid UTF-8, a truncated object) is
  answered by the keys that can be read before the damage, so
  ``{"account": "\\xff"}`` is platform's;
- a body over ``MAX_CONTENT_LENGTH`` is answered by the keys that can be read
  in its first :data:`SNIFF_BYTES` bytes. A platform client's oversize body
  starts ``{"area": ..., "account": ...`` and is platform's; one whose first
  key is already the oversize value (``{"pad": "xxx…", "account": ...}``)
  shows no ``account`` within reach and stays modern's, the path's owner.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import DomainError
from ..web.parsing import check_text, json_object
from . import modern, platform

bp = Blueprint("shared", __name__)

#: How much of an oversize body is read to tell its dialect: the keys of a
#: ``send_code`` body (``area``, ``account``, ``phone``, ``captcha``) fit many
#: times over, and the read stays small whatever the client declared.
SNIFF_BYTES = 1024
#: The key that makes a body the platform dialect's (docs/contract.md §6).
PLATFORM_KEY = "account"

_DECODER = json.JSONDecoder()
_JSON_SPACE = " \t\n\r"


def _skip_space(text: str, idx: int) -> int:
    """The index of the first non-whitespace character (JSON's whitespace) at or after ``idx``."""
    while idx < len(text) and text[idx] in _JSON_SPACE:
        idx += 1
    return idx


def leading_keys(text: str) -> list[str]:
    """The top-level keys of the JSON object ``text`` starts with, as far as they can be read.

    Reading stops at the first thing that is not well-formed (a broken or
    truncated value, a missing ``:`` or ``,``), so a cut-off or malformed
    object still shows the keys before the damage. Text that does not start
    with an object has no keys.
    """
    keys: list[str] = []
    idx = _skip_space(text, 0)
    if not text.startswith("{", idx):
        return keys
    idx += 1
    try:
        while True:
            idx = _skip_space(text, idx)
            if not text.startswith('"', idx):
                return keys
            # typeshed does not declare json.decoder.scanstring (the C scanner, or its pure-Python fallback).
            key, idx = json.decoder.scanstring(text, idx + 1)  # type: ignore[attr-defined]
            keys.append(key)
            idx = _skip_space(text, idx)
            if not text.startswith(":", idx):
                return keys
            _, idx = _DECODER.raw_decode(text, _skip_space(text, idx + 1))
            idx = _skip_space(text, idx)
            if not text.startswith(",", idx):
                return keys
            idx += 1
    except (ValueError, RecursionError):
        # a truncated or broken value, or nesting too deep to decode: the keys so far are all we can tell
        return keys


def _use_dialect_of(raw: bytes) -> None:
    """Let the dialect named by the leading keys of ``raw`` (maybe cut short) render this request's errors."""
    text = raw.decode(json.detect_encoding(raw), errors="replace")
    (platform if PLATFORM_KEY in leading_keys(text) else modern).DIALECT.use()


def _read_body() -> bytes:
    """The raw body, read once.

    :raises RequestEntityTooLarge: past ``MAX_CONTENT_LENGTH``, after choosing
        the dialect from the body's first :data:`SNIFF_BYTES` bytes.
    """
    try:
        stream = request.stream
    except RequestEntityTooLarge:
        # Content-Length is over the limit and Werkzeug refused before reading
        # a byte: the start of the body is still unread, read just that much.
        declared = request.content_length or 0
        _use_dialect_of(request.environ["wsgi.input"].read(min(SNIFF_BYTES, declared)))
        raise
    head = stream.read(SNIFF_BYTES)
    try:
        return head + stream.read()
    except RequestEntityTooLarge:
        # A body without Content-Length (chunked) ran past the limit while
        # being read: its start was kept aside for this.
        _use_dialect_of(head)
        raise


@bp.post("/api/auth/send_code")
def send_code() -> Response:
    """Dispatch ``send_code`` to the dialect the body speaks (see the module's docstring)."""
    raw = _read_body()
    try:
        body = json_object(raw)
    except DomainError:
        _use_dialect_of(raw)
        raise
    dialect = platform if PLATFORM_KEY in body else modern
    dialect.DIALECT.use()
    check_text(body, ["body"])
    return dialect.send_code(body)
