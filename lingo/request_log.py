"""Process log set-up (text or JSON lines) and one log line per request.

Every request gets an id: the ``X-Request-ID`` nginx (or the client) sent when
it looks like an id, else a new one; it is echoed in the response. The request
line carries that id, the method, the path **without** the query string (v4
clients put passwords there), the status, the duration in milliseconds, the
client address and the user id when the request authenticated. Bodies,
headers and query strings are never logged.

Named ``request_log`` so it does not shadow the standard ``logging`` module.
"""
from __future__ import annotations

import logging
import re
import time
import uuid

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
        return JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger"})
    if fmt == "text":
        return logging.Formatter(TEXT_FORMAT)
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
    fields = {
        "request_id": request_id(),
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": duration_ms,
        "remote_addr": request.remote_addr or "",
        "user_id": g.get("user_id"),
    }
    response.headers["X-Request-ID"] = fields["request_id"]
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
