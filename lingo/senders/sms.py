"""SMS code senders: the interface, the console sender and the in-memory outbox."""
from __future__ import annotations

import logging
from typing import Any, Callable, Mapping, Protocol

log = logging.getLogger("lingo.sms")


class CodeSender(Protocol):
    """Delivers a verification code to a phone number or an email address."""

    def send_code(self, to: str, code: str, ttl: int) -> None:
        """Deliver ``code`` (valid ``ttl`` seconds) to ``to``.

        :raises lingo.errors.DomainError: with a ``SMS_*`` / ``EMAIL_*`` error
            when the provider refuses or cannot be reached.
        """


def mask(to: str) -> str:
    """Hide the middle of a phone number or the local part of an email for logs."""
    if "@" in to:
        local, _, domain = to.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{to[:5]}****{to[-2:]}" if len(to) > 7 else "****"


class ConsoleSender:
    """Development sender: logs the message instead of sending it.

    The code itself is logged only when ``CONSOLE_SHOWS_CODE`` is on (the
    Development config); otherwise the log line says a code was sent, no more.
    """

    #: Where the messages go (the email console sender uses its own logger).
    log = log

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.shows_code = bool(config.get("CONSOLE_SHOWS_CODE"))

    def send_code(self, to: str, code: str, ttl: int) -> None:
        if self.shows_code:
            self.log.warning("console sender: code %s for %s (valid %ss)", code, mask(to), ttl)
        else:
            self.log.info("console sender: a code for %s (valid %ss)", mask(to), ttl)


class Outbox:
    """Test sender: keeps every message in memory, in order.

    ``fail_with`` (an :class:`~lingo.errors.Error`) makes every send fail that way.
    """

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.messages: list[tuple[str, str]] = []
        self.fail_with = None

    def send_code(self, to: str, code: str, ttl: int) -> None:
        if self.fail_with is not None:
            from ..errors import DomainError

            raise DomainError(self.fail_with)
        self.messages.append((to, code))

    def last_code(self, to: str) -> str | None:
        """The latest code sent to ``to``, or ``None``."""
        for dest, code in reversed(self.messages):
            if dest == to:
                return code
        return None


SMS_BACKENDS: dict[str, Callable[[Mapping[str, Any]], CodeSender]] = {
    "console": ConsoleSender,
    "outbox": Outbox,
}
