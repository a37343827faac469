"""Fixtures: every test runs against SQLite and, when ``LINGO_TEST_MYSQL_URL`` is
set, against MySQL/MariaDB too (CI sets it; an unreachable server is an error,
never a skip).

The schema is made by ``flask db upgrade`` once per backend; each test gets a
fresh app and empty tables.
"""
from __future__ import annotations

import os
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lingo import create_app
from lingo.extensions import db, limiter

MYSQL_URL = os.environ.get("LINGO_TEST_MYSQL_URL", "").rstrip("/")
REDIS_URL = os.environ.get("LINGO_TEST_REDIS_URL", "")
BACKENDS = ["sqlite"] + (["mysql"] if MYSQL_URL else [])

START = datetime(2026, 1, 5, 8, 0, 0)


class FakeClock:
    """A controllable clock: ``advance(seconds)`` instead of ``sleep``."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.current += timedelta(seconds=seconds)


def _mysql_server() -> sa.Engine:
    return sa.create_engine(MYSQL_URL + "/?charset=utf8mb4", poolclass=sa.pool.NullPool)


def make_database(backend: str, tmp_dir: str) -> str:
    """Create an empty database for ``backend`` and return its URL."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir}/lingo-{uuid.uuid4().hex[:8]}.sqlite"
    name = f"lingo_test_{uuid.uuid4().hex[:12]}"
    with _mysql_server().connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    return f"{MYSQL_URL}/{name}?charset=utf8mb4"


def drop_database(url: str) -> None:
    """Drop a database made by :func:`make_database` (SQLite files go with tmp)."""
    if url.startswith("mysql"):
        name = sa.make_url(url).database
        with _mysql_server().connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")


def app_config(url: str, **extra: Any) -> dict[str, Any]:
    """Testing configuration for a database URL."""
    cfg: dict[str, Any] = {
        "ENV_NAME": "testing",
        "DATABASE_URL": url,
        "RATELIMIT_KEY_PREFIX": f"lingo-test-{uuid.uuid4().hex[:8]}",
    }
    if REDIS_URL:
        cfg["RATELIMIT_STORAGE_URI"] = REDIS_URL
    cfg.update(extra)
    return cfg


def upgrade(url: str) -> None:
    """Run ``flask db upgrade`` on ``url`` through the CLI."""
    app = create_app(app_config(url))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``mysql``."""
    return request.param


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for the whole session on ``backend``."""
    url = make_database(backend, str(tmp_path_factory.mktemp("db")))
    upgrade(url)
    yield url
    drop_database(url)


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """Per-test configuration overrides (override this fixture or mutate it)."""
    return {}


@pytest.fixture
def app(database_url: str, app_overrides: dict[str, Any]) -> Iterator[Flask]:
    """A fresh app on the migrated database; tables are emptied afterwards."""
    app = create_app(app_config(database_url, **app_overrides))
    app.extensions["lingo.clock"] = FakeClock()
    # The limiter is one module-level object that keeps the key prefix of the
    # first app it was bound to; give it this app's unique prefix so no test
    # inherits another's counters. (Clearing the storage instead would also
    # wipe the counters of other test runs sharing the Redis database.)
    limiter._key_prefix = app.config["RATELIMIT_KEY_PREFIX"]
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    """The app's controllable clock."""
    return app.extensions["lingo.clock"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def outbox(app: Flask) -> Any:
    """The in-memory SMS outbox."""
    return app.extensions["lingo.sms"]


class ModernApi:
    """Modern-dialect actions used by many tests (like flaskr's ``AuthActions``)."""

    def __init__(self, client: FlaskClient, outbox: Any, clock: FakeClock) -> None:
        self.client = client
        self.outbox = outbox
        self.clock = clock

    def send_code(self, phone: str, **kw: Any) -> Any:
        return self.client.post("/api/auth/send_code", json={"phone": phone}, **kw)

    def code(self, phone: str) -> str:
        """Send a code (after waiting out the resend gap) and return it from the outbox."""
        self.clock.advance(61)
        response = self.send_code(phone)
        assert response.status_code == 200, response.get_json()
        key = phone if phone.startswith("+") else "+86" + phone
        return self.outbox.last_code(key)

    def code_login(self, phone: str, code: str | None = None, **kw: Any) -> Any:
        code = code if code is not None else self.code(phone)
        return self.client.post("/api/auth/phone_code_login", json={"phone": phone, "code": code}, **kw)

    def tokens(self, phone: str) -> dict[str, Any]:
        """Sign in by code (registering if new) and return the token data."""
        response = self.code_login(phone)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["data"]

    def logout(self, access_token: str, scheme: str = "Bearer") -> Any:
        return self.client.post("/api/auth/logout", headers={"Authorization": f"{scheme} {access_token}"})


@pytest.fixture
def modern(client: FlaskClient, outbox: Any, clock: FakeClock) -> ModernApi:
    """Modern-dialect helper actions."""
    return ModernApi(client, outbox, clock)


@pytest.fixture
def staff(app: Flask, client: FlaskClient, modern: ModernApi) -> Any:
    """Managers (made by the CLI) and signed-in users for the content tests (see ``content_helpers``)."""
    from content_helpers import Staff

    return Staff(app, client, modern)
