"""SMS through the operator's own HTTP endpoint (``SMS_BACKEND=webhook``).

For a provider lingo has no sender for: lingo POSTs
``{"phone": "+8613800000000", "code": "123456", "ttl": 300, "scene": "any"}``
to ``SMS_WEBHOOK_URL``, signed like the push webhook
(``X-Lingo-Signature: sha256=<HMAC-SHA256(body)>`` keyed with
``SMS_WEBHOOK_SECRET``), and reads the answer's status:

======================  ==========================
answer                  lingo's error
======================  ==========================
2xx                     sent (``request_id`` from a JSON body, if any)
402                     ``sms_arrears``
429                     ``send_too_frequent``
400, 422                ``invalid_input`` (the number)
401, 403, 5xx,          ``sms_unavailable`` (fails over)
time-out, no connection
any other               ``sms_failed``
======================  ==========================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import Error
from .sms import SCENE_ANY, Delivery, failure, required, timeouts
from .webhook import WebhookFailure, check_url, post_signed

PROVIDER = "webhook"

#: HTTP status of the operator's answer → domain error (everything else: ``sms_failed``).
STATUS_ERRORS: dict[int, Error] = {
    402: Error.SMS_ARREARS,
    429: Error.SEND_TOO_FREQUENT,
    400: Error.INVALID_INPUT,
    422: Error.INVALID_INPUT,
    401: Error.SMS_UNAVAILABLE,
    403: Error.SMS_UNAVAILABLE,
}


def error_for(failure_: WebhookFailure) -> Error:
    """The domain error for a failed POST (the table above)."""
    if failure_.status == 0 or failure_.status >= 500:
        return Error.SMS_UNAVAILABLE
    return STATUS_ERRORS.get(failure_.status, Error.SMS_FAILED)


def _request_id(answer: bytes) -> str:
    try:
        data = json.loads(answer or b"null")
    except ValueError:
        return ""
    value = data.get("request_id") if isinstance(data, dict) else None
    return str(value)[:64] if value is not None else ""


class WebhookSmsSender:
    """POSTs each code as signed JSON to ``SMS_WEBHOOK_URL``."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        keys = required(config, "SMS_BACKEND=webhook", ["SMS_WEBHOOK_URL", "SMS_WEBHOOK_SECRET"])
        self.url = check_url(keys["SMS_WEBHOOK_URL"], "SMS_BACKEND=webhook", "SMS_WEBHOOK_URL")
        self._secret = keys["SMS_WEBHOOK_SECRET"]
        self.connect_timeout, self.read_timeout = timeouts(config)

    def __repr__(self) -> str:
        return f"WebhookSmsSender({self.url!r})"

    def send_code(self, to: str, code: str, ttl: int, scene: str = SCENE_ANY) -> Delivery:
        """POST the code; see the module's table for how answers map.

        :raises lingo.senders.sms.SmsDeliveryError: when the answer is not 2xx.
        """
        payload = {"phone": to, "code": code, "ttl": int(ttl), "scene": scene}
        try:
            answer = post_signed(
                self.url, self._secret, payload, connect_timeout=self.connect_timeout, read_timeout=self.read_timeout
            )
        except WebhookFailure as exc:
            raise failure(
                PROVIDER, error_for(exc), to, provider_code=exc.reason, request_id=_request_id(exc.body)
            ) from exc
        return Delivery(PROVIDER, _request_id(answer))
