"""HTTP edges: log forging, HTML answers, OPTIONS (issue 14, items 6, 7 and 11(c)).

6. A percent-encoded CR/LF (or any control character) in the path must not
   forge a log line: lingo's text and JSON request logs and gunicorn's access
   and error logs write it as a visible escape, on one line.
7. No answer is an HTML page: a doubled slash gets the dialect's 404 (not
   Werkzeug's 308 whose ``Location`` echoes the Host header and the query),
   a redirect a future rule could produce is a 404 too, and the pages
   gunicorn writes itself (400, 414, 431) are JSON in the modern envelope.
11(c). ``OPTIONS`` answers 204 with ``Allow`` and no body type, or the
   dialect's JSON 404 on an unknown path; never ``text/html``.

The gunicorn tests start the real server (``gunicorn -c gunicorn.conf.py``)
on a free port with an SQLite app; nginx is covered by ``make deploy-test``.
"""
from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient

from deploy.ports import free_port
from lingo.ops.request_log import make_formatter

ROOT = Path(__file__).resolve().parent.parent
#: What an attacker wants a log reader to believe was a second request.
FORGED = "2026-01-05 08:00:00,000 INFO lingo.request [1] forged-rid GET /api/admin/users 200 1.0ms ip=10.0.0.1 user=1"
#: The attack: the forged line after a percent-encoded CR/LF, in a v4 path.
ATTACK_PATH = "/api/v4.0/login%0d%0a" + quote(FORGED)
#: What the request log must show instead: the CR/LF as the four characters ``\r\n``.
ESCAPED_PATH = "/api/v4.0/login\\r\\n" + FORGED
PASSWORD = "Pw-in-the-query-1"
NOT_FOUND_MSG = "访问的路径不存在"


def capture_request_log(fmt: str) -> tuple[io.StringIO, logging.Handler]:
    """A handler with lingo's ``fmt`` formatter on ``lingo.request``, writing to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(make_formatter(fmt))
    logging.getLogger("lingo.request").addHandler(handler)
    return stream, handler


def logged(client: FlaskClient, fmt: str, *args: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    """Send one request; its response and the lines lingo's ``fmt`` log got for it.

    ``str.splitlines`` also breaks at VT, FF, FS..RS, NEL and U+2028/2029, so
    any of those reaching the log raw shows up as an extra line.
    """
    stream, handler = capture_request_log(fmt)
    try:
        response = client.get(*args, **kwargs)
    finally:
        logging.getLogger("lingo.request").removeHandler(handler)
    return response, stream.getvalue().splitlines()


# -- 6. log forging: lingo's request log ----------------------------------------
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_crlf_in_the_path_is_one_log_line_with_visible_escapes(client: FlaskClient, fmt: str) -> None:
    response, lines = logged(client, fmt, f"{ATTACK_PATH}?password={PASSWORD}")
    assert response.get_json()["code"] == -1  # the v4 dialect's unknown path
    assert len(lines) == 1, lines
    assert PASSWORD not in lines[0]
    if fmt == "text":
        assert f" GET {ESCAPED_PATH} 200 " in lines[0]
    else:
        record = json.loads(lines[0])
        assert record["path"] == ESCAPED_PATH
        assert ESCAPED_PATH in record["message"] and "\n" not in record["message"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_every_control_character_and_backslash_is_escaped(client: FlaskClient, fmt: str) -> None:
    # ESC (terminal sequences), NUL, TAB, NEL, U+2028, a bidi override, and a
    # client's own backslash-r (doubled, so it cannot pass for an escaped CR).
    path = "/api/auth/x%1b[2J%00%09%c2%85%e2%80%a8%e2%80%aeabc%5cr"
    response, lines = logged(client, fmt, path)
    assert response.status_code == 404
    assert len(lines) == 1, lines
    expected = "/api/auth/x\\x1b[2J\\x00\\t\\x85\\u2028\\u202eabc\\\\r"
    field = lines[0] if fmt == "text" else json.loads(lines[0])["path"]
    assert expected in field
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u202e]", lines[0])


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_any_loggers_message_is_escaped_but_tracebacks_keep_their_lines(fmt: str) -> None:
    formatter = make_formatter(fmt)
    record = logging.LogRecord("lingo.errors", logging.ERROR, __file__, 1, "unhandled error on %s %s",
                               ("GET", "/x\r\n" + FORGED), None)
    out = formatter.format(record)
    assert len(out.splitlines()) == 1
    assert "/x\\r\\n" + FORGED in (out if fmt == "text" else json.loads(out)["message"])
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    out = formatter.format(record)
    first = out.splitlines()[0]
    assert "/x\\r\\n" + FORGED in (first if fmt == "text" else json.loads(out)["message"])
    if fmt == "text":
        assert "Traceback (most recent call last):" in out.splitlines()[1]


# -- 7. HTML answers: slashes and redirects --------------------------------------
DOUBLED_SLASHES = [
    # (path, status, what the dialect's 404 looks like)
    ("//api//v4.0//login", 200, {"code": -1, "msg": NOT_FOUND_MSG}),
    ("/api/v4.0//login", 200, {"code": -1, "msg": NOT_FOUND_MSG}),
    ("/api//auth/send_code", 404, {"code": 404, "error": "no_such_path"}),
    ("//api/auth//phone_login", 404, {"code": 404, "error": "no_such_path"}),
    ("/api//personal/info", 404, {"code": 10002}),
    ("//image-to-sound//api/login", 404, {"code": 404, "identifier": False}),
]


@pytest.mark.parametrize("path,status,envelope", DOUBLED_SLASHES)
def test_doubled_slashes_get_the_dialects_404_not_an_html_redirect(
    client: FlaskClient, path: str, status: int, envelope: dict[str, Any]
) -> None:
    for method in ("GET", "POST"):
        # PATH_INFO set directly: the test client would read "//api" as a host.
        response = client.open("/", method=method, query_string={"password": PASSWORD, "phone": "13700000001"},
                               headers={"Host": "evil.example"}, environ_overrides={"PATH_INFO": path})
        assert response.status_code == status, (method, response.status_code, response.data[:200])
        assert response.mimetype == "application/json"
        assert "Location" not in response.headers
        body = response.get_json()
        assert {k: body.get(k) for k in envelope} == envelope
        assert PASSWORD not in response.get_data(as_text=True) and "evil.example" not in response.get_data(as_text=True)


def test_a_rule_that_would_redirect_answers_the_dialects_404(app: Flask) -> None:
    # No rule redirects today; one added later (a trailing slash, defaults)
    # must not bring back Werkzeug's HTML 308 that echoes Host and query.
    def page(n: int) -> Any:
        return jsonify(n=n)

    app.add_url_rule("/api/auth/with-slash/", "with_slash", lambda: jsonify(ok=True))
    app.add_url_rule("/api/auth/page", "page", page, defaults={"n": 1})
    app.add_url_rule("/api/auth/page/<int:n>", "page", page)
    client = app.test_client()
    for path in ("/api/auth/with-slash", "/api/auth/page/1"):
        response = client.get(path, query_string={"password": PASSWORD}, headers={"Host": "evil.example"})
        assert response.status_code == 404, (path, response.status_code)
        assert response.get_json() == {"code": 404, "msg": NOT_FOUND_MSG, "data": None, "error": "no_such_path"}
        assert "Location" not in response.headers
    assert client.get("/api/auth/with-slash/").get_json() == {"ok": True}


# -- 11(c). OPTIONS -----------------------------------------------------------------
def sample_paths(app: Flask) -> list[str]:
    """One concrete path per rule (every variable part ``1``), plus unknown paths of every dialect."""
    paths = {re.sub(r"<[^>]+>", "1", rule.rule) for rule in app.url_map.iter_rules()}
    unknown = ["/api/auth/nope", "/api/v4.0/nope", "/image-to-sound/api/nope", "/api/personal/nope",
               "/api/admin/nope", "/nope", "//api//v4.0//login"]
    return sorted(paths) + unknown


def test_options_is_never_html(app: Flask, client: FlaskClient) -> None:
    answered = {}
    for path in sample_paths(app):
        response = client.open("/", method="OPTIONS", environ_overrides={"PATH_INFO": path})
        answered[path] = response.status_code
        assert "text/html" not in response.headers.get("Content-Type", ""), path
        if response.status_code == 204:
            assert response.data == b"" and "Content-Type" not in response.headers, path
            assert "OPTIONS" in response.headers["Allow"], path
        else:
            assert response.mimetype == "application/json", (path, response.status_code)
            assert response.get_json()["code"] in (-1, 404, 10002), path
    for path in ("/api/auth/send_code", "/api/v4.0/login", "/image-to-sound/api/login", "/api/personal/info"):
        assert answered[path] == 204, path
    allow = client.open("/api/auth/send_code", method="OPTIONS").headers["Allow"]
    assert set(allow.split(", ")) == {"OPTIONS", "POST"}


# -- gunicorn: access and error logs, its own error pages -----------------------------
class Gunicorn:
    """A gunicorn started with ``gunicorn.conf.py`` (1 worker, text log) and its log files."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.access_log, self.error_log, self.app_log = tmp / "access.log", tmp / "error.log", tmp / "app.log"
        env = dict(os.environ, LINGO_ENV="testing", LINGO_DATABASE_URL=f"sqlite:///{tmp}/lingo.sqlite",
                   LINGO_LOG_FORMAT="text", GUNICORN_BIND=f"127.0.0.1:{self.port}", GUNICORN_WORKERS="1",
                   GUNICORN_ACCESS_LOG=str(self.access_log), GUNICORN_ERROR_LOG=str(self.error_log))
        with open(self.app_log, "wb") as out:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.app_log.read_text()}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        """Stop the server this object started."""
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def raw(self, data: bytes) -> tuple[int, dict[str, str], bytes]:
        """Send raw bytes; ``(status, headers with lower-case names, body)`` of the answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(data)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(status_line.split()[1]), headers, body

    def logs(self, until: str) -> dict[str, str]:
        """Every log file's text, once ``until`` is in one of them (gunicorn writes a request's
        access line after its answer: on a busy machine, a while after), or after 15 s."""
        deadline = time.monotonic() + 15
        while True:
            time.sleep(0.3)
            texts = {p.name: p.read_text(errors="replace") for p in (self.access_log, self.error_log, self.app_log)}
            if any(until in text for text in texts.values()) or time.monotonic() > deadline:
                return texts


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    """One gunicorn for this module's gunicorn tests."""
    pytest.importorskip("gunicorn")
    server = Gunicorn(tmp_path_factory.mktemp("gunicorn"))
    yield server
    server.stop()


def request(target: str, *headers: str, method: str = "GET") -> bytes:
    """A raw HTTP/1.1 request that asks the server to close the connection."""
    lines = [f"{method} {target} HTTP/1.1", "Host: lingo.test", *headers, "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def test_gunicorn_access_log_escapes_crlf_in_the_path(gunicorn: Gunicorn) -> None:
    forged_access = '127.0.0.1 [05/Jan/2026:08:00:00 +0000] "GET /api/admin/users HTTP/1.1" 200 2 1ms rid=forged "x"'
    target = "/api/v4.0/login%0d%0a" + quote(forged_access) + "%22%5c" + f"?password={PASSWORD}"
    status, _, body = gunicorn.raw(request(target, "X-Request-ID: gunicorn-crlf-1", 'User-Agent: ua"\tq'))
    assert status == 200 and json.loads(body)["code"] == -1
    logs = gunicorn.logs(until="rid=forged")
    access = [line for line in logs["access.log"].splitlines() if "gunicorn-crlf-1" in line or "forged" in line]
    assert len(access) == 1, access
    # The CR/LF as visible escapes; a quote and a backslash cannot end the quoted field.
    assert '"GET /api/v4.0/login\\r\\n127.0.0.1 [05/Jan/2026' in access[0]
    assert 'rid=forged \\"x\\"\\"\\\\ HTTP/1.1"' in access[0]
    assert access[0].endswith('"ua\\"\\tq"')
    app_lines = [line for line in logs["app.log"].splitlines() if "gunicorn-crlf-1" in line or "forged" in line]
    assert len(app_lines) == 1 and "GET /api/v4.0/login\\r\\n127.0.0.1" in app_lines[0]
    assert not any(PASSWORD in text for text in logs.values())


def test_gunicorn_utf8_paths_stay_readable_in_its_access_log(gunicorn: Gunicorn) -> None:
    status, _, _ = gunicorn.raw(request("/api/%E4%B8%AD%E6%96%87", "X-Request-ID: gunicorn-utf8-1"))
    assert status == 404
    line = next(line for line in gunicorn.logs(until="gunicorn-utf8-1")["access.log"].splitlines()
                if "gunicorn-utf8-1" in line)
    assert '"GET /api/中文 HTTP/1.1"' in line


GUNICORN_PAGES = [
    # (raw request, status, error key): refused by gunicorn before lingo sees it.
    (request("/" + "a" * 5000 + f"?password={PASSWORD}"), 414, "invalid_input"),
    (request("/api/auth/send_code", *(f"X-H{n}: v" for n in range(150))), 431, "invalid_input"),
    (request("/api/auth/send_code", "X-Big: " + "b" * 9000), 431, "invalid_input"),
    (request("/api/auth/send_code", "Bad Header: v"), 400, "invalid_input"),
    (f"GET /api/v4.0/login?password={PASSWORD} HTTP/1.1 junk\r\nHost: x\r\n\r\n".encode(), 400, "invalid_input"),
    (f"GET /api/v4.0/login?password={PASSWORD}\r\nHost: x\r\n\r\n".encode(), 400, "invalid_input"),
]


@pytest.mark.parametrize("raw,status,key", GUNICORN_PAGES, ids=[
    "request-line-too-long", "too-many-headers", "header-too-large", "bad-header-name", "bad-version", "no-version"])
def test_gunicorns_own_error_pages_are_json(gunicorn: Gunicorn, raw: bytes, status: int, key: str) -> None:
    got, headers, body = gunicorn.raw(raw)
    assert got == status, body[:200]
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert int(headers["content-length"]) == len(body)
    page = json.loads(body)
    assert page["code"] == status and page["data"] is None and page["error"] == key and page["msg"]
    assert b"<html" not in body and PASSWORD.encode() not in body


def test_gunicorn_error_log_has_no_query_strings_or_raw_controls(gunicorn: Gunicorn) -> None:
    gunicorn.raw(f"GET /api/v4.0/login?password={PASSWORD}%0d%0a\r\nHost: x\r\n\r\n".encode())
    gunicorn.raw(b"GET /x HTTP/1.1\r\nHost: x\r\nBad\x01Name: v\r\n\r\n")
    text = gunicorn.logs(until="Bad")["error.log"]
    assert "Invalid request from ip=127.0.0.1" in text
    assert PASSWORD not in text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)


def test_gunicorn_serves_the_json_answers_for_slashes_and_options(gunicorn: Gunicorn) -> None:
    status, headers, body = gunicorn.raw(request(f"//api//v4.0//login?password={PASSWORD}"))
    assert status == 200 and "location" not in headers and json.loads(body)["code"] == -1
    status, headers, body = gunicorn.raw(request("/api/auth/send_code", method="OPTIONS"))
    assert status == 204 and body == b"" and "content-type" not in headers
    assert set(headers["allow"].split(", ")) == {"OPTIONS", "POST"}
