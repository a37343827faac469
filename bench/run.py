"""``make bench``: how fast lingo serves, as ratios measured side by side in one run.

Creates its own MariaDB database ``lingo_bench_<random>`` (dropped at the
end), migrates and seeds it through the service layer, starts gunicorn with
production settings, and drives each case from a separate process (``wrk``,
else ``bench/loadgen.py``). For each case it prints requests/s, p50 and p99
latency, errors (non-2xx, an envelope without its success code, socket
errors) and the ratio to the ceiling (``GET /api/auth/ping``) measured right
around it, next to the target of issue 18 with PASS/MISS. A case with a peer
(``bench/reference.py``: a bare sign-in for ``phone_login``, a
Flask-Security-Too app for ``personal_info``, bare apps doing lingo's round
trips for ``v4_isregister``, ``send_code`` and ``feedback_page``) is also
measured side by side with it, the load alternating between the two
gunicorns; its share of the peer's requests/s has a target where the case
has a ``peer_target`` (the bare peers are for information).
``phone_login``'s ratio to ``workers ÷ single verify time`` stays in the
report for information.

Nothing shared is stopped or reconfigured: MariaDB and Redis keep running; only
the bench's own database and its own Redis keys (a unique prefix) are removed.
Exit status 0 when every case meets its targets, 1 otherwise.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as ``python bench/run.py``, this script sees only bench/: the repository
# root makes deploy/ports.py (the one free_port, shared with deploy/ and the tests) importable.
sys.path.insert(0, str(ROOT))
from deploy.ports import free_port  # noqa: E402

BIN = Path(sys.executable).parent
LUA = ROOT / "bench" / "case.lua"
LOADGEN = ROOT / "bench" / "loadgen.py"

PHONE = "13800138000"  # the seeded user (has a password, a live token, feedback)
UNREGISTERED = "13700000000"  # isregister?expect=0 answers code 200 for a free phone
PASSWORD = "bench-password-1"
FEEDBACK_ROWS = 25
#: A hash-bound case's load runs in this many slices, with verify timing between them.
HASH_SLICES = 5


@dataclass(frozen=True)
class Case:
    """One measured request.

    :ivar expect: the success envelope's ``code`` (200 modern/v4, 0 platform).
    :ivar target: minimum ratio (to the ceiling, or to the hash bound).
    :ivar body: JSON body; ``{phone}`` becomes a new phone per request.
    :ivar auth: send :attr:`header` with the seeded token :attr:`token_key`.
    :ivar hash_bound: the ratio is to ``workers ÷ argon2 verify time``.
    :ivar app: the WSGI app gunicorn serves; not ``wsgi:app`` for the reference
        cases of :data:`REFERENCES` (``bench/reference.py``, not lingo).
    :ivar peer: a reference case measured side by side with this one
        (:func:`run_pairs`); :attr:`peer_target` is the minimum share of its req/s.
    :ivar ready: the path gunicorn's readiness probe GETs (200 without a token).
    """

    name: str
    method: str
    path: str
    expect: str
    target: float | None
    body: str | None = None
    auth: bool = False
    hash_bound: bool = False
    app: str = "wsgi:app"
    peer: str | None = None
    peer_target: float | None = None
    header: str = "Authorization: Token {token}"
    token_key: str = "token"
    ready: str = "/api/auth/ping"


LOGIN_BODY = json.dumps({"phone": PHONE, "password": PASSWORD})
ISREGISTER = f"/api/v4.0/isregister/{UNREGISTERED}?expect=0"
SEND_CODE = "/api/auth/send_code"
SEND_CODE_BODY = '{"phone": "{phone}"}'
FEEDBACK_PAGE = "/api/feedback?page_no=1&page_size=20"
CASES = [
    Case("ceiling", "GET", "/api/auth/ping", "200", None),
    Case("personal_info", "GET", "/api/personal/info", "0", 0.50, auth=True,
         peer="ref_fst_read", peer_target=1.0),
    # The bare peers (no framework, the same round trips) are for information: no peer target.
    Case("v4_isregister", "GET", ISREGISTER, "200", 0.45, peer="ref_bare_isregister"),
    Case("send_code", "POST", SEND_CODE, "200", 0.30, body=SEND_CODE_BODY, peer="ref_bare_send_code"),
    Case("feedback_page", "GET", FEEDBACK_PAGE, "0", 0.35, auth=True, peer="ref_bare_feedback_page"),
    # The hash-bound ratio stays in the report for information; the target is the peer's.
    Case("phone_login", "POST", "/api/auth/phone_login", "200", None, body=LOGIN_BODY, hash_bound=True,
         peer="ref_bare_sign_in", peer_target=0.95),
]
#: ``bench/reference.py``'s apps (not lingo), each under its own gunicorn with the same
#: settings. A case's peer is measured side by side with it (:func:`run_pairs`);
#: ``ref_hash_only`` after the cases, for information.
REFERENCES = [
    Case("ref_hash_only", "POST", "/", "200", None, body=LOGIN_BODY, hash_bound=True,
         app="reference:hash_only"),
    Case("ref_bare_sign_in", "POST", "/", "200", None, body=LOGIN_BODY, hash_bound=True,
         app="reference:bare_sign_in"),
    # Flask-Security-Too's token-authenticated read of the same user (its own tables).
    Case("ref_fst_read", "GET", "/", "200", None, auth=True, app="reference:fst_read",
         header="Authentication-Token: {token}", token_key="fst_token", ready="/ready"),
    # lingo's round trips for a case with no framework, on the same request (same path and body).
    Case("ref_bare_isregister", "GET", ISREGISTER, "200", None, app="reference:bare_isregister", ready="/ready"),
    Case("ref_bare_send_code", "POST", SEND_CODE, "200", None, body=SEND_CODE_BODY,
         app="reference:bare_send_code", ready="/ready"),
    Case("ref_bare_feedback_page", "GET", FEEDBACK_PAGE, "0", None, auth=True,
         app="reference:bare_feedback_page", ready="/ready"),
]
#: A case and its peer alternate in this many slices each (the machine drifts).
PAIR_ROUNDS = 4


@dataclass
class Result:
    """The figures of one case (``missing`` when the route answered 404)."""

    case: Case
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    requests: int = 0
    ratio: float | None = None
    peer_ratio: float | None = None
    note: str = ""
    ran: bool = False

    @property
    def passed(self) -> bool:
        """Ran, no errors, and the ratios meet their targets (the ceiling: no errors)."""
        if not self.ran or self.errors:
            return False
        if self.case.target is not None and (self.ratio or 0.0) < self.case.target:
            return False
        return self.case.peer_target is None or (self.peer_ratio or 0.0) >= self.case.peer_target


# --------------------------------------------------------------------------- setup

def machine() -> str:
    """``nproc``, CPU model and RAM, for the report."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kib = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                           if line.startswith("MemTotal")).split()[1])
        ram = f"{mem_kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        ram = "unknown RAM"
    return f"{os.cpu_count()} CPUs ({model}), {ram}, Python {platform.python_version()}"


def load_tool(force_python: bool) -> str:
    """``wrk`` when available (trying ``apt-get install wrk`` once as root), else ``python``."""
    if force_python:
        return "python"
    if shutil.which("wrk"):
        return "wrk"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk not found: trying apt-get install -y wrk", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=180, check=False)
    return "wrk" if shutil.which("wrk") else "python"


class Database:
    """The bench's own MariaDB database; :meth:`drop` removes it and nothing else."""

    def __init__(self, server_url: str) -> None:
        import sqlalchemy as sa

        self.name = f"lingo_bench_{secrets.token_hex(6)}"
        self._engine = sa.create_engine(f"{server_url}/?charset=utf8mb4", poolclass=sa.pool.NullPool)
        with self._engine.connect() as conn:
            conn.exec_driver_sql(
                f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
        self.url = f"{server_url}/{self.name}?charset=utf8mb4"

    def drop(self) -> None:
        """Drop this database."""
        with self._engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{self.name}`")


def app_env(db_url: str, redis_url: str, key_prefix: str) -> dict[str, str]:
    """Production settings for the bench app, limits raised so the load is not refused."""
    return {
        "LINGO_ENV": "production",
        "LINGO_SECRET_KEY": secrets.token_urlsafe(48),
        "LINGO_DATABASE_URL": db_url,
        "LINGO_RATELIMIT_STORAGE_URI": redis_url,
        "LINGO_RATELIMIT_KEY_PREFIX": key_prefix,
        "LINGO_SMS_BACKEND": "console",
        "LINGO_ALLOW_CONSOLE_SMS": "true",  # the bench measures lingo, not an SMS provider
        # One client IP sends every code of the send_code case.
        "LINGO_CODE_SENDS_PER_IP_HOUR": "100000000",
        # flask-limiter string for v4 isregister (30/minute per IP in production).
        "LINGO_ISREGISTER_RATE_LIMIT": "100000000/minute",
        "LINGO_LOGIN_RATE_LIMIT": "100000000/minute",
    }


class NoSender:
    """Seeding needs a code, not a message."""

    def send_code(self, to: str, code: str, ttl: int, scene: str = "any") -> None:
        """Deliver nothing."""


def seed(env: dict[str, str]) -> dict[str, Any]:
    """Register the user (code + password), open a session, add feedback; time argon2.

    Goes through the service layer (and the ``Feedback`` model), in-process.

    :returns: ``token`` and the argon2 parameters and timings.
    """
    os.environ.update(env)
    from lingo import clock, create_app
    from lingo.extensions import db
    from lingo.models import Feedback, FeedbackCategory
    from lingo.services import accounts, codes, passwords, sessions
    from lingo.services.identity import modern_phone

    app = create_app()
    with app.app_context():
        now = clock.system_now() - timedelta(seconds=1)
        account = modern_phone(PHONE)
        code = codes.send(account, ip="127.0.0.2", now=now, sender=NoSender())
        signed_in = accounts.register_and_sign_in(account, code, PASSWORD, sessions.token_policy("modern"),
                                                  ip="127.0.0.2", now=now)
        user, token = signed_in.user, signed_in.tokens.access_token
        category = FeedbackCategory(name="bench", description="", created_at=now, updated_at=now)
        db.session.add(category)
        db.session.flush()
        for n in range(FEEDBACK_ROWS):
            stamp = now + timedelta(microseconds=n)
            db.session.add(Feedback(user_id=user.id, feedback_content=f"bench feedback {n}",
                                    feedback_category_id=category.id, contact_phone=PHONE,
                                    created_at=stamp, updated_at=stamp))
        db.session.commit()

        cfg = app.config
        hasher = passwords.hasher()
        db.engine.dispose()
    return {
        "token": token,
        "argon2": f"t={cfg['ARGON2_TIME_COST']}, m={cfg['ARGON2_MEMORY_COST']} KiB, p={cfg['ARGON2_PARALLELISM']}",
        "hasher": hasher,
        "stored": hasher.hash(PASSWORD),
    }


def _verify_for(seconds: float, hasher: Any, stored: str) -> int:
    """Verify :data:`PASSWORD` against ``stored`` for ``seconds``; how many times."""
    done, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        hasher.verify(stored, PASSWORD)
        done += 1
    return done


def time_argon2(seeded: dict[str, Any], workers: int, seconds: float = 1.0, parallel: bool = True) -> None:
    """Time argon2id hashes and verifies in-process (the configured parameters).

    Called before, between and after the load slices of every hash-bound case: the
    machine's speed drifts by ±10% within seconds and more between runs, so a
    handful of samples taken at one moment would make the hash-bound ceiling
    a lottery. Each call adds 7 hashes and ``seconds`` of verifies to the
    samples; ``verify_s`` is the median of every verify so far, ``hash_s`` of
    every hash. With ``parallel`` it also
    measures what ``workers`` processes verifying at once really get on this
    machine (shown for information: the target uses the single time).
    """
    hasher, stored = seeded["hasher"], seeded["stored"]
    hash_times = seeded.setdefault("hash_times", [])
    verify_times = seeded.setdefault("verify_times", [])
    for _ in range(7):
        started = time.perf_counter()
        hasher.hash(PASSWORD)
        hash_times.append(time.perf_counter() - started)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        hasher.verify(stored, PASSWORD)
        verify_times.append(time.perf_counter() - started)
    seeded["hash_s"] = statistics.median(hash_times)
    seeded["verify_s"] = statistics.median(verify_times)
    if parallel:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            counts = pool.starmap(_verify_for, [(2.0, hasher, stored)] * workers)
        seeded["parallel_rps"] = sum(counts) / 2.0


def start_gunicorn(env: dict[str, str], port: int, workers: int, log: Path,
                   app: str = "wsgi:app", ready: str = "/api/auth/ping") -> subprocess.Popen[bytes]:
    """Start gunicorn (sync workers) serving ``app`` on ``port``; wait until a GET of
    ``ready`` answers 200."""
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "--backlog", "2048", "--pythonpath", str(ROOT / "bench"), app],
        cwd=ROOT, env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            status, _ = fetch(port, Case("ready", "GET", ready, "200", None), {})
            if status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"gunicorn did not answer within 30 s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the gunicorn we started (its master, which stops its workers)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def clear_redis(redis_url: str, prefix: str) -> None:
    """Delete the bench's own limiter keys and nothing else.

    flask-limiter stores ``LIMITS:LIMITER/<prefix>/...``; the prefix is unique
    to this run (``lingo-bench-<random>``).
    """
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"LIMITS:LIMITER/{prefix}/*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


# --------------------------------------------------------------------------- load

def headers_for(case: Case, token: str) -> str:
    """The one extra request header of ``case`` (``-`` for none)."""
    return case.header.format(token=token) if case.auth else "-"


def fetch(port: int, case: Case, seeded: dict[str, Any], phone: str = "13600000000") -> tuple[int, bytes]:
    """One request of ``case`` (``phone``, outside the load's ranges, for a ``{phone}``), for probing."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {}
    if case.auth:
        name, _, value = headers_for(case, seeded[case.token_key]).partition(": ")
        headers[name] = value
    body = case.body.replace("{phone}", phone) if case.body else None
    if body:
        headers["Content-Type"] = "application/json"
    try:
        conn.request(case.method, case.path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def drive(tool: str, port: int, case: Case, token: str, seconds: float, connections: int,
          phone_base: int) -> dict[str, Any]:
    """Run the load generator for ``seconds`` in its own process; its ``BENCH`` figures."""
    url = f"http://127.0.0.1:{port}{case.path}"
    args = [case.method, case.expect, headers_for(case, token), case.body or "-", str(phone_base)]
    if tool == "wrk":
        cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
               "-s", str(LUA), url, "--", *args]
    else:
        cmd = [sys.executable, str(LOADGEN), url, *args, "--seconds", str(seconds),
               "--connections", str(connections)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    raise RuntimeError(f"{tool} gave no figures for {case.name}:\n{out.stdout}\n{out.stderr}")


def run_case(tool: str, port: int, case: Case, seeded: dict[str, Any], args: argparse.Namespace,
             index: int) -> Result:
    """Probe, warm up and measure one case.

    A hash-bound case alternates load and in-process verify timing in
    ``HASH_SLICES`` slices (verify, load, verify, … load, verify): the machine's
    speed drifts by ±10% over seconds, and the ratio compares the load with the
    verify time measured around it, as the other cases compare with the
    ceiling measured around them.
    """
    result = Result(case)
    status, text = fetch(port, case, seeded)
    if status == 404 and (b"no_such_path" in text or b"10002" in text):
        result.note = "route missing (404): pending"
        return result
    if not 200 <= status < 300 or f'"code":{case.expect}'.encode() not in text.replace(b" ", b""):
        result.note = f"probe answered {status}: {text[:120]!r}"
    base = 10_000_000 * (2 * index)
    drive(tool, port, case, seeded[case.token_key], args.warmup, args.connections, base)
    slices = HASH_SLICES if case.hash_bound else 1
    parts = []
    for n in range(slices):
        if case.hash_bound:
            time_argon2(seeded, args.workers, seconds=1.0, parallel=n == 0 and "parallel_rps" not in seeded)
        parts.append(drive(tool, port, case, seeded[case.token_key], args.seconds / slices, args.connections,
                           base + 10_000_000 + n * 1_000_000))
    if case.hash_bound:
        time_argon2(seeded, args.workers, seconds=1.0, parallel=False)
    return _figures(parts, result)


def measure(tool: str, port: int, cases: list[Case], seeded: dict[str, Any], args: argparse.Namespace,
            start: int = 0) -> list[Result]:
    """Run ``cases`` (the ceiling first) one after the other, each compared with the ceiling
    measured in a slice right before and right after it: the machine's other load drifts.

    ``start`` offsets each case's index, and with it the phones a ``{phone}`` body uses
    (:func:`run_case`), so that a second pass on the same database sends to new phones.
    A hash-bound case's ratio needs every verify sample: the caller sets it.
    """
    results = []
    previous_ceiling = 0.0
    slices: list[float] = []
    for index, case in enumerate(cases, start=start):
        print(f"  {case.name} ...", flush=True)
        result = run_case(tool, port, case, seeded, args, index)
        results.append(result)
        if case is CASES[0]:
            previous_ceiling = result.rps
            result.ratio = 1.0 if result.ran else None
            continue
        if not result.ran or case.hash_bound:
            continue
        figures = drive(tool, port, CASES[0], seeded["token"], args.slice, args.connections, 0)
        after = figures["requests"] / figures["duration_s"]
        slices.append(after)
        reference = (previous_ceiling + after) / 2
        result.ratio = result.rps / reference if reference else None
        result.note = (result.note + f" ceiling around it: {reference:.0f}/s").strip()
        previous_ceiling = after
    if slices and results and results[0].ran:
        every = [results[0].rps, *slices]
        results[0].note = f"ceiling slices after each case: {min(every):.0f}-{max(every):.0f}/s"
    return results


def reference_env(env: dict[str, str], seeded: dict[str, Any]) -> dict[str, str]:
    """The environment of a reference app's gunicorn: lingo's, the seeded phone, the FST secret."""
    return {**env, "BENCH_REFERENCE_PHONE": "+86" + PHONE, **seeded.get("reference_env", {})}


def prepare_references(seeded: dict[str, Any], db_url: str) -> None:
    """Create the Flask-Security-Too app's tables and user (``bench/reference.py``); keep its token."""
    os.environ["BENCH_REFERENCE_PHONE"] = "+86" + PHONE
    import reference  # bench/ is the script's directory; its import reads the seeded user

    fst = reference.prepare_fst(db_url, PHONE, PASSWORD)
    seeded["fst_token"] = fst["token"]
    seeded["reference_env"] = {key: value for key, value in fst.items() if key.isupper()}


def _figures(parts: list[dict[str, Any]], result: Result) -> Result:
    """Fill ``result`` from the load generator's figures of its slices."""
    result.ran = True
    result.requests = sum(p["requests"] for p in parts)
    result.rps = result.requests / sum(p["duration_s"] for p in parts)
    result.p50_ms = statistics.median(p["p50_ms"] for p in parts)
    result.p99_ms = max(p["p99_ms"] for p in parts)
    result.errors = sum(p["failed"] + p["socket_errors"] for p in parts)
    return result


def alternate(tool: str, one: tuple[int, Case, str], other: tuple[int, Case, str], args: argparse.Namespace,
              base: int, rounds: int = PAIR_ROUNDS) -> tuple[Result, Result]:
    """The same load (``args.seconds`` each) alternating between two servers, each given as
    ``(port, case, token)``, in ``rounds`` slices each, so both see the same machine; both
    sides' figures. ``{phone}`` bodies use ``base`` + 10M… (``one``) and + 15M… (``other``)."""
    parts: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
    for n in range(rounds):
        for side, (port, case, token) in enumerate((one, other)):
            parts[side].append(drive(tool, port, case, token, args.seconds / rounds, args.connections,
                                     base + 10_000_000 + side * 5_000_000 + n * 1_000_000))
    return _figures(parts[0], Result(one[1])), _figures(parts[1], Result(other[1]))


def run_pairs(tool: str, port: int, env: dict[str, str], results: list[Result], seeded: dict[str, Any],
              args: argparse.Namespace, tmp: Path) -> list[Result]:
    """Measure each case that has a peer side by side with it: both gunicorns up, the same
    load alternating between them in :data:`PAIR_ROUNDS` slices each, so both see the
    same machine. Sets the case's ``peer_ratio`` (its req/s over the peer's in these
    slices); returns the peers' results."""
    by_name = {case.name: case for case in REFERENCES}
    peers = []
    for index, result in enumerate(results):
        case = result.case
        if case.peer is None or not result.ran:
            continue
        peer = by_name[case.peer]
        print(f"  {case.name} side by side with {peer.name} (reference, not lingo) ...", flush=True)
        log = tmp / f"{peer.name}.log"
        peer_port = free_port()
        proc = start_gunicorn(reference_env(env, seeded), peer_port, args.workers, log, peer.app, peer.ready)
        try:
            # Not the case's probe phone: the peer shares the database and so the send-gap counter.
            status, text = fetch(peer_port, peer, seeded, phone="13600000001")
            if status != 200:
                raise RuntimeError(f"{peer.name} probe answered {status}: {text[:200]!r}")
            base = 10_000_000 * (2 * (len(CASES) + len(REFERENCES) + index))
            drive(tool, peer_port, peer, seeded[peer.token_key], args.warmup, args.connections, base)
            side, other = alternate(tool, (port, case, seeded[case.token_key]),
                                    (peer_port, peer, seeded[peer.token_key]), args, base)
        finally:
            stop(proc)
        result.peer_ratio = side.rps / other.rps if other.rps else None
        result.errors += side.errors
        result.note = (result.note + f" side by side: {side.rps:.1f}/s vs {peer.name} {other.rps:.1f}/s").strip()
        other.note = f"reference, side by side with {case.name}"
        peers.append(other)
        if "Traceback" in log.read_text():
            print(f"{peer.name} logged errors:\n" + log.read_text()[-3000:])
    return peers


def run_references(tool: str, env: dict[str, str], seeded: dict[str, Any], args: argparse.Namespace,
                   tmp: Path) -> list[Result]:
    """Measure each of :data:`REFERENCES` that is no case's peer under its own gunicorn
    (for information), one after the other."""
    results = []
    peers = {case.peer for case in CASES}
    for index, case in enumerate(REFERENCES, start=len(CASES)):
        if case.name in peers:
            continue
        print(f"  {case.name} (reference, not lingo) ...", flush=True)
        log = tmp / f"{case.name}.log"
        port = free_port()
        proc = start_gunicorn(reference_env(env, seeded), port, args.workers, log, case.app, case.ready)
        try:
            result = run_case(tool, port, case, seeded, args, index)
        finally:
            stop(proc)
        result.note = (result.note + " reference: for information, no target").strip()
        results.append(result)
        if "Traceback" in log.read_text():
            print(f"{case.name} logged errors:\n" + log.read_text()[-3000:])
    return results


# --------------------------------------------------------------------------- report

def report(results: list[Result], seeded: dict[str, Any], workers: int, header: str) -> None:
    """Print the table (figures, ratios, targets, PASS/MISS)."""
    print()
    print(header)
    if "verify_s" in seeded:
        bound = workers / seeded["verify_s"]
        print(f"argon2id ({seeded['argon2']}): hash {seeded['hash_s'] * 1000:.1f} ms, "
              f"verify {seeded['verify_s'] * 1000:.1f} ms (in-process, median of {len(seeded['verify_times'])} "
              f"timed between the load slices of the hash-bound cases) "
              f"-> hash-bound ceiling {workers} workers / {seeded['verify_s'] * 1000:.1f} ms = {bound:.1f} req/s")
        print(f"  for information: {workers} processes verifying at once did {seeded['parallel_rps']:.1f}/s "
              f"({seeded['parallel_rps'] / bound:.2f} of that ceiling) on this machine")
    print()
    row = "{:<22} {:>9} {:>8} {:>8} {:>7} {:>7} {:>12} {:>7} {:>18} {:>5}  {}"
    print(row.format("case", "req/s", "p50 ms", "p99 ms", "errors", "ratio", "target", "vs peer", "peer target", "",
                     "note"))
    for r in results:
        case = r.case
        if case in REFERENCES:
            target = "(reference)"
        elif case.target is None:
            target = "(info)" if case.hash_bound else "errors = 0"
        else:
            target = f">= {case.target:.2f}"
        peer_target = "" if not case.peer else (
            f"(info) {case.peer}" if case.peer_target is None else f">= {case.peer_target:.2f} {case.peer}")
        verdict = "" if case in REFERENCES else "PASS" if r.passed else "MISS"
        if not r.ran:
            print(row.format(case.name, "-", "-", "-", "-", "-", target, "-", peer_target, verdict, r.note))
            continue
        ratio = "-" if r.ratio is None else f"{r.ratio:.3f}" + (" h" if case.hash_bound else "")
        peer = "-" if r.peer_ratio is None else f"{r.peer_ratio:.3f}"
        print(row.format(case.name, f"{r.rps:.1f}", f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}",
                         r.errors, ratio, target, peer, peer_target, verdict, r.note))
    print("\nratio: to the ceiling measured around the case; 'h': to workers / argon2 verify time. "
          "vs peer: req/s over the peer's, alternating slices side by side.")


def arguments(description: str) -> argparse.ArgumentParser:
    """The options ``make bench`` and ``make bench-scale`` share (each adds its own)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 10)))
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--cases", default="", help="comma-separated case names (the ceiling always runs)")
    parser.add_argument("--python-loadgen", action="store_true", help="use bench/loadgen.py even if wrk exists")
    parser.add_argument("--mysql", default=os.environ.get("BENCH_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306"))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    return parser


def chosen(args: argparse.Namespace) -> list[Case]:
    """The cases ``--cases`` names, the ceiling always first (all when it names none)."""
    wanted = {c.strip() for c in args.cases.split(",") if c.strip()}
    return [c for c in CASES if c is CASES[0] or not wanted or c.name in wanted]


def main() -> int:
    """Set up, measure every case, report, clean up. Returns the exit status."""
    parser = arguments("lingo benchmark (issues 7 and 18)")
    parser.add_argument("--slice", type=float, default=4.0, help="seconds of ceiling after each case")
    parser.add_argument("--no-references", dest="references", action="store_false",
                        help="skip ref_hash_only (for information; the peers of the cases always run)")
    args = parser.parse_args()
    cases = chosen(args)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tool = load_tool(args.python_loadgen)
    prefix = f"lingo-bench-{secrets.token_hex(6)}"
    database = Database(args.mysql)
    proc = None
    try:
        env = app_env(database.url, args.redis, prefix)
        migrate = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                                 env={**os.environ, **env}, capture_output=True, text=True, check=False)
        if migrate.returncode:
            raise RuntimeError(f"flask db upgrade failed:\n{migrate.stdout}\n{migrate.stderr}")
        seeded = seed(env)
        prepare_references(seeded, database.url)
        port = free_port()
        with tempfile.TemporaryDirectory(prefix="lingo-bench-") as tmp:
            log = Path(tmp) / "gunicorn.log"
            proc = start_gunicorn(env, port, args.workers, log)
            header = (f"machine: {machine()}\n"
                      f"server: gunicorn {args.workers} sync workers, LINGO_ENV=production, MariaDB "
                      f"{database.name}, limiter on Redis; load: {tool} 1 thread, {args.connections} "
                      f"connections, {args.seconds:g} s per case after {args.warmup:g} s warm-up")
            if tool == "python":
                header += ("\nnote: bench/loadgen.py (no wrk) cannot saturate even the ceiling on a small "
                           "machine: the ratios come out too kind; install wrk for real figures")
            print(header, flush=True)
            results = measure(tool, port, cases, seeded, args)
            results += run_pairs(tool, port, env, results, seeded, args, Path(tmp))
            stop(proc)
            if "Traceback" in log.read_text():
                print("gunicorn logged errors:\n" + log.read_text()[-3000:])
            if args.references and any(r.case.hash_bound and r.ran for r in results):
                results += run_references(tool, env, seeded, args, Path(tmp))
        for result in results:
            if result.case.hash_bound and result.ran:
                result.ratio = result.rps / (args.workers / seeded["verify_s"])
        report(results, seeded, args.workers, header)
        return 0 if all(r.passed for r in results) else 1
    finally:
        if proc is not None:
            stop(proc)
        database.drop()
        clear_redis(args.redis, prefix)


if __name__ == "__main__":
    sys.exit(main())
