"""Test databases: SQLite always, MySQL/MariaDB when ``LINGO_TEST_MYSQL_URL`` is set.

Each is made empty (:func:`make_database`), migrated by ``flask db upgrade``
(:func:`upgrade`) and dropped at the end (:func:`drop_database`).
"""
from __future__ import annotations

import os
import uuid

import sqlalchemy as sa

from helpers.apps import app_config
from lingo import create_app
from lingo.extensions import db

MYSQL_URL = os.environ.get("LINGO_TEST_MYSQL_URL", "").rstrip("/")
#: The backends every test runs on.
BACKENDS = ["sqlite"] + (["mysql"] if MYSQL_URL else [])


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


def upgrade(url: str) -> None:
    """Run ``flask db upgrade`` on ``url`` through the CLI."""
    app = create_app(app_config(url))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
