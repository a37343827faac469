"""SMS code senders: the interface, what every provider shares, console, outbox and failover.

A sender is told who gets the code, the code, its lifetime and the *scene*
(why it is sent: :data:`SCENE_ANY` for sign-in and registration,
:data:`SCENE_RESET` for the v4 password reset). Provider senders pick the
template of the scene, or the international template for numbers outside
mainland China (:func:`template_for`). A failure is raised as
:class:`SmsDeliveryError`, a :class:`~lingo.errors.DomainError` carrying the
provider's own code and request id; it is logged once by :func:`failure`,
with the phone masked and never the code.

Provider senders live in their own modules (:mod:`lingo.senders.aliyun`,
:mod:`lingo.senders.tencent`, :mod:`lingo.senders.sms_webhook`) and are
imported only when configured: their SDKs are optional extras.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from ..errors import DomainError, Error
from ..ops import metrics

log = logging.getLogger("lingo.sms")

#: Sign-in and registration (modern, platform, v4 ``expect=0``): the default template.
SCENE_ANY = "any"
#: The v4 password reset (``expect=1``): its own template when configured.
SCENE_RESET = "reset"
#: Numbers outside mainland China: a template of their own (providers' international rules).
SCENE_INTERNATIONAL = "international"
SCENES = (SCENE_ANY, SCENE_RESET)


@dataclass(frozen=True)
class Delivery:
    """What a sender reports for a message it handed over.

    :ivar provider: ``console``, ``aliyun``, ``tencent``, ``webhook`` ...
    :ivar request_id: the provider's request id (``""`` when it has none).
    :ivar template: the template the message used (``""`` when none).
    """

    provider: str
    request_id: str = ""
    template: str = ""


class CodeSender(Protocol):
    """Delivers a verification code to a phone number or an email address."""

    def send_code(self, to: str, code: str, ttl: int, scene: str = SCENE_ANY) -> Delivery:
        """Deliver ``code`` (valid ``ttl`` seconds) to ``to`` for ``scene``.

        :raises lingo.errors.DomainError: with a ``SMS_*`` / ``EMAIL_*`` error
            (or ``SEND_TOO_FREQUENT`` / ``INVALID_INPUT`` as the provider says)
            when the provider refuses or cannot be reached.
        """


class SmsDeliveryError(DomainError):
    """A provider's refusal, mapped to the error table.

    :ivar provider: the sender's provider name.
    :ivar provider_code: the provider's own error code, or a transport
        failure's name (``timeout``, ``connection``, ``bad_response``,
        ``http_<status>`` where the sender can read the status).
    :ivar request_id: the provider's request id, ``""`` when none came back.
    """

    def __init__(self, error: Error, *, provider: str, provider_code: str, request_id: str = "") -> None:
        details = None
        if error is Error.INVALID_INPUT:
            msg = "the SMS provider refused this phone number"
            details = [{"loc": ["body", "phone"], "msg": msg, "type": "value_error"}]
        super().__init__(error, details=details)
        self.provider = provider
        self.provider_code = provider_code
        self.request_id = request_id

    @property
    def maybe_delivered(self) -> bool:
        """Whether the provider may have sent the message anyway: it took the request and timed out."""
        return self.provider_code == "timeout"


#: Mapped errors that are the caller's or the number's doing: logged at WARNING, others at ERROR.
_WARNINGS = {Error.SEND_TOO_FREQUENT, Error.INVALID_INPUT}


def failure(
    provider: str,
    error: Error,
    to: str,
    *,
    provider_code: str,
    request_id: str = "",
    detail: str = "",
    code: str = "",
) -> SmsDeliveryError:
    """Log a delivery failure once, count it (:func:`lingo.ops.metrics.delivery_failed`) and return
    the exception to raise.

    :param detail: the provider's message; logged on one line with ``code``
        and the number hidden (:func:`scrub`): providers' messages may quote
        the request they refuse.
    :param code: the code that was being sent.
    """
    level = logging.WARNING if error in _WARNINGS else logging.ERROR
    detail = scrub(detail, to, code)
    log.log(
        level,
        "%s sms: sending to %s failed: %s (provider code %s, request id %s)%s",
        provider,
        mask(to),
        error.key,
        provider_code or "-",
        request_id or "-",
        f": {detail[:200]}" if detail else "",
    )
    metrics.delivery_failed(provider, error.key)
    return SmsDeliveryError(error, provider=provider, provider_code=provider_code, request_id=request_id)


def mask(to: str) -> str:
    """Hide the middle of a phone number or the local part of an email for logs."""
    if "@" in to:
        local, _, domain = to.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{to[:5]}****{to[-2:]}" if len(to) > 7 else "****"


def scrub(text: str, to: str, code: str = "") -> str:
    """``text`` on one line (no forged log lines), ``code`` and every form of the number ``to`` hidden.

    Providers' messages may quote the request they refuse (Aliyun's
    ``SignatureDoesNotMatch`` quotes the string it signed, the number and the
    template parameters included).
    """
    text = " ".join(text.split())
    if code:
        text = text.replace(code, "******")
    forms = {to, to.lstrip("+"), national_digits(to)} - {""}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, mask(to))
    return text


def is_mainland(to: str) -> bool:
    """Whether the E.164 number ``to`` is a mainland China number (+86)."""
    return to.startswith("+86")


def national_digits(to: str) -> str:
    """The E.164 number ``to`` as Chinese providers write it: digits only, mainland ones without 86.

    ``+8613800138000`` → ``13800138000`` (the 11-digit national number);
    ``+85291234567`` → ``85291234567`` (others keep their country code).
    """
    to = to.strip()
    digits = to.lstrip("+")
    return digits[2:] if is_mainland(to) else digits


def template_for(to: str, scene: str, templates: Mapping[str, str]) -> str:
    """The template for ``scene``: international numbers' own, the scene's own, else ``any``'s.

    :param templates: scene (``any``, ``reset``, ``international``) → template; empty values unset.
    """
    if not is_mainland(to) and templates.get(SCENE_INTERNATIONAL):
        return templates[SCENE_INTERNATIONAL]
    return templates.get(scene) or templates[SCENE_ANY]


def scene_templates(config: Mapping[str, Any], any_key: str, reset_key: str, international_key: str) -> dict[str, str]:
    """The scene → template table (for :func:`template_for`) from a provider's three settings.

    The ``any_key`` template is required (check it with :func:`required`);
    the other two may be empty (unset: ``any``'s is used).
    """
    return {
        scene: str(config.get(key) or "").strip()
        for scene, key in ((SCENE_ANY, any_key), (SCENE_RESET, reset_key), (SCENE_INTERNATIONAL, international_key))
    }


def minutes(ttl: int) -> int:
    """A code's lifetime in whole minutes for the message text (rounded up, at least 1)."""
    return max(1, -(-int(ttl) // 60))


def required(config: Mapping[str, Any], backend: str, keys: list[str]) -> dict[str, str]:
    """Read the settings ``keys`` that a provider cannot work without.

    :raises RuntimeError: naming the first missing key.
    """
    values = {key: str(config.get(key) or "").strip() for key in keys}
    for key, value in values.items():
        if not value:
            raise RuntimeError(f"{backend} needs {key} (LINGO_{key})")
    return values


def endpoint(value: str) -> tuple[str, str]:
    """Split an endpoint setting into ``(scheme, host[:port])``.

    ``dysmsapi.aliyuncs.com`` is ``("https", ...)``; ``http://127.0.0.1:8080``
    keeps its scheme (a local test server or an outbound proxy).
    """
    value = value.strip()
    if "://" not in value:
        return "https", value.rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RuntimeError(f"endpoint {value!r} must be host[:port] or http(s)://host[:port]")
    return parts.scheme, parts.netloc


def timeouts(config: Mapping[str, Any]) -> tuple[float, float]:
    """``(SMS_CONNECT_TIMEOUT, SMS_READ_TIMEOUT)`` in seconds."""
    return float(config.get("SMS_CONNECT_TIMEOUT") or 2), float(config.get("SMS_READ_TIMEOUT") or 3)


class ConsoleSender:
    """Development sender: logs the message instead of sending it.

    The code itself is logged only when ``CONSOLE_SHOWS_CODE`` is on (the
    Development config); otherwise the log line says a code was sent, no more.
    """

    #: Where the messages go (the email console sender uses its own logger).
    log = log

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.shows_code = bool(config.get("CONSOLE_SHOWS_CODE"))

    def send_code(self, to: str, code: str, ttl: int, scene: str = SCENE_ANY) -> Delivery:
        if self.shows_code:
            self.log.warning("console sender: %s code %s for %s (valid %ss)", scene, code, mask(to), ttl)
        else:
            self.log.info("console sender: a %s code for %s (valid %ss)", scene, mask(to), ttl)
        return Delivery("console")


class Outbox:
    """Test sender: keeps every message in memory, in order.

    ``fail_with`` (an :class:`~lingo.errors.Error`) makes every send fail that way.
    """

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.messages: list[tuple[str, str]] = []
        self.scenes: list[str] = []
        self.fail_with: Error | None = None

    def send_code(self, to: str, code: str, ttl: int, scene: str = SCENE_ANY) -> Delivery:
        if self.fail_with is not None:
            raise DomainError(self.fail_with)
        self.messages.append((to, code))
        self.scenes.append(scene)
        return Delivery("outbox")

    def last_code(self, to: str) -> str | None:
        """The latest code sent to ``to``, or ``None``."""
        for dest, code in reversed(self.messages):
            if dest == to:
                return code
        return None


class FailoverSender:
    """Sends through ``primary``; when it answers ``sms_unavailable``, once through ``fallback``.

    Arrears, frequency, invalid-number and other refusals are the provider's
    answer about this message or this account and do not fail over.
    """

    def __init__(self, primary: CodeSender, fallback: CodeSender) -> None:
        self.primary = primary
        self.fallback = fallback

    def send_code(self, to: str, code: str, ttl: int, scene: str = SCENE_ANY) -> Delivery:
        try:
            return self.primary.send_code(to, code, ttl, scene)
        except DomainError as exc:
            if exc.error is not Error.SMS_UNAVAILABLE:
                raise
            primary_error = exc
            log.warning("sms: primary sender unavailable, sending to %s through the fallback", mask(to))
        try:
            return self.fallback.send_code(to, code, ttl, scene)
        except DomainError as exc:
            if getattr(primary_error, "maybe_delivered", False):
                # The primary timed out and may still deliver: say so, so the code stays live.
                raise primary_error from exc
            raise


def provider(module: str, name: str, extra: str = "") -> Callable[[Mapping[str, Any]], Any]:
    """A factory that imports ``lingo.senders.<module>`` (and its SDK) only when it is used.

    :param extra: the ``setup.cfg`` extra that installs the SDK, named in the
        start-up error when it is missing.
    """

    def build(config: Mapping[str, Any]) -> Any:
        try:
            mod = importlib.import_module(f"lingo.senders.{module}")
        except ImportError as exc:
            if not extra:
                raise
            raise RuntimeError(
                f"{name} needs the provider's SDK: pip install 'lingo[{extra}]' ({exc.name} is missing)"
            ) from exc
        return getattr(mod, name)(config)

    return build


SMS_BACKENDS: dict[str, Callable[[Mapping[str, Any]], CodeSender]] = {
    "console": ConsoleSender,
    "outbox": Outbox,
    "aliyun": provider("aliyun", "AliyunSmsSender", "aliyun"),
    "tencent": provider("tencent", "TencentSmsSender", "tencent"),
    "webhook": provider("sms_webhook", "WebhookSmsSender"),
}
