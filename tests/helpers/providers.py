"""A local HTTP server in the test process that stands in for an outside provider.

Tests point a provider SDK (or lingo's own HTTP client) at ``server.url``
through its endpoint override; the server records every request as the SDK
sent it and answers with whatever ``server.answer`` returns. Nothing leaves
127.0.0.1. A provider that is down is ``http://127.0.0.1:{free_port()}``
(``from deploy.ports import free_port``).
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, list[str]] = field(default_factory=dict)

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """Query string and form body together, one value per name (RPC-style APIs)."""
        values = {k: v[-1] for k, v in self.query.items()}
        if self.body and "json" not in self.headers.get("content-type", ""):
            values.update({k: v[-1] for k, v in parse_qs(self.body.decode("utf-8")).items()})
        return values


@dataclass
class Answer:
    """What the server sends back; ``delay`` seconds of silence first (a hanging provider)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class ProviderServer:
    """A threaded HTTP server on 127.0.0.1 with a free port; use as a context manager.

    :param answer: builds the :class:`Answer` for a :class:`Recorded` request;
        replace ``server.answer`` in a test to change what the provider says.
    """

    def __init__(self, answer: Callable[[Recorded], Answer]) -> None:
        self.answer = answer
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave as two small writes: without this, Nagle and
            # delayed ACKs cost ~40 ms per request on loopback.
            disable_nagle_algorithm = True

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                recorded = Recorded(self.command, parts.path,
                                    {k.lower(): v for k, v in self.headers.items()}, body,
                                    parse_qs(parts.query, keep_blank_values=True))
                with server._lock:
                    server.requests.append(recorded)
                answer = server.answer(recorded)
                if answer.delay:
                    time.sleep(answer.delay)
                payload = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
                try:
                    self.send_response(answer.status)
                    headers = {"Content-Type": "application/json;charset=utf-8", **answer.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (its read time-out): nothing to answer

            do_GET = do_POST = do_PUT = _handle

            def log_message(self, *args: Any) -> None:  # keep the test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        # A short poll: shutdown() waits up to one poll interval (0.5 s by default, per test).
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    def __enter__(self) -> "ProviderServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()


def refuse(sender: Any, to: str, code: str) -> Any:
    """Send ``code`` to ``to`` through ``sender``; return the :class:`~lingo.senders.sms.SmsDeliveryError` raised."""
    import pytest

    from lingo.senders.sms import SmsDeliveryError

    with pytest.raises(SmsDeliveryError) as info:
        sender.send_code(to, code, 300)
    return info.value


def lingo_records(caplog: Any) -> list[Any]:
    """The log records of lingo's own loggers (not the SDKs' or urllib3's)."""
    return [r for r in caplog.records if r.name.startswith("lingo")]
