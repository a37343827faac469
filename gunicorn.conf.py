"""Gunicorn settings for lingo: ``gunicorn -c gunicorn.conf.py`` (serves ``wsgi:app``).

Process settings come from ``GUNICORN_*`` environment variables; the
application's own settings are ``LINGO_*`` (see ``config.py``). Each worker
builds its own app (no ``preload_app``), so no database connection is shared
across a fork.

The access log format deliberately uses ``%(U)s`` (path) and never ``%(r)s``
(request line) or ``%(q)s`` (query string): legacy v4 clients send passwords and
codes in query strings. The referer is left out for the same reason.
"""
from __future__ import annotations

import multiprocessing
import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


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
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "lingo")

#: gunicorn ≥ 25's control socket (``gunicornc``): off unless a path is given,
#: so several instances on one host do not fight over the default path.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
