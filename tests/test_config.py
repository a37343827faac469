"""Configuration: environment keys, production refusing unsafe settings, ``TEST_OTP`` checked at start."""
from __future__ import annotations

import pytest

from lingo import create_app

#: A production-grade key (32+ characters, 16+ distinct).
KEY = "Zq8-vN3_pL7sW2xR9tB5mK1cY6hD4fJ0"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("LINGO_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "DATABASE_URL": "sqlite://"})


def test_production_refuses_a_weak_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "DATABASE_URL": "sqlite://", "SECRET_KEY": "change-me"})


def test_production_refuses_return_code(monkeypatch):
    monkeypatch.setenv("LINGO_RETURN_CODE", "true")
    with pytest.raises(RuntimeError, match="RETURN_CODE"):
        create_app({"ENV_NAME": "production", "DATABASE_URL": "sqlite://", "SECRET_KEY": KEY})


def test_production_starts_with_a_real_key(monkeypatch):
    monkeypatch.setenv("LINGO_SECRET_KEY", KEY)
    monkeypatch.setenv("LINGO_ALLOW_CONSOLE_SMS", "true")
    app = create_app({"ENV_NAME": "production", "DATABASE_URL": "sqlite://"})
    assert app.config["RETURN_CODE"] is False
    assert app.config["SMS_BACKEND"] == "console" and app.config["CONSOLE_SHOWS_CODE"] is False


def test_production_refuses_the_console_sms_sender_unless_allowed(monkeypatch):
    monkeypatch.setenv("LINGO_SECRET_KEY", KEY)
    with pytest.raises(RuntimeError, match="ALLOW_CONSOLE_SMS"):
        create_app({"ENV_NAME": "production", "DATABASE_URL": "sqlite://"})


def test_every_key_is_settable_from_the_environment(monkeypatch):
    monkeypatch.setenv("LINGO_CODE_TTL", "120")
    monkeypatch.setenv("LINGO_RETURN_CODE", "true")
    monkeypatch.setenv("LINGO_TEST_OTP", "13800000000=123456")
    monkeypatch.setenv("LINGO_RATELIMIT_STORAGE_URI", "memory://")
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": "sqlite://"})
    assert app.config["CODE_TTL"] == 120
    assert app.config["RETURN_CODE"] is True
    assert app.config["TEST_OTP"] == "13800000000=123456"


def test_unknown_environment_name_is_refused():
    with pytest.raises(RuntimeError, match="LINGO_ENV"):
        create_app({"ENV_NAME": "staging"})


def test_unknown_sms_backend_is_refused():
    with pytest.raises(RuntimeError, match="SMS_BACKEND"):
        create_app({"ENV_NAME": "testing", "DATABASE_URL": "sqlite://", "SMS_BACKEND": "carrier-pigeon"})


@pytest.mark.parametrize("env_name", ["development", "testing"])
def test_shipped_keys_are_refused_in_production(env_name):
    import config

    shipped = config.CONFIGS[env_name].SECRET_KEY
    assert len(shipped.encode()) >= 32  # long enough for HS256 without warnings
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "DATABASE_URL": "sqlite://", "SECRET_KEY": shipped})


# --- TEST_OTP: a malformed value stops the app at start instead of failing every code request ---


@pytest.mark.parametrize("spec", ["13800000000=12a456", "13800000000", "not-a-phone=123456", "12=123456"])
def test_malformed_test_otp_is_refused_at_start(spec):
    with pytest.raises(RuntimeError, match="TEST_OTP"):
        create_app({"ENV_NAME": "testing", "DATABASE_URL": "sqlite://", "TEST_OTP": spec})


def test_well_formed_test_otp_starts():
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": "sqlite://",
                      "TEST_OTP": "13800000000=123456, demo@example.com=654321"})
    assert app.config["TEST_OTP"]


#: An address nothing listens on: creating the app opens no connection.
MYSQL_URL = "mysql+pymysql://lingo@127.0.0.1:9/lingo"


@pytest.mark.parametrize("options", [
    {"isolation_level": "REPEATABLE READ"},
    {"connect_args": {"autocommit": False}},
    {"connect_args": {"init_command": "SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE"}},
], ids=["isolation_level", "autocommit", "init_command"])
def test_mysql_transaction_options_are_lingos_own(options):
    with pytest.raises(RuntimeError, match="SQLALCHEMY_ENGINE_OPTIONS sets"):
        create_app({"ENV_NAME": "testing", "DATABASE_URL": MYSQL_URL, "SQLALCHEMY_ENGINE_OPTIONS": options})


def test_other_mysql_engine_options_are_passed_on():
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": MYSQL_URL,
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 3, "connect_args": {"connect_timeout": 2}}})
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_size"] == 3 and options["connect_args"]["connect_timeout"] == 2
    assert options["connect_args"]["autocommit"] is True
