"""Push senders: the webhook sender against a real local HTTP server; failures become push_status 2."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from deploy.ports import free_port
from helpers.staff import data
from lingo import create_app

SECRET = "webhook-test-secret"
ALICE = "13800000002"


class Receiver:
    """A local push provider: checks the signature, records what it got, answers ``status``."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.status = 200
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(self.headers.get("X-Lingo-Signature", ""), expected):
                    receiver.bad_signatures += 1
                    self.send_response(401)
                else:
                    time.sleep(receiver.delay)
                    receiver.received.append(json.loads(body))
                    self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.handle_error = lambda *args: None  # a late answer to a timed-out client is expected
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/push"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def app_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Webhook backend pointing at the receiver (or a closed port for ``closed_port`` tests)."""
    if "closed_port" in request.node.name:
        url = f"http://127.0.0.1:{free_port()}/push"  # nothing listens there
    else:
        url = request.getfixturevalue("receiver").url
    return {"PUSH_BACKEND": "webhook", "PUSH_WEBHOOK_URL": url, "PUSH_WEBHOOK_SECRET": SECRET,
            "PUSH_WEBHOOK_TIMEOUT": 0.3}


def test_webhook_delivers_signed_push(staff, receiver):
    manager = staff.make_manager()
    user = staff.user(ALICE)
    data(staff.api("POST", "/api/push/bind", user, json={"client_id": "device-1", "client_type": "android"}))
    push = data(staff.admin("POST", "/pushes", manager, json={"title": "推送测试", "body": "推送测试内容"}), 200)
    assert push["push_status"] == 1
    assert receiver.bad_signatures == 0
    (got,) = receiver.received
    assert got == {"push_id": push["id"], "title": "推送测试", "body": "推送测试内容", "audience": "all",
                   "user_ids": [], "client_ids": ["device-1"],
                   "sent_at": staff.app.extensions["lingo.clock"]().strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_webhook_skips_switched_off_devices(staff, receiver):
    manager = staff.make_manager()
    user = staff.user(ALICE)
    data(staff.api("POST", "/api/push/bind", user, json={"client_id": "device-1", "client_type": "ios"}))
    data(staff.api("PUT", "/api/push/switch/device-1", user, json={"switch": False}))
    user_id = staff.user_id(manager, ALICE)
    data(staff.admin("POST", "/pushes", manager, json={"title": "t", "body": "b", "user_ids": [user_id]}), 200)
    (got,) = receiver.received
    assert got["audience"] == "users" and got["user_ids"] == [user_id] and got["client_ids"] == []


def test_webhook_error_status_records_failure(staff, receiver):
    receiver.status = 500
    manager = staff.make_manager()
    user = staff.user(ALICE)
    r = staff.admin("POST", "/pushes", manager, json={"title": "t", "body": "b"})
    assert r.status_code == 200 and r.get_json()["data"]["push_status"] == 2
    assert len(receiver.received) == 1
    (logged,) = data(staff.api("GET", "/api/push/log", user))["data"]
    assert logged["push_status"] == 2


def test_webhook_timeout_records_failure(staff, receiver):
    receiver.delay = 2.0
    manager = staff.make_manager()
    started = time.monotonic()
    r = staff.admin("POST", "/pushes", manager, json={"title": "t", "body": "b"})
    assert time.monotonic() - started < 1.8
    assert r.status_code == 200 and r.get_json()["data"]["push_status"] == 2


def test_webhook_closed_port_records_failure(staff):
    manager = staff.make_manager()
    r = staff.admin("POST", "/pushes", manager, json={"title": "t", "body": "b"})
    assert r.status_code == 200 and r.get_json()["data"]["push_status"] == 2
    (logged,) = data(staff.admin("GET", "/pushes", manager), 200)["data"]
    assert logged["push_status"] == 2


def test_webhook_needs_url_and_secret(database_url):
    from helpers.apps import app_config

    with pytest.raises(RuntimeError, match="PUSH_WEBHOOK_SECRET"):
        create_app(app_config(database_url, PUSH_BACKEND="webhook", PUSH_WEBHOOK_URL="http://127.0.0.1:9/x"))
    with pytest.raises(RuntimeError, match="PUSH_WEBHOOK_URL"):
        create_app(app_config(database_url, PUSH_BACKEND="webhook", PUSH_WEBHOOK_SECRET="s"))
    with pytest.raises(RuntimeError, match="PUSH_BACKEND"):
        create_app(app_config(database_url, PUSH_BACKEND="carrier-pigeon"))
