"""Message senders and the captcha verifier behind one small interface each, chosen by configuration.

``SMS_BACKEND`` picks the SMS sender (``console``, ``aliyun``, ``tencent``,
``webhook`` or ``outbox``), ``SMS_FALLBACK_BACKEND`` an optional second one
(:class:`~lingo.senders.sms.FailoverSender`), and ``MAIL_BACKEND`` the email
sender (``console``, ``smtp`` or ``outbox``). A sender raises
:class:`~lingo.errors.DomainError` with ``SMS_ARREARS``, ``SMS_FAILED``,
``SMS_UNAVAILABLE``, ``SEND_TOO_FREQUENT``, ``INVALID_INPUT`` or
``EMAIL_UNAVAILABLE`` when the provider refuses. ``PUSH_BACKEND`` picks the
push sender (``console`` or ``webhook``); see :mod:`lingo.senders.push`.
``CAPTCHA_PROVIDER`` picks the captcha verifier (:mod:`lingo.senders.captcha`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, current_app

from .captcha import CAPTCHA_PROVIDERS, CaptchaVerifier
from .email import EMAIL_BACKENDS
from .push import PUSH_BACKENDS, PushSender
from .sms import SMS_BACKENDS, CodeSender, FailoverSender

#: Dialects whose send endpoints can require a captcha (``CAPTCHA_DIALECTS``).
CAPTCHA_DIALECT_NAMES = ("modern", "platform", "v4")


def _build(app: Flask, key: str, backends: Mapping[str, Callable[[Mapping[str, Any]], Any]]) -> Any:
    name = app.config[key]
    try:
        factory = backends[name]
    except (KeyError, TypeError) as exc:
        raise RuntimeError(f"unknown {key} {name!r}; choose one of {sorted(backends)}") from exc
    return factory(app.config)


def _flag(app: Flask, key: str) -> bool:
    """A true/false setting; anything else is refused (``"False"`` would be truthy)."""
    value = app.config.get(key)
    if not isinstance(value, bool):
        raise RuntimeError(f"{key} must be true or false, not {value!r}")
    return value


def _check_production_sms(app: Flask) -> None:
    """Production delivers codes: no in-memory outbox, and the console only when allowed explicitly."""
    cfg = app.config
    allow_console = _flag(app, "ALLOW_CONSOLE_SMS")
    if cfg["ENV_NAME"] != "production":
        return
    for key in ("SMS_BACKEND", "SMS_FALLBACK_BACKEND"):
        if cfg.get(key) == "outbox":
            raise RuntimeError(f"{key}=outbox keeps codes in memory (tests only): refused in production")
        if cfg.get(key) == "console" and not allow_console:
            raise RuntimeError(
                f"production needs a real {key} (aliyun, tencent or webhook): the console sender "
                "delivers no code; set ALLOW_CONSOLE_SMS=true to run without SMS on purpose"
            )


def _sms(app: Flask) -> CodeSender:
    cfg = app.config
    _check_production_sms(app)
    sender = _build(app, "SMS_BACKEND", SMS_BACKENDS)
    if not cfg.get("SMS_FALLBACK_BACKEND"):
        return sender
    if cfg["SMS_FALLBACK_BACKEND"] == cfg["SMS_BACKEND"]:
        raise RuntimeError("SMS_FALLBACK_BACKEND must name another provider than SMS_BACKEND")
    return FailoverSender(sender, _build(app, "SMS_FALLBACK_BACKEND", SMS_BACKENDS))


def _captcha(app: Flask) -> CaptchaVerifier | None:
    cfg = app.config
    dialects = cfg.get("CAPTCHA_DIALECTS") or []
    if isinstance(dialects, str):  # LINGO_CAPTCHA_DIALECTS=modern,platform (not JSON)
        dialects = [name.strip() for name in dialects.split(",") if name.strip()]
        cfg["CAPTCHA_DIALECTS"] = dialects
    unknown = sorted(set(dialects) - set(CAPTCHA_DIALECT_NAMES))
    if unknown:
        raise RuntimeError(f"CAPTCHA_DIALECTS: unknown dialect(s) {unknown}; choose from {list(CAPTCHA_DIALECT_NAMES)}")
    if len({"modern", "platform"} & set(dialects)) == 1:
        # One path, /api/auth/send_code, serves both: a bot would switch body shape.
        raise RuntimeError("CAPTCHA_DIALECTS: modern and platform share /api/auth/send_code; list both or neither")
    _flag(app, "CAPTCHA_FAIL_OPEN")
    if not cfg.get("CAPTCHA_PROVIDER"):
        if dialects:
            raise RuntimeError("CAPTCHA_DIALECTS is set but CAPTCHA_PROVIDER is not (aliyun or tencent)")
        return None
    return _build(app, "CAPTCHA_PROVIDER", CAPTCHA_PROVIDERS)


def init_app(app: Flask) -> None:
    """Build the configured senders and captcha verifier and keep them in ``app.extensions``.

    :raises RuntimeError: for an unknown backend name, an incomplete provider,
        SMTP or webhook configuration, a provider whose SDK is not installed,
        or the console SMS sender in production without ``ALLOW_CONSOLE_SMS``.
    """
    app.extensions["lingo.sms"] = _sms(app)
    app.extensions["lingo.email"] = _build(app, "MAIL_BACKEND", EMAIL_BACKENDS)
    app.extensions["lingo.push"] = _build(app, "PUSH_BACKEND", PUSH_BACKENDS)
    app.extensions["lingo.captcha"] = _captcha(app)


def sms_sender() -> CodeSender:
    """The application's SMS sender."""
    return current_app.extensions["lingo.sms"]


def email_sender() -> CodeSender:
    """The application's email sender."""
    return current_app.extensions["lingo.email"]


def captcha_verifier() -> CaptchaVerifier | None:
    """The application's captcha verifier (``None`` without ``CAPTCHA_PROVIDER``)."""
    return current_app.extensions["lingo.captcha"]


def push_sender() -> PushSender:
    """The application's push sender."""
    return current_app.extensions["lingo.push"]
