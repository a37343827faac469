"""Push senders: the interface, the console sender and the webhook sender.

The service layer hands every push a manager sends to the configured sender
(``PUSH_BACKEND``) as a :class:`PushNotice`. A sender raises
:class:`PushDeliveryError` when the push could not be handed over; the
service then records ``push_status`` 2 (failed) instead of failing the request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from .webhook import WebhookFailure, check_url, post_signed

log = logging.getLogger("lingo.push")


@dataclass(frozen=True)
class PushNotice:
    """What a push sender delivers.

    :ivar push_id: the push message's id (its log entry).
    :ivar title: ``push_title``.
    :ivar body: ``push_body``.
    :ivar audience: ``"all"`` or ``"users"``.
    :ivar user_ids: the addressed users (``audience == "users"``), else ``[]``.
    :ivar client_ids: push client ids of the addressed, active users whose switch is on.
    :ivar sent_at: ISO 8601 UTC time of sending (lets a receiver refuse replays).
    """

    push_id: int
    title: str
    body: str
    audience: str
    user_ids: list[int] = field(default_factory=list)
    client_ids: list[str] = field(default_factory=list)
    sent_at: str = ""


class PushDeliveryError(Exception):
    """The push could not be handed to the provider."""


class PushSender(Protocol):
    """Delivers one push notice to a push provider."""

    def send(self, notice: PushNotice) -> None:
        """Deliver ``notice``.

        :raises PushDeliveryError: when the provider refuses or cannot be reached.
        """


class ConsolePushSender:
    """Development sender: logs that a push went out (title and audience size, no more)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        pass

    def send(self, notice: PushNotice) -> None:
        log.info(
            "console push sender: push %s %r to %s (%d devices)",
            notice.push_id,
            notice.title,
            notice.audience,
            len(notice.client_ids),
        )


class WebhookPushSender:
    """POSTs each notice as JSON to ``PUSH_WEBHOOK_URL``, signed with ``PUSH_WEBHOOK_SECRET``.

    Any answer other than 2xx, a redirect, a timeout (``PUSH_WEBHOOK_TIMEOUT``
    seconds) or a network error is a :class:`PushDeliveryError`.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.url = str(config.get("PUSH_WEBHOOK_URL") or "")
        self.secret = str(config.get("PUSH_WEBHOOK_SECRET") or "")
        self.timeout = float(config.get("PUSH_WEBHOOK_TIMEOUT") or 5)
        check_url(self.url, "PUSH_BACKEND=webhook", "PUSH_WEBHOOK_URL")
        if not self.secret:
            raise RuntimeError("PUSH_BACKEND=webhook needs PUSH_WEBHOOK_SECRET")

    def send(self, notice: PushNotice) -> None:
        try:
            post_signed(self.url, self.secret, asdict(notice), connect_timeout=self.timeout, read_timeout=self.timeout)
        except WebhookFailure as exc:
            raise PushDeliveryError(f"webhook failed: {exc.reason}") from exc


PUSH_BACKENDS: dict[str, Callable[[Mapping[str, Any]], PushSender]] = {
    "console": ConsolePushSender,
    "webhook": WebhookPushSender,
}
