"""Message senders behind one small interface each, chosen by configuration.

``SMS_BACKEND`` picks the SMS sender (``console`` or ``outbox``). A sender
raises :class:`~lingo.errors.DomainError` with ``SMS_ARREARS``, ``SMS_FAILED``
or ``SMS_UNAVAILABLE`` when the provider refuses.
"""
from __future__ import annotations

from flask import Flask, current_app

from .sms import SMS_BACKENDS, CodeSender


def init_app(app: Flask) -> None:
    """Build the configured senders and keep them in ``app.extensions``.

    :raises RuntimeError: for an unknown backend name.
    """
    name = app.config["SMS_BACKEND"]
    try:
        factory = SMS_BACKENDS[name]
    except KeyError:
        raise RuntimeError(f"unknown SMS_BACKEND {name!r}; choose one of {sorted(SMS_BACKENDS)}")
    app.extensions["lingo.sms"] = factory(app.config)


def sms_sender() -> CodeSender:
    """The application's SMS sender."""
    return current_app.extensions["lingo.sms"]
