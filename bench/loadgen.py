"""A small HTTP load generator: the fallback when ``wrk`` is not installed.

Run as its own process (``python bench/loadgen.py URL METHOD EXPECT HEADER BODY
PHONE_BASE --seconds S --connections C``); the arguments mean what they mean
for ``bench/case.lua``. Each connection is a thread with one keep-alive
``http.client`` connection (reopened when the server closes it). Prints one
line ``BENCH {json}`` with the same fields as the wrk script.
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Tally:
    """What one thread saw."""

    latencies: list[float] = field(default_factory=list)
    failed: int = 0
    socket_errors: int = 0


def percentile(sorted_values: list[float], pct: float) -> float:
    """The ``pct`` percentile of an ascending list (nearest rank), 0 when empty."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[rank]


def main() -> None:
    """Drive load for ``--seconds`` and print the ``BENCH`` line."""
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("url", "method", "expect", "header", "body", "phone_base"):
        parser.add_argument(name)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()

    url = urlsplit(args.url)
    path = url.path + (f"?{url.query}" if url.query else "")
    headers: dict[str, str] = {}
    if args.header != "-":
        name, _, value = args.header.partition(":")
        headers[name.strip()] = value.strip()
    body = None if args.body == "-" else args.body
    if body is not None:
        headers["Content-Type"] = "application/json"
    success = re.compile(rb'"code":\s*' + re.escape(args.expect.encode()) + rb"[,}]")
    phones = itertools.count(int(args.phone_base) + 1)
    phones_lock = threading.Lock()
    deadline = time.perf_counter() + args.seconds

    def worker(tally: Tally) -> None:
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=10)
        while time.perf_counter() < deadline:
            payload = body
            if payload is not None and "{phone}" in payload:
                with phones_lock:
                    index = next(phones)
                payload = payload.replace("{phone}", f"139{index % 100_000_000:08d}")
            started = time.perf_counter()
            try:
                conn.request(args.method, path, body=payload, headers=headers)
                response = conn.getresponse()
                text = response.read()
            except (OSError, http.client.HTTPException):
                tally.socket_errors += 1
                conn.close()
                continue
            tally.latencies.append(time.perf_counter() - started)
            if not 200 <= response.status < 300 or not success.search(text):
                tally.failed += 1
            if response.will_close:
                conn.close()
        conn.close()

    tallies = [Tally() for _ in range(args.connections)]
    threads = [threading.Thread(target=worker, args=(t,)) for t in tallies]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.perf_counter() - started
    latencies = sorted(x for t in tallies for x in t.latencies)
    result = {
        "requests": len(latencies),
        "duration_s": duration,
        "failed": sum(t.failed for t in tallies),
        "socket_errors": sum(t.socket_errors for t in tallies),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }
    print("BENCH " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
