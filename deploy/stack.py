"""The processes of the deployment test: a private MariaDB and Redis, gunicorn
instances and nginx, all on loopback ports, all under one temporary directory.

Nothing here touches the machine's shared MariaDB (3306) or Redis (6379):
every server is started by this module, tracked by its process id and
stopped by :meth:`Stack.close`.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pymysql

from ports import free_port  # deploy/ports.py: the one free_port (see its docstring)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MARIADBD = "/usr/sbin/mariadbd"

#: Sample values in deploy/nginx.conf that the test rewrites.
SAMPLE_UPSTREAMS = ("10.0.0.11:8000", "10.0.0.12:8000")
SAMPLE_LISTEN = "listen 80;"
SAMPLE_LOG_DIR = "/var/log/nginx/"
#: Where test-only locations go (before the proxying location).
SAMPLE_PROXY_LOCATION = "    location / {\n"
#: Statuses nginx answers only when configured to (limit_req, an operator's
#: `return`) or on faults the test cannot cause: a test-only location answers
#: each with a bare `return`, so its JSON error page can be checked.
TEST_STATUSES = (404, 408, 429, 500, 503)
TEST_STATUS_PREFIX = "/_deploy_test/status/"


def wait_for(what: str, ready, timeout: float = 30.0) -> None:
    """Poll ``ready()`` until it is true.

    :raises RuntimeError: after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f}s")


def port_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def ensure_nginx() -> str:
    """The nginx binary; installs the Debian package ``nginx`` when missing.

    While installing, a temporary ``policy-rc.d`` keeps the package from
    starting a system nginx on port 80.
    """
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found:
        return found
    print("nginx not found: installing the Debian package", flush=True)
    policy = Path("/usr/sbin/policy-rc.d")
    made_policy = not policy.exists()
    if made_policy:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        if subprocess.run(["apt-get", "install", "-y", "-q", "nginx"], env=env).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, check=True)
            subprocess.run(["apt-get", "install", "-y", "-q", "nginx"], env=env, check=True)
    finally:
        if made_policy:
            policy.unlink()
    return shutil.which("nginx") or "/usr/sbin/nginx"


def ensure_chromium() -> str:
    """The headless browser of check 12; installs the Debian package ``chromium`` when missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    print("chromium not found: installing the Debian package", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env, check=True)
    return shutil.which("chromium") or "/usr/bin/chromium"


@dataclass
class Stack:
    """Every process of one deployment-test run (see the module docstring)."""

    tmp: Path
    logs: Path = field(init=False)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    secret_key: str = ""
    app_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.logs = self.tmp / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    # -- generic process handling ------------------------------------------
    def spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start ``args`` in its own process group, output to ``logs/<name>.out``."""
        out = open(self.logs / f"{name}.out", "ab")
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env or dict(os.environ), stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        out.close()
        self.procs[name] = proc
        return proc

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 40.0) -> None:
        """Signal the process ``name`` started and wait for it to exit."""
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def close(self) -> None:
        """Stop everything this stack started (nginx and gunicorn first)."""
        for name in sorted(self.procs, key=lambda n: (not n.startswith(("nginx", "gunicorn")), n)):
            try:
                self.stop(name, timeout=15)
            except Exception as exc:  # noqa: BLE001 - keep cleaning up
                print(f"cleanup: {name}: {exc}", file=sys.stderr)

    # -- MariaDB ------------------------------------------------------------
    def mariadb_args(self) -> list[str]:
        data = self.tmp / "mariadb"
        return [
            MARIADBD, "--no-defaults", "--user=root", f"--datadir={data}",
            "--bind-address=127.0.0.1", f"--port={self.ports['mariadb']}",
            f"--socket={self.tmp / 'mariadb.sock'}", f"--pid-file={self.tmp / 'mariadb.pid'}",
            f"--log-error={self.logs / 'mariadb.error.log'}", "--skip-log-bin",
            "--innodb-buffer-pool-size=64M", "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
        ]

    def start_mariadb(self) -> None:
        """Create (first time) and start the private MariaDB; wait until it answers."""
        if "mariadb" not in self.ports:
            self.ports["mariadb"] = free_port()
            subprocess.run(
                ["mariadb-install-db", "--no-defaults", "--user=root", f"--datadir={self.tmp / 'mariadb'}",
                 "--auth-root-authentication-method=normal", "--skip-test-db"],
                check=True, stdout=open(self.logs / "mariadb-install.out", "ab"), stderr=subprocess.STDOUT,
            )
        self.spawn("mariadb", self.mariadb_args())
        wait_for("MariaDB", lambda: self.sql("SELECT 1") is not None, 60)

    def sql(self, query: str, database: str | None = None) -> list[tuple]:
        """Run one statement on the private MariaDB as root."""
        conn = pymysql.connect(host="127.0.0.1", port=self.ports["mariadb"], user="root",
                               database=database, connect_timeout=2, charset="utf8mb4")
        try:
            with conn.cursor() as cur:
                cur.execute(query)
                rows = list(cur.fetchall())
            conn.commit()
            return rows
        finally:
            conn.close()

    # -- Redis --------------------------------------------------------------
    def start_redis(self) -> None:
        """Start the private Redis (no persistence); wait until it answers."""
        self.ports.setdefault("redis", free_port())
        self.spawn("redis", [
            "redis-server", "--bind", "127.0.0.1", "--port", str(self.ports["redis"]),
            "--save", "", "--appendonly", "no", "--dir", str(self.tmp),
            "--logfile", str(self.logs / "redis.log"),
        ])
        wait_for("Redis", lambda: port_open(self.ports["redis"]), 20)

    # -- gunicorn -----------------------------------------------------------
    def start_gunicorn(self, name: str, log_format: str) -> None:
        """Start one gunicorn instance (2 workers) with the production config."""
        port = self.ports.setdefault(name, free_port())
        env = dict(os.environ, **self.app_env)
        env.update({
            "LINGO_LOG_FORMAT": log_format,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_GRACEFUL_TIMEOUT": "20",
            "GUNICORN_PROC_NAME": f"lingo-deploy-test-{name}",
            "GUNICORN_ACCESS_LOG": str(self.logs / f"{name}.access.log"),
            "GUNICORN_ERROR_LOG": str(self.logs / f"{name}.error.log"),
        })
        self.spawn(name, [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")], env)
        wait_for(f"gunicorn {name}", lambda: port_open(port), 60)

    def workers(self, name: str) -> set[int]:
        """Process ids of the gunicorn instance's workers."""
        pid = self.procs[name].pid
        children: set[int] = set()
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            children.update(int(p) for p in text)
        return children

    # -- nginx --------------------------------------------------------------
    def start_nginx(self, nginx: str, upstreams: list[str]) -> None:
        """Start nginx with ``deploy/nginx.conf`` (ports and log paths rewritten).

        Adds one test-only location per :data:`TEST_STATUSES` entry
        (``/_deploy_test/status/<n>`` answers a bare ``return <n>``).
        """
        self.ports.setdefault("nginx", free_port())
        conf = (ROOT / "deploy" / "nginx.conf").read_text()
        test_locations = "".join(
            f"    location = {TEST_STATUS_PREFIX}{status} {{ return {status}; }}\n" for status in TEST_STATUSES
        )
        for sample, real in [(SAMPLE_LISTEN, f"listen 127.0.0.1:{self.ports['nginx']};"),
                             (SAMPLE_LOG_DIR, f"{self.logs}/nginx-"),
                             (SAMPLE_PROXY_LOCATION, test_locations + SAMPLE_PROXY_LOCATION),
                             *zip(SAMPLE_UPSTREAMS, upstreams)]:
            if sample not in conf:
                raise RuntimeError(f"deploy/nginx.conf no longer contains {sample!r}")
            conf = conf.replace(sample, real)
        (self.tmp / "lingo.conf").write_text(conf)
        temp = self.tmp / "nginx-temp"
        temp.mkdir(exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""
        (self.tmp / "nginx-main.conf").write_text(
            f"{user}worker_processes 2;\npid {self.tmp}/nginx.pid;\n"
            f"error_log {self.logs}/nginx-main.error.log warn;\n"
            "events { worker_connections 512; }\n"
            "http {\n"
            + "".join(f"    {kind}_temp_path {temp}/{kind};\n"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + "    default_type application/octet-stream;\n"
            f"    include {self.tmp}/lingo.conf;\n}}\n"
        )
        args = [nginx, "-p", str(self.tmp), "-e", str(self.logs / "nginx-main.error.log"),
                "-c", str(self.tmp / "nginx-main.conf")]
        subprocess.run(args + ["-t", "-q"], check=True)
        self.spawn("nginx", args + ["-g", "daemon off;"])
        wait_for("nginx", lambda: port_open(self.ports["nginx"]), 20)
