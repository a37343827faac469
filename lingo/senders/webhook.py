"""Signed JSON POSTs to an operator's endpoint: what the push and SMS webhook senders share.

The body is compact UTF-8 JSON; ``X-Lingo-Signature: sha256=<hex>`` is the
HMAC-SHA256 of the exact body bytes keyed with the operator's secret, so the
receiver can check who sent it (compare with ``hmac.compare_digest``).
Redirects are not followed: the signed body must reach the configured URL
itself.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import ssl
from typing import Any
from urllib.parse import urlsplit

#: Header carrying ``sha256=<hex HMAC-SHA256 of the raw body keyed with the secret>``.
SIGNATURE_HEADER = "X-Lingo-Signature"


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def check_url(url: str, backend: str, key: str) -> str:
    """Refuse a webhook URL that is not ``http(s)://host...``.

    :raises RuntimeError: naming ``backend`` and ``key``.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RuntimeError(f"{backend} needs {key} (an http:// or https:// URL)")
    return url


class WebhookFailure(Exception):
    """The POST got no 2xx answer.

    :ivar reason: ``timeout``, ``connection`` or ``http_<status>``.
    :ivar status: the HTTP status, ``0`` when none came back.
    :ivar body: the first 2 KiB of the answer's body (``b""`` when none).
    """

    def __init__(self, reason: str, status: int = 0, body: bytes = b"") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.body = body


def post_signed(url: str, secret: str, payload: Any, *, connect_timeout: float, read_timeout: float) -> bytes:
    """POST ``payload`` as signed JSON to ``url``; return the 2xx answer's body.

    :param connect_timeout: seconds to open the connection.
    :param read_timeout: seconds each read of the answer may wait.
    :raises WebhookFailure: on a time-out, a network error, or any status
        other than 2xx (redirects included).
    """
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    parts = urlsplit(url)
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=connect_timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=connect_timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Content-Type": "application/json; charset=utf-8", SIGNATURE_HEADER: sign(secret, body)}
    try:
        conn.connect()
        if conn.sock is not None:
            conn.sock.settimeout(read_timeout)
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        answer = response.read(2048)
    except TimeoutError as exc:
        raise WebhookFailure("timeout") from exc
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise WebhookFailure("connection") from exc
    finally:
        conn.close()
    if not 200 <= response.status < 300:
        raise WebhookFailure(f"http_{response.status}", response.status, answer)
    return answer
