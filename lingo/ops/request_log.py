"""Process log set-up (text or JSON lines) and one log line per request.

Every request gets an id: the ``X-Request-ID`` nginx (or the client) sent when
it looks like an id, else a new one; it is echoed in the response. The request
line carries that id, the method, the path **without** the query string (v4
clients put passwords there), the status, the duration in milliseconds, the
client address and the user id when the request authenticated. Bodies,
headers and query strings are never logged.

Every logged field is text an attacker chooses (a percent-encoded CR/LF in the
path decodes to a real line break), so control characters are escaped
(:func:`escape_controls`) before they reach a log: in each field of the
request line, and again in every record's message by both formatters, so no
logger can be made to write a forged line.

Named ``request_log`` so it does not shadow the standard ``logging`` module.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request
from pythonjsonlogger.json import JsonFormatter

log = logging.getLogger("lingo.request")

#: What an incoming ``X-Request-ID`` may look like to be reused (nginx's
#: ``$request_id`` is 32 hex digits); anything else is replaced.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
#: Name of the root handler lingo installs, so it is installed once per process.
HANDLER_NAME = "lingo-stderr"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
JSON_FIELDS = ["asctime", "levelname", "name", "process", "message"]
LOG_FORMATS = ("text", "json")

#: Characters that must never reach a log raw: C0 and C1 controls and DEL
#: (CR/LF forge lines, ESC drives terminals), the Unicode line and paragraph
#: separators (some viewers break lines there), and the bidirectional marks,
#: embeddings, overrides and isolates (they reorder a line on screen).
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
#: Short escapes for the common controls; every other one is ``\xHH`` / ``\uHHHH``.
SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape_one(match: re.Match[str]) -> str:
    """The visible escape of one matched control character."""
    char = match.group()
    if char in SHORT_ESCAPES:
        return SHORT_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    r"""``text`` with every control character written as a visible escape.

    A CR LF becomes the four characters ``\r\n``: the line stays one line
    and a reader sees what was sent. Idempotent, so a message
    whose fields were escaped already may pass through it again; backslashes
    are left alone here (see :func:`escape_field`).
    """
    return CONTROL_CHARS.sub(_escape_one, text)


def escape_field(value: object) -> object:
    r"""A client-supplied log field made safe and unambiguous.

    Strings get their backslashes doubled first, so a client that sends the
    two characters ``\r`` cannot pass them off as an escaped CR; then
    control characters are escaped. Anything else (ints, ``None``) is returned
    as it is.
    """
    if not isinstance(value, str):
        return value
    return escape_controls(value.replace("\\", "\\\\"))


class SafeTextFormatter(logging.Formatter):
    """The text formatter, with control characters escaped in each message.

    Covers every logger (lingo's, Flask's, the libraries'), not only the
    request line: any of them may log a value a client chose. Only the
    message line is escaped; a traceback appended after it keeps its line
    breaks (its frames are lingo's code, not client text).
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The record's line (without exception text), control characters escaped."""
        return escape_controls(super().formatMessage(record))


class SafeJsonFormatter(JsonFormatter):
    r"""The JSON formatter, with control characters escaped in each text field.

    JSON already keeps a record on one line (it writes ``\n`` for a line
    break), but a reader of the parsed field would still see a raw CR/LF;
    escaping the fields makes both formats show the same visible escapes.
    Tracebacks (``exc_info``, ``stack_info``) keep their line breaks.
    """

    MULTI_LINE_FIELDS = frozenset({"exc_info", "stack_info"})

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        """Escape every top-level text field except the tracebacks."""
        return {
            key: escape_controls(value) if isinstance(value, str) and key not in self.MULTI_LINE_FIELDS else value
            for key, value in log_data.items()
        }


class StorageDownIsError(logging.Filter):
    """Raise flask-limiter's "storage unreachable" warning to ``ERROR``.

    flask-limiter logs the switch to its in-memory fallback as a warning; for
    operators a shared limiter store that is down is an error (limits then hold
    per worker only).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if "unreachable" in str(record.msg) and record.levelno < logging.ERROR:
            record.levelno, record.levelname = logging.ERROR, "ERROR"
        return True


def make_formatter(fmt: str) -> logging.Formatter:
    """A text or JSON formatter.

    :raises RuntimeError: for a format other than ``text`` or ``json``.
    """
    if fmt == "json":
        return SafeJsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger"})
    if fmt == "text":
        return SafeTextFormatter(TEXT_FORMAT)
    raise RuntimeError(f"LOG_FORMAT must be one of {LOG_FORMATS}, not {fmt!r}")


def configure_logging(fmt: str, level: str) -> None:
    """Send log records to stderr as ``fmt`` (``text`` or ``json``) lines.

    The root handler is added once per process and only when nobody else has
    configured logging (pytest, a host's ``dictConfig``). lingo's own loggers
    log from ``level``; libraries from ``WARNING``.

    :raises RuntimeError: for an unknown format.
    """
    formatter = make_formatter(fmt)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.set_name(HANDLER_NAME)
        handler.setFormatter(formatter)
        root.addHandler(handler)
    logging.getLogger("lingo").setLevel(level)
    limiter_log = logging.getLogger("flask-limiter")
    if not any(isinstance(f, StorageDownIsError) for f in limiter_log.filters):
        limiter_log.addFilter(StorageDownIsError())


def request_id() -> str:
    """The current request's id (see the module docstring)."""
    if "request_id" not in g:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
    return g.request_id


def _start() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _finish(response: Response) -> Response:
    started = g.get("request_started") or time.perf_counter()
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    rid = request_id()
    # Method, path and address come from the client (the address through
    # X-Forwarded-For behind a proxy): escaped here, so the JSON fields carry
    # the same visible escapes as the text line.
    fields = {
        "request_id": escape_field(rid),
        "method": escape_field(request.method),
        "path": escape_field(request.path),
        "status": response.status_code,
        "duration_ms": duration_ms,
        "remote_addr": escape_field(request.remote_addr or ""),
        "user_id": escape_field(g.get("user_id")),
    }
    response.headers["X-Request-ID"] = rid
    log.info(
        "%(request_id)s %(method)s %(path)s %(status)s %(duration_ms)sms ip=%(remote_addr)s user=%(user_id)s",
        fields,
        extra=fields,
    )
    return response


def init_app(app: Flask) -> None:
    """Configure logging from ``LOG_FORMAT`` / ``LOG_LEVEL`` and log every request.

    Call before the other extensions so the timer starts first and the line is
    written last (after-request functions run in reverse order).
    """
    configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.before_request(_start)
    app.after_request(_finish)
