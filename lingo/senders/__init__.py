"""Message senders behind one small interface each, chosen by configuration.

``SMS_BACKEND`` picks the SMS sender (``console`` or ``outbox``) and
``MAIL_BACKEND`` the email sender (``console``, ``smtp`` or ``outbox``). A
sender raises :class:`~lingo.errors.DomainError` with ``SMS_ARREARS``,
``SMS_FAILED``, ``SMS_UNAVAILABLE`` or ``EMAIL_UNAVAILABLE`` when the
provider refuses. ``PUSH_BACKEND`` picks the push sender (``console`` or
``webhook``); see :mod:`lingo.senders.push`.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from flask import Flask, current_app

from .email import EMAIL_BACKENDS
from .push import PUSH_BACKENDS, PushSender
from .sms import SMS_BACKENDS, CodeSender


def _build(app: Flask, key: str, backends: Mapping[str, Callable[[Mapping[str, Any]], Any]]) -> Any:
    name = app.config[key]
    try:
        factory = backends[name]
    except KeyError:
        raise RuntimeError(f"unknown {key} {name!r}; choose one of {sorted(backends)}")
    return factory(app.config)


def init_app(app: Flask) -> None:
    """Build the configured senders and keep them in ``app.extensions``.

    :raises RuntimeError: for an unknown backend name or an incomplete SMTP or
        webhook configuration.
    """
    app.extensions["lingo.sms"] = _build(app, "SMS_BACKEND", SMS_BACKENDS)
    app.extensions["lingo.email"] = _build(app, "MAIL_BACKEND", EMAIL_BACKENDS)
    app.extensions["lingo.push"] = _build(app, "PUSH_BACKEND", PUSH_BACKENDS)


def sms_sender() -> CodeSender:
    """The application's SMS sender."""
    return current_app.extensions["lingo.sms"]


def email_sender() -> CodeSender:
    """The application's email sender."""
    return current_app.extensions["lingo.email"]


def push_sender() -> PushSender:
    """The application's push sender."""
    return current_app.extensions["lingo.push"]
