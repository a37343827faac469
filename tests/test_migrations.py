"""Migrations are the schema: ``flask db upgrade`` on an empty database gives exactly the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from helpers.apps import app_config
from helpers.databases import drop_database, make_database
from lingo import create_app
from lingo.extensions import db


def test_upgrade_on_an_empty_database_matches_the_models(backend, tmp_path):
    url = make_database(backend, str(tmp_path))
    try:
        app = create_app(app_config(url))
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, db.metadata)
                tables = set(db.inspect(conn).get_table_names())
            db.engine.dispose()
        assert diff == []
        assert set(db.metadata.tables) | {"alembic_version"} == tables
    finally:
        drop_database(url)


def test_downgrade_removes_everything(backend, tmp_path):
    url = make_database(backend, str(tmp_path))
    try:
        app = create_app(app_config(url))
        runner = app.test_cli_runner()
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        result = runner.invoke(args=["db", "downgrade", "base"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            with db.engine.connect() as conn:
                assert set(db.inspect(conn).get_table_names()) <= {"alembic_version"}
            db.engine.dispose()
    finally:
        drop_database(url)
