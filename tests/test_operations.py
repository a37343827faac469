"""Production behaviour without gunicorn: health endpoints, request log lines,
client IP behind proxies, the per-IP login limit, a database or Redis that is
down, and concurrent use of one code."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis
from flask import Flask

from deploy.ports import free_port
from helpers.apps import app_config
from lingo import create_app
from lingo.extensions import limiter
from lingo.ops.request_log import make_formatter
from lingo.web import limits


ROOT = Path(__file__).resolve().parent.parent


def fresh_ip() -> str:
    """A client address no other test used (limiter counters outlive apps)."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}"


def login(client: Any, ip: str, xff: str | None = None, password: str = "not-the-password") -> Any:
    headers = {"X-Forwarded-For": xff} if xff else {}
    return client.post("/api/auth/phone_login", json={"phone": "13700000001", "password": password},
                       headers=headers, environ_base={"REMOTE_ADDR": ip})


@pytest.fixture
def restore_limiter() -> Iterator[None]:
    """Tests that break the limiter storage leave the shared limiter healthy."""
    yield
    limiter._storage_dead = False  # flask-limiter keeps this flag across init_app


@pytest.fixture
def broken_app(restore_limiter: None) -> Flask:
    """An app whose database and Redis both point at closed ports."""
    return create_app(app_config(
        f"mysql+pymysql://root@127.0.0.1:{free_port()}/nothing?charset=utf8mb4",
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0",
        LOGIN_RATE_LIMIT="2/minute",
    ))


def test_healthz_and_readyz_answer_json(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "ok" and body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] in ("ok", "not_configured")


def test_readyz_is_503_when_database_and_redis_are_down(broken_app):
    client = broken_app.test_client()
    assert client.get("/healthz").status_code == 200
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.get_json() == {"status": "unavailable",
                            "checks": {"database": "unavailable", "redis": "unavailable"}}


def test_database_down_is_a_clean_503_in_the_envelope(broken_app):
    client = broken_app.test_client()
    for path, body in [("/api/auth/send_code", {"phone": "13700000002"}),
                       ("/api/auth/phone_code_login", {"phone": "13700000002", "code": "123456"}),
                       ("/api/auth/refresh", {"refresh_token": "x" * 40})]:
        r = client.post(path, json=body, environ_base={"REMOTE_ADDR": fresh_ip()})
        assert r.status_code == 503, path
        assert r.get_json() == {"code": 503, "msg": "服务暂不可用", "data": None, "error": "service_unavailable"}
    # Reads straight on the driver (lingo.reads.Read) fail the same way, in their dialects' envelopes.
    r = client.get("/api/personal/info", headers={"Authorization": "Token " + "x" * 32})
    assert (r.status_code, r.get_json()) == (503, {"code": 10000, "message": "服务暂不可用", "data": {}})
    r = client.get("/api/v4.0/isregister/13700000002", environ_base={"REMOTE_ADDR": fresh_ip()})
    assert (r.status_code, r.get_json()) == (200, {"code": -1, "msg": "服务暂不可用", "data": ""})  # v4: always 200


def test_redis_down_falls_back_to_memory_and_logs_an_error(database_url, restore_limiter, caplog):
    app = create_app(app_config(database_url, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0",
                                LOGIN_RATE_LIMIT="2/minute"))
    client, ip = app.test_client(), fresh_ip()
    with caplog.at_level(logging.INFO):
        answers = [login(client, ip) for _ in range(3)]
    assert [r.status_code for r in answers[:2]] == [404, 404]  # answered, not a 500
    assert answers[2].status_code == 429 and answers[2].get_json()["error"] == "rate_limited"
    errors = [r for r in caplog.records if r.name == "lingo.web.limits" and r.levelno == logging.ERROR]
    assert errors and "unreachable" in errors[0].getMessage()


class PrivateRedis:
    """A redis-server of the test's own on a free port, to stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                                         "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def test_route_limits_return_to_redis_when_it_recovers(database_url, private_redis, monkeypatch, caplog):
    monkeypatch.setattr(limits, "RECHECK_SECONDS", 0.0)  # try the storage again on the next request
    app = create_app(app_config(database_url, RATELIMIT_STORAGE_URI=private_redis.url, LOGIN_RATE_LIMIT="3/minute"))
    client, ip = app.test_client(), fresh_ip()
    assert [login(client, ip).status_code for _ in range(2)] == [404, 404]  # 2 of 3, counted in Redis
    private_redis.stop()
    with caplog.at_level(logging.INFO, logger="lingo.web.limits"):
        assert login(client, ip).status_code == 404  # 1 of 3 in this worker's memory
        private_redis.start()  # back, and empty (it keeps nothing on disk)
        # Counted in Redis again from 0: three more pass (memory would refuse the third) ...
        assert [login(client, ip).status_code for _ in range(3)] == [404, 404, 404]
        assert login(client, ip).status_code == 429
    assert [r.getMessage() for r in caplog.records if r.name == "lingo.web.limits"] == [
        "rate limit storage unreachable: counting the limits per worker in memory",
        "rate limit storage recovered",
    ]
    # ... and the counter is Redis's, under the configured prefix and the shared scope.
    keys = redis.Redis.from_url(private_redis.url).keys("*")
    assert len(keys) == 1 and b"password-login" in keys[0] and app.config["RATELIMIT_KEY_PREFIX"].encode() in keys[0]


@pytest.mark.parametrize("app_overrides", [{"LOGIN_RATE_LIMIT": "2/minute", "RATELIMIT_HEADERS_ENABLED": True}])
def test_rate_limit_headers_when_enabled(client, app_overrides):
    ip = fresh_ip()
    first = login(client, ip)
    assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == ("2", "1")
    assert "Retry-After" not in first.headers
    assert login(client, ip).headers["X-RateLimit-Remaining"] == "0"
    refused = login(client, ip)
    assert refused.status_code == 429 and refused.headers["X-RateLimit-Remaining"] == "0"
    assert 0 <= int(refused.headers["Retry-After"]) <= 60
    assert time.time() < int(refused.headers["X-RateLimit-Reset"]) <= time.time() + 61


HEADERS_TWICE = """
from lingo import create_app
app = create_app({{"ENV_NAME": "testing", "DATABASE_URL": {url!r}, "RATELIMIT_HEADERS_ENABLED": True,
                  "RATELIMIT_APPLICATION": "100/minute", "LOGIN_RATE_LIMIT": "2/minute"}})
answer = app.test_client().post("/api/auth/phone_login", json={{"phone": "13700000001", "password": "not-it"}})
print([answer.headers.getlist(name) for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining")])
"""


def test_rate_limit_headers_once_with_a_request_wide_limit(database_url):
    # A fresh process (flask-limiter's one Limiter keeps its first app's header setting):
    # flask-limiter sends the request-wide limit's headers, the route limit adds none.
    assert fresh_process(HEADERS_TWICE.format(url=database_url)) == "[['100'], ['99']]"


DISABLED = """
from lingo import create_app
app = create_app({{"ENV_NAME": "testing", "DATABASE_URL": {url!r}, "RATELIMIT_ENABLED": False,
                  "LOGIN_RATE_LIMIT": "1/minute"}})
client = app.test_client()
print([client.post("/api/auth/phone_login", json={{"phone": "13700000001", "password": "not-the-password"}}).status_code
       for _ in range(3)])
"""


def fresh_process(code: str) -> str:
    """The last line ``code`` prints, run by a Python of its own (its first app is the limiter's first)."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "LINGO_LOG_LEVEL": "WARNING"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.splitlines()[-1]


def test_no_route_limit_when_the_limiter_is_disabled(database_url):
    # flask-limiter makes no storage when disabled; the app must start all the same.
    assert fresh_process(DISABLED.format(url=database_url)) == "[404, 404, 404]"


@pytest.mark.parametrize("app_overrides", [{"LOGIN_RATE_LIMIT": "3/minute"}])
def test_login_limit_is_per_ip_and_renders_rate_limited(client, app_overrides):
    ip, other = fresh_ip(), fresh_ip()
    assert [login(client, ip).status_code for _ in range(3)] == [404, 404, 404]
    r = login(client, ip)
    assert r.status_code == 429
    assert r.get_json() == {"code": 429, "msg": "请求过于频繁", "data": None, "error": "rate_limited"}
    assert "X-RateLimit-Limit" not in r.headers and "Retry-After" not in r.headers  # headers are opt-in
    assert login(client, other).status_code == 404


@pytest.mark.parametrize("app_overrides", [{"LOGIN_RATE_LIMIT": "3/minute"}])
def test_password_login_budget_is_shared_by_every_dialect(client, app_overrides):
    env = {"REMOTE_ADDR": fresh_ip()}
    modern_r = client.post("/api/auth/phone_login", json={"phone": "13700000009", "password": "whatever1"},
                           environ_base=env)
    platform_r = client.post("/api/auth/access_token", json={"account": "13700000009", "password": "whatever1"},
                             environ_base=env)
    v4_r = client.get("/api/v4.0/login?phone=13700000009&password=123456&device_identifier=d", environ_base=env)
    assert (modern_r.status_code, platform_r.status_code, v4_r.get_json()["code"]) == (404, 404, -1)
    # the budget of 3 is spent: every dialect now refuses, each in its own envelope
    assert client.post("/api/auth/phone_login", json={"phone": "13700000009", "password": "whatever1"},
                       environ_base=env).get_json()["error"] == "rate_limited"
    assert client.post("/api/auth/access_token", json={"account": "13700000009", "password": "whatever1"},
                       environ_base=env).get_json()["code"] == 10000
    v4_limited = client.get("/api/v4.0/login?phone=13700000009&password=123456&device_identifier=d",
                            environ_base=env)
    assert v4_limited.status_code == 200
    assert v4_limited.get_json() == {"code": -1, "msg": "请求过于频繁", "data": ""}


@pytest.mark.parametrize("app_overrides", [{"LOGIN_RATE_LIMIT": "2/minute"}])
def test_forged_forwarded_for_is_ignored_without_proxy_hops(client, app_overrides):
    ip = fresh_ip()
    statuses = [login(client, ip, xff=fresh_ip()).status_code for _ in range(3)]
    assert statuses == [404, 404, 429]


@pytest.mark.parametrize("app_overrides", [{"PROXY_HOPS": 1, "LOGIN_RATE_LIMIT": "2/minute"}])
def test_one_proxy_hop_takes_the_client_ip_from_forwarded_for(client, app_overrides):
    proxy = fresh_ip()
    # Each client behind the proxy has its own budget ...
    assert [login(client, proxy, xff=fresh_ip()).status_code for _ in range(3)] == [404, 404, 404]
    # ... and only the proxy-appended (last) address counts: a forged first one does not help.
    real = fresh_ip()
    statuses = [login(client, proxy, xff=f"{fresh_ip()}, {real}").status_code for _ in range(3)]
    assert statuses == [404, 404, 429]


def test_one_log_line_per_request_without_secrets(modern, client, caplog):
    with caplog.at_level(logging.INFO, logger="lingo"):
        tokens = modern.tokens("13700000003")
        password, code = "Very-Secret-Pw-1", modern.code("13700000004")
        r = client.post(f"/api/auth/phone_login?password={password}&code={code}",
                        json={"phone": "13700000003", "password": password},
                        headers={"X-Request-ID": "req-abc-12345"})
        modern.logout(tokens["access_token"])
    lines = [rec for rec in caplog.records if rec.name == "lingo.request"]
    line = next(rec for rec in lines if rec.request_id == "req-abc-12345")
    assert r.headers["X-Request-ID"] == "req-abc-12345"
    assert (line.method, line.path, line.status) == ("POST", "/api/auth/phone_login", 400)
    assert line.duration_ms >= 0
    logout_line = lines[-1]
    assert logout_line.path == "/api/auth/logout" and logout_line.user_id is not None
    everything = "\n".join(rec.getMessage() + json.dumps(rec.__dict__, default=str) for rec in caplog.records)
    for secret in (password, code, tokens["access_token"], tokens["refresh_token"]):
        assert secret not in everything


def test_request_id_is_generated_when_missing_or_malformed(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    forged = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    assert len(first) == 32 and first != forged and " " not in forged


def test_json_log_format_is_one_json_object_per_line():
    record = logging.LogRecord("lingo.request", logging.INFO, __file__, 1, "GET %s", ("/healthz",), None)
    record.status = 200
    out = json.loads(make_formatter("json").format(record))
    assert out["message"] == "GET /healthz" and out["status"] == 200 and out["level"] == "INFO"
    with pytest.raises(RuntimeError):
        make_formatter("xml")


def test_ten_parallel_uses_of_one_code_succeed_once(app, modern, outbox):
    code = modern.code("13700000005")
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def use() -> None:
        c = app.test_client()
        barrier.wait()
        statuses.append(c.post("/api/auth/phone_code_login",
                               json={"phone": "13700000005", "code": code}).status_code)

    threads = [threading.Thread(target=use) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [400] * 9  # never a 503 from a deadlock
