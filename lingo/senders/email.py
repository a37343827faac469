"""Email code senders: console (development), SMTP, and the in-memory outbox for tests.

All of them follow :class:`~lingo.senders.sms.CodeSender`. The SMTP sender
turns every delivery failure (connection refused, timeout, TLS or
authentication failure, a password smtplib cannot encode, refused recipient) into
``DomainError(Error.EMAIL_UNAVAILABLE)``; it never logs the code or the
SMTP password.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from ..errors import DomainError, Error
from ..ops import metrics
from .sms import SCENE_ANY, CodeSender, ConsoleSender, Delivery, Outbox, mask

log = logging.getLogger("lingo.email")

SUBJECT = "验证码 / Verification code"


def code_message(sender: str, to: str, code: str, ttl: int) -> EmailMessage:
    """The email that carries a verification code (plain text, Chinese and English)."""
    minutes = max(1, ttl // 60)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = SUBJECT
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    msg.set_content(
        f"您的验证码是 {code}，{minutes} 分钟内有效。请勿将验证码告诉他人。\n\n"
        f"Your verification code is {code}. It is valid for {minutes} minutes. "
        "Do not share it with anyone.\n"
    )
    return msg


class ConsoleEmailSender(ConsoleSender):
    """Development sender: logs on ``lingo.email`` instead of mailing.

    The code is logged only when ``CONSOLE_SHOWS_CODE`` is on (Development).
    """

    log = log


class SmtpSender:
    """Sends the code by SMTP, configured by the ``MAIL_*`` keys.

    ``MAIL_USE_SSL`` connects with implicit TLS (usually port 465);
    ``MAIL_USE_TLS`` upgrades a plain connection with STARTTLS (usually 587).
    Logs in when ``MAIL_USERNAME`` is set.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.host = str(config.get("MAIL_HOST") or "localhost")
        self.port = int(config.get("MAIL_PORT") or 25)
        self.use_tls = bool(config.get("MAIL_USE_TLS"))
        self.use_ssl = bool(config.get("MAIL_USE_SSL"))
        # from_prefixed_env parses JSON: a numeric password arrives as an int.
        self.username = str(config.get("MAIL_USERNAME") or "")
        self._password = str(config.get("MAIL_PASSWORD") or "")
        self.sender = str(config.get("MAIL_FROM") or "")
        self.timeout = float(config.get("MAIL_TIMEOUT") or 10)
        if not self.sender:
            raise RuntimeError("MAIL_BACKEND=smtp needs MAIL_FROM (the sender address)")
        if self.use_tls and self.use_ssl:
            raise RuntimeError("set only one of MAIL_USE_TLS (STARTTLS) and MAIL_USE_SSL (implicit TLS)")

    def __repr__(self) -> str:
        return f"SmtpSender({self.host!r}, {self.port}, user={self.username!r})"

    def _connect(self) -> smtplib.SMTP:
        if self.use_ssl:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def send_code(self, to: str, code: str, ttl: int, scene: str = SCENE_ANY) -> Delivery:
        """Mail ``code`` to ``to`` (one message for every scene).

        :raises DomainError: ``EMAIL_UNAVAILABLE`` when the message was not accepted.
        """
        message = code_message(self.sender, to, code, ttl)
        try:
            with self._connect() as smtp:
                if self.use_tls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self._password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            # ValueError: smtplib encodes AUTH and commands as ASCII (UnicodeEncodeError).
            # Only the failure's type: server replies may echo what we sent.
            log.error(
                "smtp sender: mail to %s via %s:%s failed: %s", mask(to), self.host, self.port, type(exc).__name__
            )
            metrics.delivery_failed("smtp", Error.EMAIL_UNAVAILABLE.key)
            raise DomainError(Error.EMAIL_UNAVAILABLE) from exc
        log.info("smtp sender: a code for %s accepted by %s:%s", mask(to), self.host, self.port)
        return Delivery("smtp")


EMAIL_BACKENDS: dict[str, Callable[[Mapping[str, Any]], CodeSender]] = {
    "console": ConsoleEmailSender,
    "smtp": SmtpSender,
    "outbox": Outbox,
}
