"""The settings the service layer reads: one frozen object, built once in ``create_app``.

Services never read ``current_app.config``: they call :func:`current` (or take
a value as a parameter). The object is built from the app's configuration
after it is checked (``docs/configuration.md`` lists every key), so a service
sees typed values (seconds as ``int``, the time zone as a ``ZoneInfo``) and a
change of configuration takes effect when the app is built again, as it does
when gunicorn restarts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app

#: The contract's ceiling for ``REFRESH_REUSE_GRACE`` (docs/contract.md §4: "a grace of ≤ 10 s").
MAX_REUSE_GRACE = 10

#: Every dialect's token lifetimes: the settings holding its access and refresh seconds.
TOKEN_LIFETIME_KEYS: dict[str, tuple[str, str]] = {
    "modern": ("MODERN_ACCESS_TTL", "MODERN_REFRESH_TTL"),
    "platform": ("PLATFORM_ACCESS_TTL", "PLATFORM_REFRESH_TTL"),
    "v4": ("V4_TOKEN_TTL", "V4_TOKEN_TTL"),
    "its": ("JWT_ACCESS_TTL", "JWT_REFRESH_TTL"),
}

EXTENSION_KEY = "lingo.settings"


@dataclass(frozen=True)
class Settings:
    """What the services need from the configuration (keys in ``docs/configuration.md``).

    :ivar token_lifetimes: dialect name → (access seconds, refresh seconds).
    :ivar refresh_reuse_grace: ``REFRESH_REUSE_GRACE`` kept within 0 … :data:`MAX_REUSE_GRACE` s.
    :ivar sms_allowed_regions: the raw ``SMS_ALLOWED_REGIONS`` (a list or ``"CN,HK"``).
    """

    secret_key: str
    app_id: str
    timezone: ZoneInfo
    jwt_issuer: str
    token_lifetimes: Mapping[str, tuple[int, int]]
    refresh_reuse_grace: timedelta
    code_ttl: int
    code_max_attempts: int
    code_resend_seconds: int
    code_sends_per_day: int
    code_sends_per_ip_hour: int
    code_failures_per_hour: int
    code_failures_per_account_hour: int
    reset_attempts_per_phone_hour: int
    reset_attempts_per_ip_hour: int
    sms_allowed_regions: Any
    test_otp: str
    argon2_time_cost: int
    argon2_memory_cost: int
    argon2_parallelism: int
    feedback_per_user_max: int
    push_bindings_per_user_max: int
    password_failures_before_lock: int
    password_lock_window: int
    password_lock_seconds: int
    account_delete_grace: timedelta
    audit_retention: timedelta
    session_retention: timedelta


def from_config(config: Mapping[str, Any]) -> Settings:
    """Build :class:`Settings` from a Flask configuration mapping."""
    grace = float(config.get("REFRESH_REUSE_GRACE", MAX_REUSE_GRACE) or 0)
    return Settings(
        secret_key=str(config.get("SECRET_KEY") or ""),
        app_id=str(config.get("APP_ID") or ""),
        timezone=ZoneInfo(str(config["TIMEZONE"])),
        jwt_issuer=str(config["JWT_ISSUER"]),
        token_lifetimes={
            dialect: (int(config[access]), int(config[refresh]))
            for dialect, (access, refresh) in TOKEN_LIFETIME_KEYS.items()
        },
        refresh_reuse_grace=timedelta(seconds=min(max(grace, 0.0), MAX_REUSE_GRACE)),
        code_ttl=int(config["CODE_TTL"]),
        code_max_attempts=int(config["CODE_MAX_ATTEMPTS"]),
        code_resend_seconds=int(config["CODE_RESEND_SECONDS"]),
        code_sends_per_day=int(config["CODE_SENDS_PER_DAY"]),
        code_sends_per_ip_hour=int(config["CODE_SENDS_PER_IP_HOUR"]),
        code_failures_per_hour=int(config["CODE_FAILURES_PER_HOUR"]),
        code_failures_per_account_hour=int(config["CODE_FAILURES_PER_ACCOUNT_HOUR"]),
        reset_attempts_per_phone_hour=int(config["RESET_ATTEMPTS_PER_PHONE_HOUR"]),
        reset_attempts_per_ip_hour=int(config["RESET_ATTEMPTS_PER_IP_HOUR"]),
        sms_allowed_regions=config.get("SMS_ALLOWED_REGIONS"),
        test_otp=str(config.get("TEST_OTP") or ""),
        argon2_time_cost=int(config["ARGON2_TIME_COST"]),
        argon2_memory_cost=int(config["ARGON2_MEMORY_COST"]),
        argon2_parallelism=int(config["ARGON2_PARALLELISM"]),
        feedback_per_user_max=int(config["FEEDBACK_PER_USER_MAX"]),
        push_bindings_per_user_max=int(config["PUSH_BINDINGS_PER_USER_MAX"]),
        password_failures_before_lock=int(config["PASSWORD_FAILURES_BEFORE_LOCK"]),
        password_lock_window=int(config["PASSWORD_LOCK_WINDOW"]),
        password_lock_seconds=int(config["PASSWORD_LOCK_SECONDS"]),
        account_delete_grace=timedelta(days=float(config["ACCOUNT_DELETE_GRACE"])),
        audit_retention=timedelta(days=float(config["AUDIT_RETENTION_DAYS"])),
        session_retention=timedelta(days=float(config["SESSION_RETENTION_DAYS"])),
    )


def init_app(app: Flask) -> None:
    """Build the app's :class:`Settings` (after its configuration is final and checked)."""
    app.extensions[EXTENSION_KEY] = from_config(app.config)


def current() -> Settings:
    """The :class:`Settings` of the app handling the current request or command."""
    settings: Settings = current_app.extensions[EXTENSION_KEY]
    return settings
