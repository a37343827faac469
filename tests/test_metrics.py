"""Prometheus metrics on ``GET /metrics`` (:mod:`lingo.ops.metrics`), read through HTTP.

The metrics are process-wide objects shared by every app a test makes, so each
test reads the counters before and after what it does and checks the change.
Multiprocess mode (gunicorn's workers writing, one view) is checked with
separate processes sharing a ``PROMETHEUS_MULTIPROC_DIR``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from deploy.ports import free_port
from helpers.apps import app_config
from helpers.providers import Answer, ProviderServer
from lingo import create_app
from lingo.extensions import db, limiter
from lingo.services import audit

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "metrics-token-" + "k3Jq9xW2"

Sample = tuple[str, frozenset[tuple[str, str]]]


def parse(text: str) -> dict[Sample, float]:
    """Every sample of an exposition: ``(name, labels) → value``."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client: Any, **headers: str) -> dict[Sample, float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:200]
    assert response.content_type.startswith("text/plain")
    return parse(response.get_data(as_text=True))


def key(name: str, **labels: str) -> Sample:
    return name, frozenset(labels.items())


class Counters:
    """The metrics before an action; :meth:`deltas` says which samples moved since, and by how much."""

    def __init__(self, client: Any, **headers: str) -> None:
        self.client, self.headers = client, headers
        self.before = scrape(client, **headers)

    def deltas(self, name: str, **labels: str) -> dict[frozenset[tuple[str, str]], float]:
        """Every sample of ``name`` (with ``labels`` among its labels) that moved."""
        after, wanted = scrape(self.client, **self.headers), set(labels.items())
        moved = {labels_: value - self.before.get((name_, labels_), 0.0)
                 for (name_, labels_), value in after.items() if name_ == name and wanted <= labels_}
        return {labels_: change for labels_, change in moved.items() if change}


def fresh_ip() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}"


def new_phone() -> str:
    return "139" + f"{uuid.uuid4().int % 10**8:08d}"


# -- requests ------------------------------------------------------------------------------------
def test_requests_are_counted_by_dialect_rule_and_status_with_their_latency(client):
    counters = Counters(client)
    client.get("/healthz")
    client.post("/api/auth/phone_login", json={"phone": new_phone(), "password": "not-the-one-1"},
                environ_base={"REMOTE_ADDR": fresh_ip()})
    client.post("/api/auth/access_token", json={"account": new_phone(), "password": "not-the-one-1"},
                environ_base={"REMOTE_ADDR": fresh_ip()})
    client.open("/api/auth/send_code", method="OPTIONS")
    client.get("/api/v4.0/no-such-thing?password=secret-in-query")
    client.get("/api/auth/no-such-thing")
    moved = counters.deltas("lingo_http_requests_total")
    assert moved == {
        frozenset({("dialect", "none"), ("endpoint", "/healthz"), ("status", "200")}): 1,
        frozenset({("dialect", "modern"), ("endpoint", "/api/auth/phone_login"), ("status", "404")}): 1,
        frozenset({("dialect", "platform"), ("endpoint", "/api/auth/access_token"), ("status", "404")}): 1,
        frozenset({("dialect", "modern"), ("endpoint", "/api/auth/send_code"), ("status", "204")}): 1,
        frozenset({("dialect", "v4"), ("endpoint", "unmatched"), ("status", "200")}): 1,  # v4's 404 is a 200
        frozenset({("dialect", "modern"), ("endpoint", "unmatched"), ("status", "404")}): 1,
        # the first scrape itself, counted after it was answered
        frozenset({("dialect", "none"), ("endpoint", "/metrics"), ("status", "200")}): 1,
    }
    latency = counters.deltas("lingo_http_request_duration_seconds_count")
    assert latency[frozenset({("dialect", "platform"), ("endpoint", "/api/auth/access_token")})] == 1
    assert latency[frozenset({("dialect", "modern"), ("endpoint", "unmatched")})] == 1
    text = client.get("/metrics").get_data(as_text=True)
    assert "no-such-thing" not in text and "secret-in-query" not in text  # never a raw path


def test_the_shared_send_code_path_is_labelled_with_the_dialect_that_answered(client, outbox):
    counters = Counters(client)
    assert client.post("/api/auth/send_code", json={"phone": new_phone()}).status_code == 200
    assert client.post("/api/auth/send_code", json={"account": new_phone(), "area": "86"}).status_code == 200
    moved = counters.deltas("lingo_http_requests_total", endpoint="/api/auth/send_code")
    assert {dict(labels)["dialect"] for labels in moved} == {"modern", "platform"}


# -- sign-ins, codes, verifications ----------------------------------------------------------------
@pytest.mark.parametrize("app_overrides", [{"PASSWORD_FAILURES_BEFORE_LOCK": 2}])
def test_sign_ins_by_dialect_method_and_outcome(client, modern, app_overrides):
    phone = new_phone()
    counters = Counters(client)
    modern.tokens(phone)  # registers by code
    code = modern.code(phone)
    assert client.post("/api/auth/set_password_by_code",
                       json={"phone": phone, "code": code, "new_password": "right-pass-1"}).status_code == 200
    ip = {"REMOTE_ADDR": fresh_ip()}
    assert client.post("/api/auth/phone_login", json={"phone": phone, "password": "right-pass-1"},
                       environ_base=ip).status_code == 200
    v4 = client.get(f"/api/v4.0/login?phone={phone}&password=right-pass-1&device_identifier=d", environ_base=ip)
    assert v4.get_json()["code"] == 200
    for _ in range(2):
        client.post("/api/auth/phone_login", json={"phone": phone, "password": "wrong-pass-1"}, environ_base=ip)
    locked = client.post("/api/auth/phone_login", json={"phone": phone, "password": "right-pass-1"}, environ_base=ip)
    assert locked.get_json()["error"] == "password_locked"
    client.post("/api/auth/phone_login", json={"phone": new_phone(), "password": "nobody-1"}, environ_base=ip)
    assert counters.deltas("lingo_sign_ins_total") == {
        frozenset({("dialect", "modern"), ("method", "code"), ("outcome", "succeeded")}): 1,
        frozenset({("dialect", "modern"), ("method", "password"), ("outcome", "succeeded")}): 1,
        frozenset({("dialect", "v4"), ("method", "password"), ("outcome", "succeeded")}): 1,
        frozenset({("dialect", "modern"), ("method", "password"), ("outcome", "wrong_password")}): 2,
        frozenset({("dialect", "modern"), ("method", "password"), ("outcome", "locked")}): 1,
        frozenset({("dialect", "modern"), ("method", "password"), ("outcome", "not_registered")}): 1,
    }


def test_code_sends_and_refusals_by_reason(client, outbox):
    phone = new_phone()
    counters = Counters(client)
    assert client.post("/api/auth/send_code", json={"phone": phone}).status_code == 200
    assert client.post("/api/auth/send_code", json={"phone": phone}).get_json()["error"] == "send_too_frequent"
    assert client.post("/api/auth/send_code", json={"phone": "+12025550123"}).status_code == 422  # region
    assert counters.deltas("lingo_code_sends_total") == {
        frozenset({("dialect", "modern"), ("outcome", "sent")}): 1,
        frozenset({("dialect", "modern"), ("outcome", "send_too_frequent")}): 1,
        frozenset({("dialect", "modern"), ("outcome", "invalid_input")}): 1,
    }
    assert counters.deltas("lingo_code_deliveries_total") == {
        frozenset({("sender", "outbox"), ("outcome", "delivered")}): 1,
    }


def test_verifications_by_outcome(client, modern):
    phone = new_phone()
    code = modern.code(phone)
    counters = Counters(client)
    wrong = "000000" if code != "000000" else "111111"
    assert modern.code_login(phone, wrong).status_code == 400
    assert modern.code_login(phone, code).status_code == 200
    assert modern.code_login(phone, code).status_code == 400
    assert counters.deltas("lingo_code_verifications_total") == {
        frozenset({("outcome", "wrong")}): 1,
        frozenset({("outcome", "verified")}): 1,
        frozenset({("outcome", "no_live_code")}): 1,
    }


@pytest.fixture
def receiver() -> Iterator[ProviderServer]:
    """An SMS webhook that answers 402 (arrears) until told otherwise."""
    with ProviderServer(lambda _: Answer(402, {})) as server:
        yield server


@pytest.mark.parametrize("fallback", ["", "outbox"])
def test_deliveries_by_sender_and_outcome(database_url, receiver, fallback):
    app = create_app(app_config(database_url, SMS_BACKEND="webhook", SMS_WEBHOOK_URL=receiver.url,
                                SMS_WEBHOOK_SECRET="webhook-secret-1", SMS_READ_TIMEOUT=0.5,
                                SMS_FALLBACK_BACKEND=fallback))
    client = app.test_client()
    counters = Counters(client)
    assert client.post("/api/auth/send_code", json={"phone": new_phone()}).get_json()["error"] == "sms_arrears"
    receiver.answer = lambda _: Answer(503, {})  # unavailable: fails over when there is a fallback
    answer = client.post("/api/auth/send_code", json={"phone": new_phone()})
    receiver.answer = lambda _: Answer(200, {"request_id": "wh-1"})
    assert client.post("/api/auth/send_code", json={"phone": new_phone()}).status_code == 200
    expected = {
        frozenset({("sender", "webhook"), ("outcome", "sms_arrears")}): 1,
        frozenset({("sender", "webhook"), ("outcome", "sms_unavailable")}): 1,
        frozenset({("sender", "webhook"), ("outcome", "delivered")}): 1,
    }
    if fallback:
        assert answer.status_code == 200
        expected[frozenset({("sender", "outbox"), ("outcome", "delivered")})] = 1
    else:
        assert answer.get_json()["error"] == "sms_unavailable"
    assert counters.deltas("lingo_code_deliveries_total") == expected
    refusals = counters.deltas("lingo_code_sends_total")
    assert refusals[frozenset({("dialect", "modern"), ("outcome", "sms_arrears")})] == 1


def test_only_committed_events_are_counted_and_failures_always(app, client):
    """A success event whose transaction rolls back was never in the audit log: not counted."""
    counters = Counters(client)
    with app.test_request_context():
        now = app.extensions["lingo.clock"]()
        audit.record("sign_in.succeeded", now=now, details={"method": "password"})
        db.session.rollback()
        audit.record("sign_in.failed", now=now, details={"method": "password", "reason": "wrong_password"},
                     failure=True)
        db.session.rollback()
        audit.record("code.verified", now=now, details={"use": "login"})
        db.session.commit()
    assert counters.deltas("lingo_sign_ins_total") == {
        frozenset({("dialect", "cli"), ("method", "password"), ("outcome", "wrong_password")}): 1,
    }
    assert counters.deltas("lingo_code_verifications_total") == {frozenset({("outcome", "verified")}): 1}


# -- limits and faults ---------------------------------------------------------------------------
@pytest.mark.parametrize("app_overrides", [{"LOGIN_RATE_LIMIT": "2/minute", "ISREGISTER_RATE_LIMIT": "1/minute"}])
def test_limiter_refusals_by_limit(client, app_overrides):
    counters = Counters(client)
    ip = {"REMOTE_ADDR": fresh_ip()}
    statuses = [client.post("/api/auth/phone_login", json={"phone": new_phone(), "password": "nobody-12"},
                            environ_base=ip).status_code for _ in range(3)]
    assert statuses == [404, 404, 429]
    v4 = [client.get(f"/api/v4.0/isregister/{new_phone()}", environ_base=ip).get_json() for _ in range(2)]
    assert v4[1]["msg"] == "请求过于频繁"
    assert counters.deltas("lingo_rate_limited_total") == {
        frozenset({("limit", "password-login")}): 1,
        frozenset({("limit", "registration-lookup")}): 1,
    }


@pytest.mark.parametrize("app_overrides", [{"RATELIMIT_APPLICATION": "3/minute"}])
def test_application_limit_covers_every_routed_request(client, app_overrides):
    # lingo's limiter skips flask-limiter's per-request pass unless a request-wide
    # limit is set: when one is, it still covers routes that have no limit of their own.
    counters = Counters(client)
    ip, other = {"REMOTE_ADDR": fresh_ip()}, {"REMOTE_ADDR": fresh_ip()}
    statuses = [client.get("/api/auth/ping", environ_base=ip).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/api/auth/ping", environ_base=other).status_code == 200
    assert client.get("/healthz", environ_base=ip).status_code == 200  # the probes are exempt
    assert counters.deltas("lingo_rate_limited_total") == {frozenset({("limit", "global")}): 1}


@pytest.fixture
def broken_app() -> Iterator[Flask]:
    """An app whose database and Redis point at closed ports."""
    app = create_app(app_config(f"mysql+pymysql://root@127.0.0.1:{free_port()}/nothing?charset=utf8mb4",
                                RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0"))
    yield app
    limiter._storage_dead = False  # flask-limiter keeps this flag across init_app


def test_database_and_redis_errors_are_counted(broken_app):
    client = broken_app.test_client()
    counters = Counters(client)
    # a password sign-in: the limiter finds Redis down (in-memory fallback), then the database
    assert client.post("/api/auth/phone_login", json={"phone": new_phone(), "password": "nobody-12"},
                       environ_base={"REMOTE_ADDR": fresh_ip()}).status_code == 503
    assert client.post("/api/auth/send_code", json={"phone": new_phone()}).status_code == 503
    assert client.get("/readyz").status_code == 503
    assert counters.deltas("lingo_backend_errors_total") == {
        frozenset({("backend", "database")}): 3,  # two requests and the readiness check
        frozenset({("backend", "redis")}): 2,  # the limiter losing its storage, the readiness check
    }


# -- the guard -----------------------------------------------------------------------------------
@pytest.mark.parametrize("app_overrides", [{"METRICS_TOKEN": TOKEN}])
def test_a_configured_token_is_required(client, app_overrides):
    for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"}, {"Authorization": f"Token {TOKEN}"},
                    {"Authorization": TOKEN}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert response.get_json() == {"code": 401, "msg": response.get_json()["msg"], "data": None,
                                       "error": "invalid_token"}
    samples = scrape(client, Authorization=f"Bearer {TOKEN}")
    assert any(name == "lingo_http_requests_total" for name, _ in samples)


def test_without_a_token_metrics_are_open_in_testing_and_absent_in_production(app, client):
    assert client.get("/metrics").status_code == 200
    app.config["ENV_NAME"] = "production"
    response = client.get("/metrics")
    assert response.status_code == 404 and response.get_json()["error"] == "no_such_path"
    assert client.post("/metrics").status_code == 405  # GET only


def test_a_short_token_is_refused_at_start(database_url):
    with pytest.raises(RuntimeError, match="METRICS_TOKEN"):
        create_app(app_config(database_url, METRICS_TOKEN="short"))


# -- multiprocess mode ---------------------------------------------------------------------------
WORKER = """
from lingo.ops import metrics
for _ in range({n}):
    metrics.backend_error("redis")
    metrics.code_delivered("aliyun")
"""
VIEW = """
from lingo import create_app
app = create_app({{"ENV_NAME": "testing", "DATABASE_URL": "sqlite://", "METRICS_TOKEN": "{token}"}})
print(app.test_client().get("/metrics", headers={{"Authorization": "Bearer {token}"}}).get_data(as_text=True))
"""


def run_python(code: str, multiproc_dir: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir), "LINGO_LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_multiprocess_mode_adds_up_every_process(tmp_path):
    """Two processes count (like two gunicorn workers); a third serves /metrics with their sum."""
    run_python(WORKER.format(n=3), tmp_path)
    run_python(WORKER.format(n=4), tmp_path)
    assert len(list(tmp_path.glob("counter_*.db"))) == 2
    samples = parse(run_python(VIEW.format(token=TOKEN), tmp_path))
    assert samples[key("lingo_backend_errors_total", backend="redis")] == 7
    assert samples[key("lingo_code_deliveries_total", sender="aliyun", outcome="delivered")] == 7
