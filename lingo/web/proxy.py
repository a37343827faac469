"""Which address is the client's: trusted proxies (``PROXY_HOPS``) and a warning when none are trusted.

Behind ``PROXY_HOPS`` proxies, werkzeug's ``ProxyFix`` takes the client from
exactly that many ``X-Forwarded-*`` entries. With ``PROXY_HOPS=0`` the headers
are ignored (a client could forge them); but when they arrive anyway, lingo
probably sits behind a proxy it does not trust, and then every client shares
the proxy's address and every per-IP limit (and the v4 reset grant's IP
binding) counts them together: that is logged once per process.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger("lingo.web.proxy")

_WARNED = "lingo.web.proxy.warned"


def init_app(app: Flask) -> None:
    """Trust ``PROXY_HOPS`` proxies, or watch for forwarded requests when it is 0."""
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        # Wrapping wsgi_app is how Flask documents middleware; mypy refuses any
        # assignment to a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
        return
    app.extensions[_WARNED] = False
    app.before_request(_warn_untrusted_proxy)


def _warn_untrusted_proxy() -> None:
    """Log once per process (one app per worker) that ``X-Forwarded-For`` came with ``PROXY_HOPS=0``."""
    if current_app.extensions[_WARNED] or "X-Forwarded-For" not in request.headers:
        return
    current_app.extensions[_WARNED] = True
    log.warning(
        "X-Forwarded-For received while PROXY_HOPS=0: if lingo runs behind a proxy, every client "
        "shares its address %s for per-IP limits; set LINGO_PROXY_HOPS to the number of proxies",
        request.remote_addr,
    )
