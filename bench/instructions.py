"""``make bench-instructions``: what lingo's worker executes per request, counted by callgrind.

``make bench``'s ratios move with whatever else the machine runs: on a shared
2-core machine the ceiling's own slices spread by a third within one run.
Instruction counts do not: ``valgrind --tool=callgrind`` counts what a process
executes, the same for the same code and input whatever else runs. For each
case this script serves the case's request in-process (the WSGI app called
directly, as gunicorn's worker calls it) under callgrind twice, ``--small``
and ``--large`` times after the same warm-up, in two processes side by side
(``PYTHONHASHSEED=0``: a random seed moves the count by ±5 %), and reports
``(I(large) - I(small)) / (large - small)``: the instructions of
one request in the worker (Flask, lingo, SQLAlchemy, PyMySQL, redis-py, the
log line), not in MariaDB, Redis, gunicorn's HTTP parsing or the kernel.
``ceiling / case`` is the share of the ceiling a case would reach if the
worker's CPU were all a request cost.

Same set-up as ``make bench`` (its own MariaDB database, production settings,
the limiter on Redis under its own prefix, all removed afterwards). Needs
valgrind. About a minute per case on 2 cores.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # bench/run.py: the cases, the database, the seed

#: Cases counted by default: ``phone_login`` is mostly argon2 (slow under valgrind; ``--cases``).
DEFAULT_CASES = ["ceiling", "personal_info", "v4_isregister", "send_code", "feedback_page"]
WARMUP = 30


def environ(case: bench.Case, token: str, phone: int) -> dict[str, Any]:
    """The WSGI environ of one request of ``case`` (``phone`` for a ``{phone}`` body)."""
    path, _, query = case.path.partition("?")
    body = case.body.replace("{phone}", str(phone)).encode() if case.body else b""
    env: dict[str, Any] = {
        "REQUEST_METHOD": case.method, "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000", "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "bench-instructions", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": False,
        "wsgi.multiprocess": True, "wsgi.run_once": False,
    }  # fmt: skip
    if body:
        env["CONTENT_LENGTH"], env["CONTENT_TYPE"] = str(len(body)), "application/json"
    if case.auth:
        name, _, value = bench.headers_for(case, token).partition(": ")
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def child(case_name: str, count: int, phone_base: int) -> None:
    """Serve ``WARMUP`` + ``count`` requests of the case in-process (run under callgrind)."""
    from lingo import create_app

    case = next(c for c in bench.CASES if c.name == case_name)
    token = os.environ["BENCH_TOKEN"]
    app = create_app()
    status: list[str] = []

    def start_response(line: str, headers: Any, exc_info: Any = None) -> None:
        status.append(line)

    for n in range(WARMUP + count):
        body = b"".join(app(environ(case, token, phone_base + n), start_response))
        if n == 0 and not status[0].startswith("200"):
            raise SystemExit(f"{case_name}: {status[0]} {body[:300]!r}")


def count(case: bench.Case, env: dict[str, str], small: int, large: int) -> float:
    """Instructions of one request of ``case``: two runs under callgrind, side by side."""
    # A fixed hash seed: with Python's per-process random one, the same code's count
    # moved by ±5 % between runs (dict and set layouts); with it, by < 0.1 %.
    child_env = {**os.environ, **env, "PYTHONHASHSEED": "0"}
    procs = []
    for n, (calls, base) in enumerate(((small, 13600000000), (large, 13610000000))):
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                   __file__, "--child", case.name, str(calls), str(base + n)]  # fmt: skip
        procs.append(subprocess.Popen(command, env=child_env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True))  # fmt: skip
    totals = []
    for proc in procs:
        _, err = proc.communicate()
        found = re.search(r"Collected : (\d+)", err)
        if proc.returncode or not found:
            raise RuntimeError(f"{case.name}: callgrind run failed:\n{err[-2000:]}")
        totals.append(int(found.group(1)))
    return (totals[1] - totals[0]) / (large - small)


def main() -> int:
    """Set up, count every case, print the table, clean up."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(DEFAULT_CASES), help="comma-separated case names")
    parser.add_argument("--small", type=int, default=20)
    parser.add_argument("--large", type=int, default=220)
    parser.add_argument("--mysql", default=os.environ.get("BENCH_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306"))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        print("valgrind is missing: apt-get install valgrind", file=sys.stderr)
        return 2
    names = args.cases.split(",")
    cases = [c for c in bench.CASES if c.name in names]
    if "ceiling" not in names:
        cases.insert(0, bench.CASES[0])
    prefix = f"lingo-bench-{secrets.token_hex(4)}"
    database = bench.Database(args.mysql)
    try:
        env = bench.app_env(database.url, args.redis, prefix)
        subprocess.run([str(bench.BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=bench.ROOT,
                       env={**os.environ, **env}, check=True, capture_output=True)  # fmt: skip
        seeded = bench.seed(env)
        env["BENCH_TOKEN"] = seeded["token"]
        print(f"machine: {bench.machine()}\nin-process WSGI calls under callgrind, {args.large} - {args.small} "
              f"requests per case after {WARMUP} of warm-up; MariaDB {database.name}, limiter on Redis",
              flush=True)  # fmt: skip
        figures: dict[str, float] = {}
        for case in cases:
            started = time.monotonic()
            figures[case.name] = count(case, env, args.small, args.large)
            print(f"  {case.name:<15} {figures[case.name]:>12,.0f} instructions/request "
                  f"({time.monotonic() - started:.0f} s)", flush=True)  # fmt: skip
        ceiling = figures["ceiling"]
        print(f"\n{'case':<15} {'instructions':>14} {'ceiling/case':>13}")
        for name, value in figures.items():
            print(f"{name:<15} {value:>14,.0f} {ceiling / value:>13.3f}")
        print(json.dumps({"instructions_per_request": {k: round(v) for k, v in figures.items()}}))
    finally:
        database.drop()
        bench.clear_redis(args.redis, prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
