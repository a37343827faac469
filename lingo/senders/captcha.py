"""Captcha verifiers: ask the captcha provider whether a client solved its challenge.

``CAPTCHA_PROVIDER`` picks one (``aliyun``: Captcha 2.0
``VerifyIntelligentCaptcha``; ``tencent``: ``DescribeCaptchaResult``); empty
means no captcha. A verifier answers a rejected proof with
``DomainError(Error.CAPTCHA_INVALID)`` and a provider it cannot reach (time-out,
connection error, 5xx, its own configuration error) with
:class:`CaptchaUnavailable`; whether that lets the send through is the
caller's choice (``CAPTCHA_FAIL_OPEN``).

The client's proof (the ``captcha`` field of ``send_code``) is, for Aliyun,
the ``captchaVerifyParam`` string its web/app SDK returns; for Tencent, an
object ``{"ticket": ..., "randstr": ...}`` (or that object as a JSON string).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from .sms import provider


class CaptchaUnavailable(Exception):
    """The captcha provider could not give an answer.

    :ivar provider: ``aliyun`` or ``tencent``.
    :ivar provider_code: the provider's error code, or ``timeout`` / ``connection`` / ``http_<n>``.
    :ivar request_id: the provider's request id when one came back.
    """

    def __init__(self, provider: str, provider_code: str, request_id: str = "") -> None:
        super().__init__(f"{provider} captcha unavailable: {provider_code}")
        self.provider = provider
        self.provider_code = provider_code
        self.request_id = request_id


class CaptchaVerifier(Protocol):
    """Checks one captcha proof with the provider."""

    def verify(self, proof: Any, *, ip: str) -> None:
        """Check ``proof`` (the client's ``captcha`` field; never ``None``) for a client at ``ip``.

        :raises lingo.errors.DomainError: ``CAPTCHA_INVALID`` when the provider
            rejects it or it is malformed.
        :raises CaptchaUnavailable: when the provider gives no answer.
        """


CAPTCHA_PROVIDERS: dict[str, Callable[[Mapping[str, Any]], CaptchaVerifier]] = {
    "aliyun": provider("aliyun", "AliyunCaptcha", "aliyun"),
    "tencent": provider("tencent", "TencentCaptcha", "tencent"),
}
