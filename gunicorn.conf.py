"""Gunicorn settings for lingo: ``gunicorn -c gunicorn.conf.py`` (serves ``wsgi:app``).

Process settings come from ``GUNICORN_*`` environment variables; the
application's own settings are ``LINGO_*`` (see ``config.py``). Each worker
builds its own app (no ``preload_app``), so no database connection is shared
across a fork.

The access log format deliberately uses ``%(U)s`` (path) and never ``%(r)s``
(request line) or ``%(q)s`` (query string): legacy v4 clients send passwords and
codes in query strings. The referer is left out for the same reason.

Two things gunicorn does on its own are changed here, both at documented
seams: ``logger_class`` (:class:`EscapingLogger`) escapes control characters
in every access-log field and error-log message, so a percent-encoded CR/LF
in a path cannot forge a line; and the page gunicorn writes when it refuses a
request before the application sees it (400, 414, 431, ...), HTML by default,
is JSON in the modern envelope (:func:`write_json_error`).

Prometheus metrics run in multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR`` is
set here, before lingo (and so ``prometheus_client``) is imported, emptied
when the server starts (:func:`on_starting`), told about each worker that
exits (:func:`child_exit`) and, when this file made it, removed at exit.
"""
from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

#: Where the workers' metrics files live (lingo/ops/metrics.py). Set before
#: anything imports prometheus_client: it chooses multiprocess mode at import.
#: An operator's own PROMETHEUS_MULTIPROC_DIR is used as it is; otherwise one
#: is made per server in /dev/shm (RAM) and removed when the server exits. The
#: marker keeps a reload (SIGHUP re-reads this file) from making another.
METRICS_DIR_MADE = "_LINGO_METRICS_DIR_MADE"
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _made = tempfile.mkdtemp(prefix="lingo-metrics-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.environ[METRICS_DIR_MADE] = _made
METRICS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])

from gunicorn import glogging, util  # noqa: E402  (after PROMETHEUS_MULTIPROC_DIR)

from lingo.ops.request_log import escape_controls, escape_field  # noqa: E402


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


#: gunicorn's own answers (``handle_error`` in ``gunicorn/workers/base.py``:
#: refused before the application saw the request): ``(error key, message)``
#: per status for the modern envelope, keyed with lingo's error table (a request
#: that cannot be parsed is invalid input; the status tells which limit it broke).
GUNICORN_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_input", "请求格式不合法"),
    403: ("forbidden", "没有访问或操作权限"),
    414: ("invalid_input", "请求地址过长"),
    417: ("invalid_input", "请求格式不合法"),
    431: ("invalid_input", "请求头过大"),
    500: ("internal", "服务器内部错误"),
    501: ("method_not_allowed", "不支持的请求"),
}


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's error page as JSON: ``{"code", "msg", "data": null, "error"}``.

    Replaces ``gunicorn.util.write_error`` (same signature), the one call
    through which every gunicorn worker writes the page of a request it
    refuses. ``mesg`` is deliberately dropped: it quotes the offending request
    line or header, query string (v4 passwords) included.
    """
    key, msg = GUNICORN_ERRORS.get(status_int, ("invalid_input" if status_int < 500 else "internal", reason))
    body = json.dumps({"code": status_int, "msg": msg, "data": None, "error": key}, ensure_ascii=False).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


# A patch, but of one function with a stable signature that only error pages
# use; checked so that a gunicorn release without it fails at start-up
# instead of silently answering HTML again.
if not callable(getattr(util, "write_error", None)):
    raise RuntimeError("gunicorn.util.write_error is gone: update write_json_error in gunicorn.conf.py")
util.write_error = write_json_error


def _wsgi_text(value: str) -> str:
    """A WSGI string (bytes as latin-1) decoded as UTF-8, as the application sees it."""
    try:
        return value.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:  # not a WSGI byte string: already text
        return value


class EscapedAtoms(glogging.SafeAtoms):
    """Access-log atoms with control characters escaped in every text value.

    gunicorn writes ``%(U)s`` percent-decoded, so ``/x%0d%0a...`` would end the
    line and start a forged one. Values are decoded as UTF-8 first (so a
    Chinese path is one character per character, not bytes that look like C1
    controls), then backslashes doubled and controls escaped
    (:func:`lingo.ops.request_log.escape_field`); gunicorn's ``SafeAtoms`` then
    escapes double quotes, so no value can leave its quoted field either.
    """

    def __init__(self, atoms: dict[str, Any]) -> None:
        super().__init__({k: escape_field(_wsgi_text(v)) if isinstance(v, str) else v for k, v in atoms.items()})


#: A query string in a request target gunicorn quotes in an error-log message.
QUERY_IN_TARGET = re.compile(r"(/[^\s?'\"]*)\?[^\s'\"]*")


class EscapeMessages(logging.Filter):
    """Escape control characters in gunicorn's error-log messages; drop query strings.

    Some messages quote the client's request: ``Invalid request from ip=...:
    Invalid HTTP request line: 'GET /x?password=... '`` (a WARNING, logged at
    the default level) or ``Error handling request GET /x?...``. v4 clients
    send passwords in query strings, so the query is cut (``?…``) as in every
    other log. Tracebacks (exception text) keep their line breaks.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message by its safe form; never drops a record."""
        message = QUERY_IN_TARGET.sub(r"\1?…", record.getMessage())
        record.msg, record.args = escape_controls(message), None
        return True


class EscapingLogger(glogging.Logger):
    """gunicorn's logger with escaped access-log atoms and error-log messages."""

    atoms_wrapper_class = EscapedAtoms

    def setup(self, cfg: Any) -> None:
        """gunicorn's set-up (also run on reload), plus the error-log filter once."""
        super().setup(cfg)
        if not any(isinstance(f, EscapeMessages) for f in self.error_log.filters):
            self.error_log.addFilter(EscapeMessages())


wsgi_app = "wsgi:app"

#: ``host:port`` (or ``unix:/path``); several may be given, comma-separated.
bind = [b.strip() for b in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",") if b.strip()]
workers = _env_int("GUNICORN_WORKERS", _env_int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
#: Threads per worker. 1 (the default) runs sync workers: each worker takes
#: one connection at a time, so connections spread over the workers and no
#: CPU goes to threads of one process handing the GIL to each other (measured
#: by ``make bench``: 4 threads let one worker take most of the connections
#: and spend up to 3x the CPU per request). More than 1 runs gthread workers,
#: for slow clients that reach gunicorn without a buffering proxy.
threads = _env_int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
#: A worker silent this long is killed and replaced.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
#: On SIGTERM / SIGHUP, in-flight requests get this long to finish.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
#: Seconds an idle keep-alive connection stays open (gthread workers only:
#: sync workers close each connection after its response).
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)
#: Recycle workers after this many requests (0: never), with jitter.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 0)
#: Heartbeat files in RAM: a slow disk must not get workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

#: ``-`` is stdout; empty disables the access log (lingo logs each request itself).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = (
    '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms '
    'rid=%({x-request-id}o)s "%(a)s"'
)
logger_class = EscapingLogger
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "lingo")

#: gunicorn ≥ 25's control socket (``gunicornc``): off unless a path is given,
#: so several instances on one host do not fight over the default path.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True


def on_starting(server: Any) -> None:
    """Empty the metrics directory: a previous run's counts are not this server's."""
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for stale in METRICS_DIR.glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A worker exited: its counts stay (they are totals); its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(METRICS_DIR))


def on_exit(server: Any) -> None:
    """Remove the metrics directory when this file made it."""
    if os.environ.get(METRICS_DIR_MADE) == str(METRICS_DIR):
        shutil.rmtree(METRICS_DIR, ignore_errors=True)
