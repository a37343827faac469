"""The deployment test (``make deploy-test``): lingo as it runs in production.

Starts a private MariaDB and Redis, two gunicorn instances of two workers each
(production config, ``LINGO_PROXY_HOPS=1``) and nginx in front with
``deploy/nginx.conf``, then checks through nginx that the rules of docs/contract.md §3–4
hold across instances and that faults do not turn into 500s or lost data.
Prints one PASS/FAIL line per check; exits non-zero when any check fails.
Everything it starts is stopped at the end, even on failure.
``DEPLOY_TEST_KEEP=1`` keeps the temporary directory (logs) for inspection.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ports import free_port  # noqa: E402
from stack import ROOT, TEST_STATUS_PREFIX, Stack, ensure_chromium, ensure_nginx  # noqa: E402

BIN = Path(sys.executable).parent


def new_phone() -> str:
    """A random mainland mobile number (national form)."""
    return "139" + f"{secrets.randbelow(10**8):08d}"


def new_code() -> str:
    """A TEST_OTP code starting with 0, so no pid or duration in a log can equal it."""
    return "0" + f"{secrets.randbelow(10**5):05d}"


class Client:
    """HTTP through nginx, from a chosen loopback source address."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.secrets: set[str] = set()
        self.codes: set[str] = set()
        self.upstream_cache: dict[str, str] = {}
        #: Every answer: (request id, path without query, status); check 11 adds them up.
        self.answers: list[tuple[str, str, int]] = []
        #: Phones whose send_code was answered 200.
        self.sent_to: list[str] = []
        self.lock = threading.Lock()

    def call(self, method: str, path: str, body: Any = None, *, ip: str = "127.0.0.1",
             headers: dict[str, str] | None = None) -> tuple[int, Any, str]:
        """Send one request; returns ``(status, json body or text, request id)``."""
        rid = uuid.uuid4().hex
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(ip, 0))
        try:
            data = json.dumps(body).encode() if body is not None else None
            hdrs = {"X-Request-ID": rid, **(headers or {})}
            if data is not None:
                hdrs["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=hdrs)
            response = conn.getresponse()
            raw = response.read().decode("utf-8", "replace")
            try:
                payload: Any = json.loads(raw)
            except ValueError:
                payload = raw
            self._collect(payload)
            with self.lock:
                self.answers.append((rid, urlsplit(path).path, response.status))
                if urlsplit(path).path == "/api/auth/send_code" and response.status == 200 and isinstance(body, dict):
                    self.sent_to.append(str(body.get("phone")))
            return response.status, payload, rid
        finally:
            conn.close()

    def _collect(self, payload: Any) -> None:
        """Remember every token a response carried (check 7 looks for them)."""
        if isinstance(payload, dict):
            for key, value in payload.items():
                if "token" in key and isinstance(value, str) and len(value) >= 16:
                    self.secrets.add(value)
                else:
                    self._collect(value)


class Run:
    """One deployment-test run: the stack, the client and the check results."""

    def __init__(self, stack: Stack, client: Client, otp: dict[str, str], upstreams: dict[str, str]) -> None:
        self.stack = stack
        self.client = client
        self.otp = dict(otp)  # phone -> fixed code, consumed by take_otp()
        self.fixed_codes = dict(otp)
        self.upstreams = upstreams  # "127.0.0.1:port" -> instance name
        self.failed: list[str] = []
        self.metrics_token = stack.app_env.get("LINGO_METRICS_TOKEN", "")

    def take_otp(self) -> tuple[str, str]:
        """A TEST_OTP phone not used yet, and its code."""
        phone, code = self.otp.popitem()
        self.client.codes.add(code)
        return phone, code

    def served_by(self, rids: list[str]) -> list[str]:
        """Which instance served each request id, from nginx's access log."""
        time.sleep(0.3)  # nginx writes the line after the response
        log = (self.stack.logs / "nginx-lingo.access.log").read_text()
        found = dict(re.findall(r"rid=(\S+) upstream=(\S+)", log))
        return [self.upstreams.get(found.get(rid, "").split(",")[-1].strip(), "?") for rid in rids]

    def check(self, number: int, title: str, body: Callable[[], str]) -> None:
        """Run one check and print its PASS/FAIL line."""
        started = time.monotonic()
        try:
            detail = body()
            print(f"PASS {number}. {title} — {detail} ({time.monotonic() - started:.1f}s)", flush=True)
        except AssertionError as exc:
            self.failed.append(title)
            print(f"FAIL {number}. {title} — {exc}", flush=True)
        except Exception as exc:  # noqa: BLE001 - a crashed check is a failed check
            self.failed.append(title)
            print(f"FAIL {number}. {title} — {type(exc).__name__}: {exc}", flush=True)


def is_error(payload: Any, key: str) -> bool:
    """Whether ``payload`` is the modern error envelope for ``key``."""
    return isinstance(payload, dict) and payload.get("error") == key and payload.get("data") is None


# -- the checks -----------------------------------------------------------------
def check_send_cooldown(run: Run) -> str:
    """1. A second send_code for one phone within 60 s is refused on any instance.

    Each phone's first send is followed by five more: nginx runs two worker
    processes, each with its own round-robin turn, so two requests in a row
    can land on one instance; among five repeats some land on the other one.
    """
    c = run.client
    sends = []
    for n in range(4):
        phone, ip = new_phone(), f"127.0.1.{n + 1}"
        first = c.call("POST", "/api/auth/send_code", {"phone": phone}, ip=ip)
        assert first[0] == 200 and first[1]["data"]["code"] == "", f"first send: {first[:2]}"
        repeats = [c.call("POST", "/api/auth/send_code", {"phone": phone}, ip=ip) for _ in range(5)]
        for again in repeats:
            assert again[0] == 429 and is_error(again[1], "send_too_frequent"), f"send again: {again[:2]}"
        sends.append([first[2], *(again[2] for again in repeats)])
    served = [run.served_by(rids) for rids in sends]
    crossed = sum(1 for first, *later in served if any(other != first for other in later))
    assert crossed >= 1, f"no refused send landed on the other instance: {served}"
    return f"4 phones: every later send refused ({crossed} phones refused by the instance that did not send)"


def check_parallel_code(run: Run) -> str:
    """2. Ten parallel uses of one code give exactly one success."""
    c = run.client
    phone, code = run.take_otp()
    sent = c.call("POST", "/api/auth/send_code", {"phone": phone})
    assert sent[0] == 200, f"send_code: {sent[:2]}"
    barrier = threading.Barrier(10)

    def use(_: int) -> tuple[int, Any, str]:
        barrier.wait()
        return c.call("POST", "/api/auth/phone_code_login", {"phone": phone, "code": code})

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(use, range(10)))
    statuses = sorted(r[0] for r in results)
    wins = [r for r in results if r[0] == 200]
    assert len(wins) == 1, f"statuses {statuses}"
    assert all(r[0] == 400 and is_error(r[1], "invalid_code") for r in results if r[0] != 200), statuses
    again = c.call("POST", "/api/auth/phone_code_login", {"phone": phone, "code": code})
    assert again[0] == 400, f"used code accepted again: {again[:2]}"
    instances = set(run.served_by([r[2] for r in results]))
    return f"1×200, 9×400 invalid_code over {sorted(instances)}; the code stays used"


def check_ip_limit(run: Run) -> str:
    """3. A per-IP limit (LOGIN_RATE_LIMIT 30/minute) counts across both instances."""
    c = run.client
    phone, password = new_phone(), "pw-" + secrets.token_urlsafe(12)
    c.secrets.add(password)
    rids, statuses = [], []
    for n in range(30):
        forged = {"X-Forwarded-For": f"10.9.{n}.{n}"}  # a forged header must not help
        status, payload, rid = c.call("POST", "/api/auth/phone_login", {"phone": phone, "password": password},
                                      ip="127.0.3.1", headers=forged)
        statuses.append(status)
        rids.append(rid)
        assert status == 404 and is_error(payload, "not_registered"), f"attempt {n + 1}: {status} {payload}"
    status, payload, rid = c.call("POST", "/api/auth/phone_login", {"phone": phone, "password": password},
                                  ip="127.0.3.1", headers={"X-Forwarded-For": "10.8.8.8"})
    assert status == 429 and is_error(payload, "rate_limited"), f"31st attempt: {status} {payload}"
    other = c.call("POST", "/api/auth/phone_login", {"phone": phone, "password": password}, ip="127.0.3.2")
    assert other[0] == 404, f"another client IP was limited too: {other[:2]}"
    counts = {name: run.served_by(rids).count(name) for name in ("a", "b")}
    assert counts["a"] and counts["b"], f"attempts were not spread over both instances: {counts}"
    return f"30 attempts (a: {counts['a']}, b: {counts['b']}, forged X-Forwarded-For) then 429 rate_limited"


def raw_http(port: int, data: bytes) -> tuple[int | None, dict[str, str], bytes]:
    """Send raw bytes to 127.0.0.1:``port`` and read until the server closes.

    Returns ``(status, headers with lower-case names, body)``; the status is
    ``None`` when the server closed without answering.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(data)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    if not answer:
        return None, {}, b""
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def http_request(target: str, *headers: str, method: str = "GET", host: str = "lingo.test") -> bytes:
    """A raw HTTP/1.1 request (``Connection: close``) for :func:`raw_http`."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", *headers, "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def check_log_forging(run: Run) -> str:
    """8. A percent-encoded CR/LF in the path stays one escaped line in every log.

    The path carries a fake gunicorn access line and a fake lingo line after
    CR/LFs. Through nginx to both instances (a logs JSON, b text): each
    request is one line in nginx's access log, in its instance's gunicorn
    access log and in its lingo log, with the CR/LF as visible escapes, and
    no line starts with the forged text.
    """
    c, stack = run.client, run.stack
    marker = "forged-" + uuid.uuid4().hex[:12]
    fake_access = f'127.0.0.1 [05/Jan/2026:08:00:00 +0000] "GET /api/admin/users HTTP/1.0" 200 2 1ms rid={marker} "-"'
    fake_app = f"2026-01-05 08:00:00,000 INFO lingo.request [1] {marker} GET /api/admin/users 200 1.0ms ip=10.0.0.1 user=1"
    path = "/api/v4.0/login%0d%0a" + quote(fake_access) + "%0d%0a" + quote(fake_app)
    password = "Pw-" + secrets.token_urlsafe(12)
    c.secrets.add(password)
    rids = []
    for _ in range(6):
        status, payload, rid = c.call("GET", f"{path}?password={password}", ip="127.0.8.1")
        assert status == 200 and isinstance(payload, dict) and payload.get("code") == -1, f"{status} {payload}"
        rids.append(rid)
    served = run.served_by(rids)
    per_instance = {name: served.count(name) for name in ("a", "b")}
    assert per_instance["a"] and per_instance["b"], f"not served by both instances: {served}"
    time.sleep(0.3)
    logs = {"nginx-lingo.access.log": len(rids), "a.access.log": per_instance["a"], "b.access.log": per_instance["b"],
            "a.out": per_instance["a"], "b.out": per_instance["b"]}
    for name, expected in logs.items():
        lines = [line for line in (stack.logs / name).read_text(errors="replace").splitlines() if marker in line]
        assert len(lines) == expected, f"{name}: {len(lines)} lines with the forged text, expected {expected}"
        forged = [line for line in lines if line.startswith(("127.0.0.1 [05/Jan/2026", "2026-01-05 08:00:00"))]
        assert not forged, f"{name}: forged line {forged[0][:120]}"
        assert all(any(rid in line for rid in rids) for line in lines), f"{name}: {lines[0][:160]}"
        if name == "a.out":  # JSON: the path field itself carries the escapes
            paths = [json.loads(line)["path"] for line in lines]
            assert all(p.startswith("/api/v4.0/login\\r\\n127.0.0.1 [05/Jan") for p in paths), paths[0][:80]
        else:
            escape = "\\x0D\\x0A" if name.startswith("nginx") else "\\r\\n"
            assert all(escape in line for line in lines), f"{name}: {lines[0][:160]}"
    return (f"{len(rids)} requests (a: {per_instance['a']}, b: {per_instance['b']}): one line each in nginx, gunicorn "
            f"and lingo (JSON and text) logs, CR/LF escaped, no forged line")


def check_no_html(run: Run) -> str:
    """9. No HTML from nginx, gunicorn or lingo, and no redirect echoing the query.

    Doubled slashes get the dialect's 404 (no 308 with Host and query in
    Location); OPTIONS is a bodiless 204 with Allow; nginx's own 400, 405,
    414 and 431 (and, through test-only locations, 404, 429, 500, 503) and
    gunicorn's own 414 and 431 (through nginx) and 400 (direct) are JSON in
    the modern envelope; nginx answers 408 with no page at all.
    """
    c, stack = run.client, run.stack
    nginx, gunicorn_b = stack.ports["nginx"], stack.ports["b"]
    password = "Pw-" + secrets.token_urlsafe(12)
    c.secrets.add(password)

    def expect_json(what: str, answer: tuple[int | None, dict[str, str], bytes], status: int, key: str) -> None:
        got, headers, body = answer
        assert got == status, f"{what}: {got} {body[:120]!r}"
        assert headers.get("content-type", "").startswith("application/json"), f"{what}: {headers}"
        page = json.loads(body)
        assert page == {"code": status, "msg": page.get("msg"), "data": None, "error": key} and page["msg"], \
            f"{what}: {page}"
        assert password.encode() not in body and b"<html" not in body.lower(), f"{what}: {body[:120]!r}"

    checked = 0
    answer = raw_http(nginx, http_request(f"//api//v4.0//login?password={password}", host="evil.example"))
    assert answer[0] == 200 and "location" not in answer[1] and json.loads(answer[2])["code"] == -1, answer[:2]
    assert b"evil.example" not in answer[2] and password.encode() not in answer[2], answer[2][:120]
    for path in ("/api/auth/send_code", "/api/v4.0/login", "/image-to-sound/api/login", "/api/personal/info"):
        status, headers, body = raw_http(nginx, http_request(path, method="OPTIONS"))
        assert status == 204 and body == b"" and "content-type" not in headers and "OPTIONS" in headers.get("allow", ""), \
            f"OPTIONS {path}: {status} {headers}"
    expect_json("OPTIONS on an unknown path", raw_http(nginx, http_request("/api/auth/nope", method="OPTIONS")),
                404, "no_such_path")
    checked += 6
    nginx_pages = [
        ("nginx: bad request line", f"GET /x?password={password} HTTP/1.1 junk\r\nHost: x\r\n\r\n".encode(),
         400, "invalid_input"),
        ("nginx: TRACE", http_request("/api/auth/send_code", method="TRACE"), 405, "method_not_allowed"),
        ("nginx: 9000-byte request line", http_request("/" + "a" * 9000 + f"?password={password}"), 414, "invalid_input"),
        ("nginx: 9000-byte header", http_request("/api/auth/send_code", "X-Big: " + "b" * 9000), 431,
         "invalid_input"),
        ("gunicorn via nginx: 5000-byte request line", http_request("/" + "a" * 5000 + f"?password={password}"), 414,
         "invalid_input"),
        ("gunicorn via nginx: 150 headers", http_request("/api/auth/send_code", *(f"X-H{n}: v" for n in range(150))),
         431, "invalid_input"),
    ]
    keys = {404: "no_such_path", 429: "rate_limited", 500: "internal", 503: "service_unavailable"}
    nginx_pages += [(f"nginx: return {code}", http_request(f"{TEST_STATUS_PREFIX}{code}"), code, key)
                    for code, key in keys.items()]
    for what, data, status, key in nginx_pages:
        expect_json(what, raw_http(nginx, data), status, key)
    timeout_answer = raw_http(nginx, http_request(f"{TEST_STATUS_PREFIX}408"))
    assert timeout_answer == (None, {}, b""), f"nginx: return 408: {timeout_answer}"
    checked += len(nginx_pages) + 1
    gunicorn_pages = [
        ("gunicorn: bad header name", http_request("/api/auth/send_code", "Bad Header: v")),
        ("gunicorn: bad version", f"GET /x?password={password} HTTP/1.1 junk\r\nHost: x\r\n\r\n".encode()),
        ("gunicorn: no version", f"GET /x?password={password}\r\nHost: x\r\n\r\n".encode()),
    ]
    for what, data in gunicorn_pages:
        expect_json(what, raw_http(gunicorn_b, data), 400, "invalid_input")
    checked += len(gunicorn_pages)
    return (f"{checked} answers: slashes → the v4 404, OPTIONS → 204, nginx 400/404/405/414/429/431/500/503 and "
            f"gunicorn 400/414/431 → JSON envelope, nginx 408 → no page")


def check_mariadb_outage(run: Run) -> str:
    """5. MariaDB down: clean 503s; back: success, same workers."""
    c, stack = run.client, run.stack
    workers = {name: stack.workers(name) for name in ("a", "b")}
    stack.stop("mariadb")
    outage = []
    for n in range(8):
        outage.append(c.call("POST", "/api/auth/send_code", {"phone": new_phone()}, ip="127.0.5.1"))
        outage.append(c.call("POST", "/api/auth/phone_login",
                             {"phone": new_phone(), "password": "irrelevant-" + str(n)}, ip="127.0.5.2"))
    c.secrets.update(f"irrelevant-{n}" for n in range(8))
    bad = [r[:2] for r in outage if not (r[0] == 503 and is_error(r[1], "service_unavailable"))]
    assert not bad, f"during the outage: {bad[:3]}"
    ready = c.call("GET", "/readyz")
    assert ready[0] == 503 and ready[1]["checks"]["database"] == "unavailable", f"readyz: {ready[:2]}"
    assert c.call("GET", "/healthz")[0] == 200, "healthz failed during the outage"
    stack.start_mariadb()
    after = []
    for n in range(8):
        phone, code = run.take_otp()
        after.append(c.call("POST", "/api/auth/send_code", {"phone": phone}, ip="127.0.5.3"))
        after.append(c.call("POST", "/api/auth/phone_code_login", {"phone": phone, "code": code}))
    bad = [r[:2] for r in after if r[0] != 200]
    assert not bad, f"after MariaDB returned: {bad[:3]}"
    assert c.call("GET", "/readyz")[0] == 200, "readyz not ready after MariaDB returned"
    now = {name: stack.workers(name) for name in ("a", "b")}
    assert now == workers, f"workers changed: {workers} → {now}"
    return f"{len(outage)} requests → 503 service_unavailable; {len(after)} after → 200; workers unchanged"


def check_redis_outage(run: Run) -> str:
    """6. Redis down: requests still answered (in-memory fallback), error logged."""
    c, stack = run.client, run.stack
    stack.stop("redis")
    answered = []
    for n in range(6):
        answered.append(c.call("POST", "/api/auth/phone_login",
                               {"phone": new_phone(), "password": "nobody-" + str(n)}, ip="127.0.6.1"))
        phone, code = run.take_otp()
        answered.append(c.call("POST", "/api/auth/send_code", {"phone": phone}, ip="127.0.6.2"))
        answered.append(c.call("POST", "/api/auth/phone_code_login", {"phone": phone, "code": code}))
    c.secrets.update(f"nobody-{n}" for n in range(6))
    bad = [r[:2] for r in answered if r[0] not in (200, 404)]
    assert not bad, f"while Redis was down: {bad[:3]}"
    ready = c.call("GET", "/readyz")
    assert ready[0] == 503 and ready[1]["checks"]["redis"] == "unavailable", f"readyz: {ready[:2]}"
    time.sleep(0.3)
    logged = "".join((stack.logs / f"{n}.out").read_text() for n in ("a", "b"))
    assert re.search(r"ERROR.*Rate limit storage unreachable|\"level\": \"ERROR\".*unreachable", logged), \
        "no error logged for the unreachable Redis"
    stack.start_redis()
    time.sleep(0.5)
    ready = c.call("GET", "/readyz")
    assert ready[0] == 200, f"readyz after Redis returned: {ready[:2]}"
    return f"{len(answered)} requests answered (200/404), error logged, readyz 503 → 200"


#: Routes whose every request in checks 1–6 went through :meth:`Client.call`: check 11
#: compares lingo's request counters for them with what the client got back.
METRIC_ROUTES = ("/api/auth/send_code", "/api/auth/phone_code_login", "/api/auth/phone_login", "/readyz", "/healthz")


def scrape(run: Run, instance: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """``/metrics`` through nginx with the token until ``instance`` answers: ``(name, labels) → value``."""
    c = run.client
    for _ in range(12):
        status, text, rid = c.call("GET", "/metrics", headers={"Authorization": f"Bearer {run.metrics_token}"})
        assert status == 200 and isinstance(text, str), f"/metrics: {status} {str(text)[:120]}"
        if run.served_by([rid]) == [instance]:
            return {(sample.name, frozenset(sample.labels.items())): sample.value
                    for family in text_string_to_metric_families(text) for sample in family.samples}
    raise AssertionError(f"12 scrapes through nginx never reached instance {instance}")


def check_metrics(run: Run) -> str:
    """11. /metrics through nginx: each instance's view (its two workers added up) matches what it served.

    Without the token /metrics is 401 JSON. With it, each instance's counters of
    requests by route and status equal the answers the client got from that
    instance (nginx's log says which), and both workers of each instance wrote
    counts (multiprocess mode: two processes, one view). Summed over both
    instances, the sign-in, code, verification, limiter and database counters
    equal what the checks so far did.
    """
    c, stack = run.client, run.stack
    refused = c.call("GET", "/metrics")
    assert refused[0] == 401 and is_error(refused[1], "invalid_token"), f"/metrics without the token: {refused[:2]}"
    with c.lock:
        answers = [a for a in c.answers if a[1] in METRIC_ROUTES]
        sent_to = list(c.sent_to)
    by_instance = dict(zip((a[0] for a in answers), run.served_by([a[0] for a in answers])))
    views = {name: scrape(run, name) for name in ("a", "b")}

    def total(name: str, **labels: str) -> float:
        wanted = set(labels.items())
        return sum(v for view in views.values() for (n, ls), v in view.items() if n == name and wanted <= ls)

    compared = 0
    for name, view in views.items():
        served = Counter((path, status) for rid, path, status in answers if by_instance[rid] == name)
        assert served, f"instance {name} served none of the checked requests"
        for (path, status), count in served.items():
            got = sum(v for (n, ls), v in view.items()
                      if n == "lingo_http_requests_total" and {("endpoint", path), ("status", str(status))} <= ls)
            assert got == count, f"{name}: {path} {status}: /metrics says {got:g}, the client got {count}"
            compared += count
        if Path("/dev/shm").is_dir():  # where gunicorn.conf.py puts each instance's metrics directory
            workers = stack.workers(name)
            writing = [pid for pid in workers if list(Path("/dev/shm").glob(f"lingo-metrics-*/counter_{pid}.db"))]
            assert len(writing) == len(workers) == 2, f"{name}: counter files of {writing}, workers {sorted(workers)}"
    got = Counter((path, status) for _, path, status in answers)
    code_sign_ins = got[("/api/auth/phone_code_login", 200)]
    expected = {
        ("lingo_sign_ins_total", ("method", "code"), ("outcome", "succeeded")): code_sign_ins,
        ("lingo_sign_ins_total", ("method", "password"), ("outcome", "not_registered")):
            got[("/api/auth/phone_login", 404)],
        ("lingo_code_verifications_total", ("outcome", "verified")): code_sign_ins,
        ("lingo_code_sends_total", ("outcome", "sent")): got[("/api/auth/send_code", 200)],
        ("lingo_code_sends_total", ("outcome", "send_too_frequent")): got[("/api/auth/send_code", 429)],
        ("lingo_code_deliveries_total", ("sender", "console"), ("outcome", "delivered")):
            sum(1 for phone in sent_to if phone not in run.fixed_codes),
        ("lingo_rate_limited_total", ("limit", "password-login")): got[("/api/auth/phone_login", 429)],
        # each 503 of check 5, and its one /readyz
        ("lingo_backend_errors_total", ("backend", "database")):
            got[("/api/auth/send_code", 503)] + got[("/api/auth/phone_login", 503)] + 1,
    }
    for (metric, *labels), count in expected.items():
        value = total(metric, **dict(labels))
        assert value == count, f"{metric}{dict(labels)}: /metrics says {value:g}, the checks made {count}"
    failed_codes = total("lingo_code_verifications_total") - total("lingo_code_verifications_total", outcome="verified")
    assert failed_codes == got[("/api/auth/phone_code_login", 400)], \
        f"failed verifications: {failed_codes:g}, 400 invalid_code answers: {got[('/api/auth/phone_code_login', 400)]}"
    redis = total("lingo_backend_errors_total", backend="redis")
    assert redis >= 2, f"Redis errors: {redis:g} (the limiter's fallback and a failed readiness check expected)"
    return (f"401 without the token; {compared} requests on {len(METRIC_ROUTES)} routes match each instance's "
            f"view (2 workers each); {len(expected) + 2} domain counters add up "
            f"({code_sign_ins} code sign-ins, {int(redis)} Redis errors)")


def check_failover(run: Run) -> str:
    """4. Stopping instance a mid-run: nginx fails over, no 5xx after the switch, nothing lost.

    Four clients sign in new accounts while instance a gets SIGTERM (a graceful
    stop). A request caught in a's accept queue at that instant may answer 502
    (JSON); like a real client, the test retries it once. Every request that
    finished before the stop or started after a exited must succeed, the latter
    all on b, and all 40 accounts and sessions must be there afterwards.
    """
    c, stack = run.client, run.stack
    accounts: list[tuple[str, dict[str, Any]]] = []
    timed: list[tuple[float, float, tuple[int, Any, str]]] = []  # (start, end, answer)
    lock = threading.Lock()
    progress = {"done": 0}
    stop_now, a_gone = threading.Event(), threading.Event()
    window: list[float] = []

    def call(path: str, body: dict[str, str], ip: str) -> tuple[int, Any, str]:
        for _ in range(2):
            begun = time.monotonic()
            answer = c.call("POST", path, body, ip=ip)
            with lock:
                timed.append((begun, time.monotonic(), answer))
            if answer[0] != 502:
                break
        return answer

    def one(n: int) -> None:
        if n >= 24:
            a_gone.wait(60)  # at least 16 sign-ins run after a has exited
        phone, code = run.take_otp()
        ip = f"127.0.4.{n % 200 + 1}"
        call(f"/api/auth/send_code?code={code}", {"phone": phone}, ip)
        login = call(f"/api/auth/phone_code_login?password=x{code}", {"phone": phone, "code": code}, ip)
        with lock:
            if login[0] == 200:
                accounts.append((phone, login[1]["data"]))
            progress["done"] += 1
            if progress["done"] == 10:
                stop_now.set()

    def stop_a() -> None:
        stop_now.wait(60)
        window.append(time.monotonic())
        stack.stop("a")  # SIGTERM: graceful, in-flight requests finish
        window.append(time.monotonic())
        a_gone.set()

    stopper = threading.Thread(target=stop_a)
    stopper.start()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(40)))
    stopper.join()
    stop_started, gone = window
    before = [a for s, e, a in timed if e < stop_started]
    during = [a for s, e, a in timed if e >= stop_started and s < gone]
    after = [a for s, e, a in timed if s >= gone]
    bad = [a[:2] for a in before + after if a[0] != 200]
    assert not bad, f"{len(bad)} failed outside the switch: {bad[:3]}"
    odd = [a[:2] for a in during if a[0] != 200 and not (a[0] == 502 and is_error(a[1], "service_unavailable"))]
    assert not odd, f"during the switch: {odd[:3]}"
    by = run.served_by([a[2] for a in before]), run.served_by([a[2] for a in after])
    assert "a" in by[0], f"a served nothing before the stop: {by[0]}"
    assert len(by[1]) >= 32 and set(by[1]) == {"b"}, f"after the stop: {by[1]}"
    assert len(accounts) == 40, f"only {len(accounts)} of 40 sign-ins succeeded"
    # Every account and session written (on a or b) is still there and usable.
    for phone, tokens in accounts:
        refreshed = c.call("POST", "/api/auth/refresh", {"refresh_token": tokens["refresh_token"]})
        assert refreshed[0] == 200, f"session of {phone} lost: {refreshed[:2]}"
    phones = ",".join(f"'{p}'" for p, _ in accounts)
    rows = stack.sql(f"SELECT COUNT(*) FROM users WHERE phone IN ({phones})", "lingo")
    assert rows[0][0] == 40, f"{rows[0][0]} of 40 accounts in MariaDB"
    retried = sum(1 for a in during if a[0] == 502)
    return (f"{len(timed)} requests: {len(before)} before the stop ({by[0].count('a')} on a), "
            f"{len(during)} during it ({retried} JSON 502 retried), {len(after)} after it, all on b; "
            f"40 accounts and sessions intact")


def check_logs(run: Run) -> str:
    """7. No password, code or token the test sent or received appears in any log."""
    c, stack = run.client, run.stack
    time.sleep(0.5)
    files = [p for p in sorted(stack.logs.iterdir()) if p.is_file()]
    leaks = []
    for path in files:
        text = path.read_text(errors="replace")
        leaks += [f"{path.name}: {secret[:4]}…" for secret in c.secrets if secret in text]
        leaks += [f"{path.name}: code {code}" for code in c.codes if re.search(rf"(?<!\d){code}(?!\d)", text)]
    assert len(c.secrets) > 20 and len(c.codes) > 20, "the test collected too few secrets to be meaningful"
    assert not leaks, f"{len(leaks)} leaks: {leaks[:5]}"
    return (f"{len(c.secrets)} passwords/tokens and {len(c.codes)} codes absent from {len(files)} logs "
            f"({', '.join(p.name for p in files)})")


def register(run: Run) -> tuple[str, float]:
    """Register a TEST_OTP phone by code (its password is set later, by :func:`password_round`)."""
    c = run.client
    phone, code = run.take_otp()
    assert c.call("POST", "/api/auth/send_code", {"phone": phone}, ip="127.0.0.9")[0] == 200
    login = c.call("POST", "/api/auth/phone_code_login", {"phone": phone, "code": code})
    assert login[0] == 200 and login[1]["data"]["is_new_user"], f"phone_code_login: {login[:2]}"
    return phone, time.monotonic()


def password_round(run: Run, phone: str, registered_at: float) -> None:
    """Set a password by code (after the 60 s send cooldown), sign in with it, log out.

    Material for check 7: the password also travels in query strings.
    """
    c = run.client
    time.sleep(max(0.0, registered_at + 61 - time.monotonic()))
    code = run.fixed_codes[phone]
    password = "Pw-" + secrets.token_urlsafe(16)
    c.secrets.add(password)
    sent = c.call("POST", "/api/auth/send_code", {"phone": phone}, ip="127.0.0.9")
    assert sent[0] == 200, f"send_code: {sent[:2]}"
    done = c.call("POST", f"/api/auth/set_password_by_code?new_password={password}",
                  {"phone": phone, "code": code, "new_password": password})
    assert done[0] == 200, f"set_password_by_code: {done[:2]}"
    login = c.call("POST", f"/api/auth/phone_login?password={password}", {"phone": phone, "password": password},
                   ip="127.0.0.9")
    assert login[0] == 200, f"phone_login: {login[:2]}"
    token = login[1]["data"]["access_token"]
    out = c.call("POST", "/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert out[0] == 200, f"logout: {out[:2]}"


def check_risky_settings_refused(run: Run) -> str:
    """10. gunicorn with production settings that leak or weaken: the app refuses to start.

    ``CONSOLE_SHOWS_CODE`` (codes in the log), a 36-character key of one
    letter, the console SMS sender without ``ALLOW_CONSOLE_SMS``: each stops
    gunicorn's workers at start with a message naming the setting, and the
    TEST_OTP accounts of the running instances were logged masked at start.
    """
    stack = run.stack
    cases = {
        "CONSOLE_SHOWS_CODE": {"LINGO_CONSOLE_SHOWS_CODE": "true"},
        "variety": {"LINGO_SECRET_KEY": "k" * 36},
        "ALLOW_CONSOLE_SMS": {"LINGO_ALLOW_CONSOLE_SMS": "false"},
    }
    for named, extra in cases.items():
        env = {**os.environ, **stack.app_env, **extra}
        env.update({"GUNICORN_BIND": f"127.0.0.1:{free_port()}", "GUNICORN_WORKERS": "1",
                    "GUNICORN_ACCESS_LOG": "", "GUNICORN_ERROR_LOG": "-"})
        try:
            done = subprocess.run([str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"gunicorn kept running with {extra}") from exc
        assert done.returncode != 0, f"gunicorn started with {extra}"
        assert named in done.stderr, f"{extra}: no message naming {named}: {done.stderr[-300:]}"
    masked = [line for line in (stack.logs / "a.out").read_text(errors="replace").splitlines()
              if "TEST_OTP: account" in line]
    assert masked, "no TEST_OTP warning at start"
    return f"{len(cases)} risky settings refused at start ({', '.join(cases)}); TEST_OTP accounts logged masked"


#: Hosts Chromium calls by itself, whatever the page (component updates, its clock, sign-in,
#: safe browsing, field trials): the recording proxy of check 12 refuses them too, and they
#: do not count as the page's. Any ``*.google.com`` and ``*.gvt1.com`` host is Chromium's
#: (pages load fonts and libraries from ``*.googleapis.com`` and ``*.gstatic.com``, never these).
BROWSER_SERVICE_HOSTS = {
    "update.googleapis.com", "safebrowsing.googleapis.com", "optimizationguide-pa.googleapis.com",
    "content-autofill.googleapis.com", "clientservices.googleapis.com", "www.googleapis.com",
    "passwordsleakcheck-pa.googleapis.com", "chromesyncpasswords-pa.googleapis.com",
}
BROWSER_SERVICE_DOMAINS = (".google.com", ".gvt1.com")
#: Paths of each dialect the docs page must list (modern, platform, v4, image-to-sound, and the admin API).
DOCUMENTED_PATHS = ["/api/auth/phone_login", "/api/personal/info", "/api/v4.0/login", "/image-to-sound/api/login",
                    "/api/admin/users"]


class RecordingProxy:
    """An HTTP proxy on loopback that answers every request 403 and remembers its target.

    Chromium gets it as its proxy: loopback goes direct (to nginx), anything
    else would have to pass here, and nothing passes.
    """

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    line = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
                    self.seen.append(line)
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass

    def hosts(self) -> set[str]:
        """The hosts of every request seen (``CONNECT host:443`` or ``GET http://host/...``)."""
        found = set()
        for line in self.seen:
            target = line.split(" ")[1] if " " in line else line
            found.add(re.sub(r"^[a-z]+://", "", target).split("/")[0].rsplit(":", 1)[0])
        return found

    def close(self) -> None:
        self.sock.close()


def check_api_docs(run: Run, chromium: str) -> str:
    """12. The API docs page renders in headless Chromium with every asset from lingo, nothing from outside.

    ``GET /api/openapi.json`` through nginx is the OpenAPI 3.1 document
    (``API_DOCS`` is on for this stack; production's default is off). Chromium
    loads ``/api/docs`` through nginx with a recording proxy for anything not
    on loopback and every other host name unresolvable: the rendered page
    lists the paths of the four dialects and the admin API, the screenshot is
    saved in the logs directory, nginx served the page, its assets and the
    document, and the proxy saw no request from the page (only Chromium's own
    service calls, refused like everything else).
    """
    c, stack = run.client, run.stack
    status, spec, _ = c.call("GET", "/api/openapi.json")
    assert status == 200 and isinstance(spec, dict) and spec.get("openapi") == "3.1.0", f"{status} {str(spec)[:120]}"
    assert all(path in spec["paths"] for path in DOCUMENTED_PATHS), sorted(spec["paths"])[:10]
    screenshot = stack.logs / "api-docs.png"
    proxy = RecordingProxy()
    url = f"http://127.0.0.1:{stack.ports['nginx']}/api/docs"
    try:
        shown = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             f"--user-data-dir={stack.tmp / 'chromium'}", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-extensions",
             f"--proxy-server=http://127.0.0.1:{proxy.port}",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--window-size=1280,2400", "--virtual-time-budget=20000",
             f"--screenshot={screenshot}", "--dump-dom", url],
            capture_output=True, text=True, timeout=120,
        )
    finally:
        proxy.close()
    dom = shown.stdout
    assert shown.returncode == 0, f"chromium exited {shown.returncode}: {shown.stderr[-300:]}"
    missing = [path for path in DOCUMENTED_PATHS if f'data-path="{path}"' not in dom]
    assert not missing, f"the rendered page does not list {missing} ({len(dom)} bytes of DOM)"
    operations = dom.count('class="opblock-summary-path"')
    assert operations >= len(spec["paths"]), f"{operations} operations rendered for {len(spec['paths'])} paths"
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000, f"screenshot: {len(png)} bytes"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    time.sleep(0.3)
    log = (stack.logs / "nginx-lingo.access.log").read_text()
    served = {path for path in ("/api/docs ", "/api/docs/static/swagger-ui.css ", "/api/docs/static/swagger-ui-bundle.js ",
                                "/api/docs/init.js ", "/api/openapi.json ") if f"GET {path}" in log}
    assert len(served) == 5, f"nginx served only {sorted(served)}"
    outside = {host for host in proxy.hosts() - BROWSER_SERVICE_HOSTS if not host.endswith(BROWSER_SERVICE_DOMAINS)}
    assert not outside, f"the page tried to reach {sorted(outside)}"
    return (f"{operations} operations rendered, the paths of every dialect listed; screenshot {width}x{height} "
            f"({screenshot.name}); page, assets and document from nginx; nothing sent outside "
            f"({len(proxy.seen)} of Chromium's own service calls refused)")


def main() -> int:
    """Run the deployment test; the exit status is the number of failed checks (capped)."""
    started = time.monotonic()
    nginx = ensure_nginx()
    chromium = ensure_chromium()
    tmp = Path(tempfile.mkdtemp(prefix="lingo-deploy-test-"))
    stack = Stack(tmp)
    failed: list[str] = []
    try:
        otp = {new_phone(): new_code() for _ in range(80)}
        stack.start_mariadb()
        stack.start_redis()
        stack.sql("CREATE DATABASE lingo CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        stack.app_env = {
            "LINGO_ENV": "production",
            "LINGO_SECRET_KEY": secrets.token_urlsafe(48),
            "LINGO_DATABASE_URL": f"mysql+pymysql://root@127.0.0.1:{stack.ports['mariadb']}/lingo?charset=utf8mb4",
            "LINGO_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{stack.ports['redis']}/0",
            "LINGO_PROXY_HOPS": "1",
            "LINGO_SMS_BACKEND": "console",
            # Every code here is a TEST_OTP code or seeded: no SMS goes out on purpose.
            "LINGO_ALLOW_CONSOLE_SMS": "true",
            "LINGO_TEST_OTP": ",".join(f"{p}={c}" for p, c in otp.items()),
            "LINGO_METRICS_TOKEN": secrets.token_urlsafe(32),
            "LINGO_API_DOCS": "true",  # off by default in production; check 12 reads the docs page
        }
        env = dict(os.environ, **stack.app_env)
        upgrade = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
                                               cwd=ROOT, env=env, capture_output=True, text=True)
        if upgrade.returncode != 0:
            raise RuntimeError(f"flask db upgrade failed:\n{upgrade.stderr}")
        stack.start_gunicorn("a", "json")
        stack.start_gunicorn("b", "text")
        upstreams = [f"127.0.0.1:{stack.ports['a']}", f"127.0.0.1:{stack.ports['b']}"]
        stack.start_nginx(nginx, upstreams)
        print(f"stack up in {time.monotonic() - started:.1f}s: nginx :{stack.ports['nginx']} → gunicorn "
              f"a :{stack.ports['a']}, b :{stack.ports['b']} (2 workers each); MariaDB "
              f":{stack.ports['mariadb']}, Redis :{stack.ports['redis']}; logs in {stack.logs}", flush=True)

        run = Run(stack, Client(stack.ports["nginx"]), otp, dict(zip(upstreams, ["a", "b"])))
        run.client.secrets.add(run.metrics_token)
        phone, registered_at = register(run)
        run.check(1, "second send_code within 60 s refused on any instance", lambda: check_send_cooldown(run))
        run.check(2, "ten parallel uses of one code: exactly one success", lambda: check_parallel_code(run))
        run.check(3, "per-IP limit counted across both instances", lambda: check_ip_limit(run))
        run.check(8, "CR/LF in a path: one escaped line in every log", lambda: check_log_forging(run))
        run.check(9, "no HTML answers from nginx, gunicorn or lingo", lambda: check_no_html(run))
        run.check(10, "risky production settings refused at start", lambda: check_risky_settings_refused(run))
        run.check(5, "MariaDB stop/restart: clean 503s, then success, no worker restart",
                  lambda: check_mariadb_outage(run))
        run.check(6, "Redis stopped: requests still answered", lambda: check_redis_outage(run))
        run.check(11, "/metrics through nginx adds up to the requests made", lambda: check_metrics(run))
        run.check(12, "API docs page rendered offline in headless Chromium", lambda: check_api_docs(run, chromium))
        run.check(4, "instance a stopped mid-run: failover, no 5xx after the switch, no data lost", lambda: check_failover(run))
        password_round(run, phone, registered_at)
        run.check(7, "no password, code or token in any log", lambda: check_logs(run))
        failed = run.failed
    except Exception as exc:  # noqa: BLE001 - report, clean up, fail
        failed = ["set-up"]
        print(f"FAIL set-up — {type(exc).__name__}: {exc}", flush=True)
    finally:
        stack.close()
        if os.environ.get("DEPLOY_TEST_KEEP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    verdict = "FAILED: " + ", ".join(failed) if failed else "all checks passed"
    print(f"deployment test {verdict} in {time.monotonic() - started:.1f}s", flush=True)
    return min(len(failed), 100)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
