"""lingo: one account service for four generations of mobile apps."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import database, settings
from .ops import metrics, request_log
from .web import proxy

#: Keys shipped in this repository (and placeholders): never accepted in production.
INSECURE_KEYS = {"", "dev-only-insecure-secret-key-do-not-deploy", "testing-secret-key-not-for-production", "change-me"}


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application.

    Configuration: the class named by ``LINGO_ENV`` (``production`` by
    default), then every ``LINGO_<KEY>`` environment variable, then
    ``test_config``.

    :raises RuntimeError: in production without a real ``SECRET_KEY`` (32+
        characters, 16+ distinct) or with ``RETURN_CODE`` or
        ``CONSOLE_SHOWS_CODE`` on; in any environment with a malformed ``TEST_OTP``.
    """
    import config as config_module

    app = Flask(__name__, instance_relative_config=True)
    # Werkzeug answers `//api//v4.0//login?...` with a 308 text/html redirect
    # whose Location echoes the Host header and the query string (v4
    # passwords). Without slash merging such a path is just unknown: the
    # dialect's own 404. Set before any rule is added (rules copy it).
    app.url_map.merge_slashes = False
    env = (test_config or {}).get("ENV_NAME") or os.environ.get("LINGO_ENV", "production")
    try:
        app.config.from_object(config_module.CONFIGS[env])
    except KeyError as exc:
        raise RuntimeError(f"LINGO_ENV must be one of {sorted(config_module.CONFIGS)}, not {env!r}") from exc
    app.config.from_prefixed_env("LINGO")
    if test_config:
        app.config.from_mapping(test_config)
    app.config["ENV_NAME"] = env
    _check_config(app)
    settings.init_app(app)
    database.configure(app)

    proxy.init_app(app)
    # app.json is typed as the JSONProvider interface; these two attributes are
    # DefaultJSONProvider's, which is what Flask installs.
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]

    request_log.init_app(app)  # first: times and logs everything after it
    metrics.init_app(app)  # counts every request (after request_log: its timer)
    register_extensions(app)
    register_dialects(app)
    register_commands(app)
    return app


#: A production key needs at least this many distinct characters: 36 times
#: the same letter is long but guessable.
KEY_MIN_DISTINCT = 16


def _check_config(app: Flask) -> None:
    from .services.codes import check_test_otp, warn_test_otp

    check_test_otp(app.config.get("TEST_OTP") or "")
    warn_test_otp(app.config.get("TEST_OTP") or "")
    if app.config["ENV_NAME"] != "production":
        return
    key = str(app.config.get("SECRET_KEY") or "")
    if key in INSECURE_KEYS or len(key) < 32:
        raise RuntimeError("production needs LINGO_SECRET_KEY: a random secret of at least 32 characters")
    if len(set(key)) < KEY_MIN_DISTINCT:
        raise RuntimeError(
            f"LINGO_SECRET_KEY has too little variety (fewer than {KEY_MIN_DISTINCT} "
            "distinct characters): use a random secret, e.g. python -c "
            "'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if app.config.get("RETURN_CODE"):
        raise RuntimeError("RETURN_CODE must be off in production")
    if app.config.get("CONSOLE_SHOWS_CODE"):
        raise RuntimeError("CONSOLE_SHOWS_CODE must be off in production (it writes codes into the log)")


def register_extensions(app: Flask) -> None:
    """Bind db, migrations, the limiter and the senders to ``app``."""
    from . import (
        models,  # noqa: F401  (register the tables)
        senders,
    )
    from .extensions import db, limiter, migrate
    from .web import limits

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
    limiter.init_app(app)
    limits.init_app(app)  # the route limits count in the limiter's storage
    senders.init_app(app)
    with app.app_context():
        database.init_engine(db.engine)


def register_dialects(app: Flask) -> None:
    """Register every dialect's blueprint and the error handlers."""
    from . import console, dialects
    from .dialects import admin, image_to_sound, legacy, modern, platform, shared
    from .ops import apidocs, health

    dialects.init_app(app, [modern.DIALECT, platform.DIALECT, admin.DIALECT, legacy.DIALECT, image_to_sound.DIALECT])
    app.register_blueprint(shared.bp)
    app.register_blueprint(health.bp)
    console.init_app(app)  # the admin web console under /admin/: HTML pages, not a dialect
    apidocs.init_app(app)  # /api/openapi.json and /api/docs, when API_DOCS is on


def register_commands(app: Flask) -> None:
    """Add lingo's ``flask`` CLI commands."""
    from . import cli

    cli.init_app(app)
