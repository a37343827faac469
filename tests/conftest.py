"""Fixtures: every test runs against SQLite and, when ``LINGO_TEST_MYSQL_URL`` is
set, against MySQL/MariaDB too (CI sets it; an unreachable server is an error,
never a skip).

The schema is made by ``flask db upgrade`` once per backend; each test gets a
fresh app and empty tables.

Every fixture is here; the plain helpers they build on (and that tests import)
are in the ``helpers`` package (``from helpers.<module> import ...``).
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from helpers.apps import app_config
from helpers.clock import FakeClock
from helpers.databases import BACKENDS, drop_database, make_database, upgrade
from helpers.fake_aliyun import FakeAliyun
from helpers.fake_aliyun import settings as aliyun_settings
from helpers.fake_tencent import PROXY_VARIABLES, FakeTencent
from helpers.modern import ModernApi
from helpers.platform import PlatformApi
from helpers.providers import ProviderServer
from helpers.staff import Staff
from lingo import create_app
from lingo.extensions import db, limiter


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


@pytest.fixture
def email_outbox(app: Flask) -> Any:
    """The in-memory email outbox (``MAIL_BACKEND = "outbox"`` in Testing)."""
    return app.extensions["lingo.email"]


# --- actions through the dialects --------------------------------------------------------------


@pytest.fixture
def modern(client: FlaskClient, outbox: Any, clock: FakeClock) -> ModernApi:
    """Modern-dialect helper actions."""
    return ModernApi(client, outbox, clock)


@pytest.fixture
def platform_api(client: FlaskClient, outbox: Any, email_outbox: Any) -> PlatformApi:
    """Platform-dialect helper actions."""
    return PlatformApi(client, outbox, email_outbox)


@pytest.fixture
def staff(app: Flask, client: FlaskClient, modern: ModernApi) -> Staff:
    """Managers (made by the CLI) and signed-in users for the content tests (see ``helpers.staff``)."""
    return Staff(app, client, modern)


# --- fake providers (helpers.fake_aliyun, helpers.fake_tencent) --------------------------------


@pytest.fixture
def aliyun(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAliyun]:
    """A running fake Aliyun.

    The SDK sends through ``HTTP(S)_PROXY`` from the environment (it ignores
    ``NO_PROXY``) and dumps requests with ``DEBUG=sdk``: both are cleared so
    the loopback server is reached directly and nothing is printed.
    """
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "DEBUG"):
        monkeypatch.delenv(name, raising=False)
    with FakeAliyun() as server:
        yield server


@pytest.fixture
def aliyun_overrides(aliyun: FakeAliyun) -> dict[str, Any]:
    """``app_overrides`` for an app whose SMS backend is the fake Aliyun."""
    return aliyun_settings(aliyun)


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy from the environment: the SDK would send 127.0.0.1 requests through it."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def tencent(no_proxies: None) -> Iterator[FakeTencent]:
    """A running fake Tencent Cloud API (every reply a success until a test says otherwise)."""
    fake = FakeTencent()
    with ProviderServer(fake.answer) as server:
        fake.server = server
        yield fake


@pytest.fixture
def tencent_overrides(tencent: FakeTencent) -> dict[str, Any]:
    """``app_overrides`` for an app whose SMS goes to the fake (``RETURN_CODE`` on to learn codes)."""
    return tencent.config(RETURN_CODE=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``mysql_only`` (behaviour SQLite cannot have, such as deadlocks) are not
    collected for the SQLite backend: they run, never skip, wherever MySQL is configured."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.get_closest_marker("mysql_only") and params.get("backend") == "sqlite":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
