"""Tencent Cloud SMS (``SMS_BACKEND=tencent``) and captcha (``CAPTCHA_PROVIDER=tencent``).

Both talk to Tencent Cloud API 3.0 through the official SDK
(``tencentcloud-sdk-python-sms`` / ``-captcha``, ``pip install 'lingo[tencent]'``):
``SendSms`` (2021-01-11) and ``DescribeCaptchaResult`` (2019-07-22), signed
TC3-HMAC-SHA256 with ``TENCENT_SECRET_ID`` / ``TENCENT_SECRET_KEY``.

How an answer maps (:data:`TENCENT_ERRORS`, one table for the API-level
``Response.Error.Code`` and the per-number ``SendStatusSet[].Code``):

* ``sms_arrears``: ``FailedOperation.InsufficientBalanceInSmsPackage``,
  ``UnauthorizedOperation.ServiceSuspendDueToArrears``;
* ``send_too_frequent``: ``LimitExceeded.PhoneNumber{ThirtySecond,OneHour,
  Daily,SameContentDaily}Limit``, ``LimitExceeded.DeliveryFrequencyLimit``;
* ``invalid_input``: ``InvalidParameterValue.IncorrectPhoneNumber``,
  ``FailedOperation.PhoneNumberParseFail``;
* ``sms_unavailable`` (fails over): ``AuthFailure.*``,
  ``UnauthorizedOperation.*``, ``InternalError.*``, ``RequestLimitExceeded.*``,
  the application's daily quotas (``LimitExceeded.App*DailyLimit``),
  an unapproved sign or template, template parameters that do not fit it, a
  time-out, no connection, a non-200 answer, an answer that is not JSON;
* ``sms_failed``: anything else (``sdk_error`` included).

The captcha verifier reads the same table: whatever maps to
``sms_unavailable`` (and ``sdk_error``: no verdict either) is
:class:`~lingo.senders.captcha.CaptchaUnavailable`, and so are the
``CaptchaCode`` values that are our misconfiguration or Tencent's fault
(:data:`CAPTCHA_UNAVAILABLE_CODES`); any other API error or ``CaptchaCode``
other than 1 is a rejected proof (so a client cannot turn its own bad input
into a fail-open pass).

What the SDK does that this module works around (SDK 3.1.195):

* it raises ``Response.Error`` only when the answer's ``Content-Type`` is
  exactly ``application/json`` (or ``text/plain``); with a charset parameter
  the typed ``SendSms`` returns an empty ``SendStatusSet`` and the code is
  lost. Calls therefore go through ``call_json`` and the ``Error`` object is
  read here as well.
* network failures are all ``ClientNetworkError`` with the ``requests``
  exception as ``__context__`` (read to tell ``timeout`` from
  ``connection``); a non-200 status is ``ServerNetworkError`` with the body as
  its message (bytes; the status itself is not kept). The body is streamed,
  so a stall *after* the headers escapes as a bare ``requests`` exception.
* ``HttpProfile(reqTimeout=...)`` is handed to ``requests`` as ``timeout=``, so
  a ``(connect, read)`` tuple gives separate time-outs.
* it takes ``HTTP(S)_PROXY`` from the environment and passes it to
  ``requests`` explicitly, after a ``NO_PROXY`` test that compares the whole
  ``host:port`` as a substring (``NO_PROXY=127.0.0.1`` does not exempt
  ``127.0.0.1:8080``). The client's explicit proxy is cleared so ``requests``
  applies the environment's proxies with its own, correct ``NO_PROXY`` rules.
* its debug log lines carry whole requests (the code, the captcha ticket):
  its logger is kept at ``WARNING`` unless someone set a level for it.
* the region breaker and the retryer are off by default; they are set off
  explicitly: a retried send may deliver two messages, and the breaker, when
  on, swaps in a backup endpoint (Tencent's, whatever the configured one) and
  drops network errors (its call returns ``None``, an ``AttributeError`` next).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, NoReturn

import requests
import urllib3
from tencentcloud.captcha.v20190722 import captcha_client
from tencentcloud.captcha.v20190722 import models as captcha_models
from tencentcloud.common.abstract_client import AbstractClient
from tencentcloud.common.abstract_model import AbstractModel
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.retry import NoopRetryer
from tencentcloud.sms.v20210111 import models as sms_models
from tencentcloud.sms.v20210111 import sms_client

from ..errors import DomainError, Error
from .captcha import CaptchaUnavailable
from .sms import (
    SCENE_ANY,
    Delivery,
    endpoint,
    failure,
    mask,
    minutes,
    required,
    scene_templates,
    template_for,
    timeouts,
)

PROVIDER = "tencent"

sms_log = logging.getLogger("lingo.sms")
captcha_log = logging.getLogger("lingo.captcha")

# The SDK logs every request and answer at DEBUG, bodies included (the code in
# TemplateParamSet, the captcha ticket): a root logger at DEBUG would write
# them out. Keep it quiet unless an operator chose a level for it.
_sdk_log = logging.getLogger("tencentcloud_sdk_common")
if _sdk_log.level == logging.NOTSET:
    _sdk_log.setLevel(logging.WARNING)

#: Tencent's error codes → domain errors. ``Family.*`` covers a whole family
#: (and the bare ``Family``); an exact code wins over its family. Codes that
#: are the SDK's or this module's own (transport failures) are here too.
TENCENT_ERRORS: dict[str, Error] = {
    # The SMS package is used up / the account is suspended for arrears.
    "FailedOperation.InsufficientBalanceInSmsPackage": Error.SMS_ARREARS,
    "UnauthorizedOperation.ServiceSuspendDueToArrears": Error.SMS_ARREARS,
    # The number's frequency limits (the console's per-number policy).
    "LimitExceeded.PhoneNumberThirtySecondLimit": Error.SEND_TOO_FREQUENT,
    "LimitExceeded.PhoneNumberOneHourLimit": Error.SEND_TOO_FREQUENT,
    "LimitExceeded.PhoneNumberDailyLimit": Error.SEND_TOO_FREQUENT,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": Error.SEND_TOO_FREQUENT,
    "LimitExceeded.DeliveryFrequencyLimit": Error.SEND_TOO_FREQUENT,
    # (LimitExceeded.PhoneNumberCountLimit is "more than 200 numbers in one
    # request", not a frequency: it falls to sms_failed.)
    # The application's own daily quotas (console settings): no number gets a
    # message today through this provider, a fallback still may.
    "LimitExceeded.AppDailyLimit": Error.SMS_UNAVAILABLE,
    "LimitExceeded.AppGlobalDailyLimit": Error.SMS_UNAVAILABLE,
    "LimitExceeded.AppMainlandChinaDailyLimit": Error.SMS_UNAVAILABLE,
    "LimitExceeded.AppCountryOrRegionDailyLimit": Error.SMS_UNAVAILABLE,
    # The number itself.
    "InvalidParameterValue.IncorrectPhoneNumber": Error.INVALID_INPUT,
    "FailedOperation.PhoneNumberParseFail": Error.INVALID_INPUT,
    # Credentials, permissions, Tencent's own faults: nothing this message can fix.
    "AuthFailure.*": Error.SMS_UNAVAILABLE,
    "UnauthorizedOperation.*": Error.SMS_UNAVAILABLE,
    "InternalError.*": Error.SMS_UNAVAILABLE,
    "RequestLimitExceeded.*": Error.SMS_UNAVAILABLE,
    "ServiceUnavailable.*": Error.SMS_UNAVAILABLE,
    "InvalidAction": Error.SMS_UNAVAILABLE,
    "UnsupportedRegion": Error.SMS_UNAVAILABLE,
    # Configuration: sign, templates and their parameters as the console has them.
    "FailedOperation.SignatureIncorrectOrUnapproved": Error.SMS_UNAVAILABLE,
    "FailedOperation.MissingSignature": Error.SMS_UNAVAILABLE,
    "FailedOperation.TemplateIncorrectOrUnapproved": Error.SMS_UNAVAILABLE,
    "FailedOperation.TemplateUnapprovedOrNotExist": Error.SMS_UNAVAILABLE,
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": Error.SMS_UNAVAILABLE,
    "InvalidParameterValue.SdkAppIdNotExist": Error.SMS_UNAVAILABLE,
    "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone": Error.SMS_UNAVAILABLE,
    "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone": Error.SMS_UNAVAILABLE,
    # Transport: the SDK's codes, then this module's finer ones.
    "ClientNetworkError": Error.SMS_UNAVAILABLE,
    "ServerNetworkError": Error.SMS_UNAVAILABLE,
    "timeout": Error.SMS_UNAVAILABLE,
    "connection": Error.SMS_UNAVAILABLE,
    "bad_response": Error.SMS_UNAVAILABLE,
}


def error_for(code: str) -> Error:
    """The domain error for a Tencent code (see :data:`TENCENT_ERRORS`); ``sms_failed`` when unknown."""
    if code in TENCENT_ERRORS:
        return TENCENT_ERRORS[code]
    return TENCENT_ERRORS.get(code.partition(".")[0] + ".*", Error.SMS_FAILED)


class TencentCallError(Exception):
    """A Tencent call that gave no usable answer.

    :ivar code: Tencent's error code, the SDK's (``ServerNetworkError`` ...) or
        ``timeout`` / ``connection`` / ``bad_response`` / ``sdk_error``.
    :ivar message: what came with it (Tencent's message, a body excerpt).
    :ivar request_id: Tencent's request id, ``""`` when none came back.
    """

    def __init__(self, code: str, message: str = "", request_id: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.request_id = request_id


def _transport_code(exc: BaseException | None) -> str:
    """``timeout`` or ``connection`` for a network failure somewhere in ``exc``'s chain, else ``""``."""
    chain: list[BaseException] = []
    while exc is not None and len(chain) < 8:
        chain.append(exc)
        # requests wraps urllib3's errors as its first argument (a body-read
        # time-out is a requests ConnectionError around a ReadTimeoutError).
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
        exc = inner or exc.__cause__ or exc.__context__
    # Not urllib3's TimeoutError: its NewConnectionError (a refused connection) is one.
    timeouts_ = (requests.Timeout, urllib3.exceptions.ReadTimeoutError, TimeoutError)
    if any(isinstance(e, timeouts_) for e in chain):
        return "timeout"
    if any(isinstance(e, (requests.ConnectionError, urllib3.exceptions.HTTPError, OSError)) for e in chain):
        return "connection"
    return ""


def _excerpt(value: Any) -> str:
    """A message or body for logs: bytes decoded, at most 200 characters."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value or "")[:200]


def _params(request: AbstractModel) -> dict[str, Any]:
    """The request model's fields that are set, as the API's JSON object."""
    return {k: v for k, v in json.loads(request.to_json_string()).items() if v is not None}


def call(client: AbstractClient, action: str, request: AbstractModel) -> dict[str, Any]:
    """Run ``action`` once and return the answer's ``Response`` object.

    :raises TencentCallError: for an API error (raised by the SDK or only in
        the body), a network failure, a non-200 status or an answer that is
        not a JSON ``Response`` object.
    """
    try:
        body = client.call_json(action, _params(request))
    except TencentCloudSDKException as exc:
        code = str(exc.code or "ClientError")
        if code == "ClientNetworkError":
            code = _transport_code(exc.__context__) or code
        raise TencentCallError(code, _excerpt(exc.message), str(exc.requestId or "")) from exc
    except requests.RequestException as exc:  # the streamed body failed after the headers
        raise TencentCallError(_transport_code(exc) or "connection", _excerpt(exc)) from exc
    except (ValueError, KeyError) as exc:  # not JSON, or JSON without "Response"
        raise TencentCallError("bad_response", _excerpt(exc)) from exc
    except Exception as exc:  # whatever else the SDK raises must not become a 500
        raise TencentCallError("sdk_error", f"{type(exc).__name__}: {_excerpt(exc)}") from exc
    answer = body.get("Response") if isinstance(body, dict) else None
    if not isinstance(answer, dict):
        raise TencentCallError("bad_response", "the answer has no Response object")
    request_id = str(answer.get("RequestId") or "")
    error = answer.get("Error")
    if error is not None:  # the SDK raises it only for an exact Content-Type
        error = error if isinstance(error, dict) else {}
        code = str(error.get("Code") or "bad_response")
        raise TencentCallError(code, _excerpt(error.get("Message")), request_id)
    return answer


def _client(
    cls: type[AbstractClient],
    config: Mapping[str, Any],
    endpoint_key: str,
    secret_id: str,
    secret_key: str,
    region: str,
) -> AbstractClient:
    """An SDK client for ``config[endpoint_key]``: lingo's time-outs; no retry, breaker or pinned proxy."""
    scheme, host = endpoint(str(config.get(endpoint_key) or ""))
    if not host:
        raise RuntimeError(f"{endpoint_key} must be host[:port] or http(s)://host[:port]")
    http = HttpProfile(
        protocol=scheme,
        endpoint=host,
        reqMethod="POST",
        # requests takes (connect, read): a hanging provider
        # holds a worker for at most their sum.
        reqTimeout=timeouts(config),
    )
    profile = ClientProfile(httpProfile=http, disable_region_breaker=True, retryer=NoopRetryer())
    client = cls(Credential(secret_id, secret_key), region, profile)
    # The SDK pins HTTP(S)_PROXY on its connection after a NO_PROXY test that
    # never matches host:port; without it requests reads the same environment
    # and honours NO_PROXY properly. (If the SDK moves this, its own rule stays.)
    connection = getattr(getattr(client, "request", None), "conn", None)
    if connection is not None and getattr(connection, "proxy", None) is not None:
        connection.proxy = None
    return client


#: What ``TENCENT_SMS_TEMPLATE_PARAMS`` may name.
TEMPLATE_VALUES = ("code", "minutes")


def template_params(value: Any) -> list[str]:
    """Parse ``TENCENT_SMS_TEMPLATE_PARAMS``: ``"code,minutes"`` or a list, in template order.

    :raises RuntimeError: naming the key when an item is not ``code`` or
        ``minutes``, or ``code`` is missing (a message without the code is useless).
    """
    items = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    names = [str(item).strip() for item in items if str(item).strip()]
    unknown = [name for name in names if name not in TEMPLATE_VALUES]
    if unknown or "code" not in names:
        raise RuntimeError(
            f"TENCENT_SMS_TEMPLATE_PARAMS must list 'code' and optionally 'minutes' in template order "
            f"(LINGO_TENCENT_SMS_TEMPLATE_PARAMS), not {value!r}"
        )
    return names


class TencentSmsSender:
    """Sends codes with Tencent Cloud SMS ``SendSms``, one number per request, no retry."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        keys = required(
            config,
            "SMS_BACKEND=tencent",
            [
                "TENCENT_SECRET_ID",
                "TENCENT_SECRET_KEY",
                "TENCENT_SMS_REGION",
                "TENCENT_SMS_SDK_APP_ID",
                "TENCENT_SMS_SIGN_NAME",
                "TENCENT_SMS_TEMPLATE_ID",
            ],
        )
        self.app_id = keys["TENCENT_SMS_SDK_APP_ID"]
        self.sign_name = keys["TENCENT_SMS_SIGN_NAME"]
        self.templates = scene_templates(
            config, "TENCENT_SMS_TEMPLATE_ID", "TENCENT_SMS_TEMPLATE_ID_RESET", "TENCENT_SMS_TEMPLATE_ID_INTERNATIONAL"
        )
        self.params = template_params(config.get("TENCENT_SMS_TEMPLATE_PARAMS", "code,minutes"))
        self.endpoint = str(config.get("TENCENT_SMS_ENDPOINT") or "")
        self._client = _client(
            sms_client.SmsClient,
            config,
            "TENCENT_SMS_ENDPOINT",
            keys["TENCENT_SECRET_ID"],
            keys["TENCENT_SECRET_KEY"],
            keys["TENCENT_SMS_REGION"],
        )

    def __repr__(self) -> str:
        return f"TencentSmsSender(app {self.app_id!r} at {self.endpoint!r})"

    def send_code(self, to: str, code: str, ttl: int, scene: str = SCENE_ANY) -> Delivery:
        """Send ``code`` to the E.164 number ``to`` with the template of ``scene``.

        :raises lingo.senders.sms.SmsDeliveryError: mapped by :data:`TENCENT_ERRORS`.
        """
        template = template_for(to, scene, self.templates)
        values = {"code": code, "minutes": str(minutes(ttl))}
        request = sms_models.SendSmsRequest()
        request.PhoneNumberSet = [to]  # E.164 is the API's own format
        request.SmsSdkAppId = self.app_id
        # Required for mainland numbers; international ones may omit it, but a
        # sign Tencent approved does no harm there, so it is always sent.
        request.SignName = self.sign_name
        request.TemplateId = template
        request.TemplateParamSet = [values[name] for name in self.params]
        try:
            answer = call(self._client, "SendSms", request)
        except TencentCallError as exc:
            # Not chained: nothing of the SDK's (its messages quote URLs and
            # bodies) should reach a traceback next to a phone number.
            raise failure(
                PROVIDER,
                error_for(exc.code),
                to,
                provider_code=exc.code,
                request_id=exc.request_id,
                detail=exc.message,
                code=code,
            ) from None
        request_id = str(answer.get("RequestId") or "")
        statuses = answer.get("SendStatusSet")
        status = statuses[0] if isinstance(statuses, list) and statuses else {}
        status = status if isinstance(status, dict) else {}
        status_code = str(status.get("Code") or "bad_response")
        if status_code == "Ok":
            sms_log.info("tencent sms: sent to %s (template %s, request id %s)", mask(to), template, request_id or "-")
            return Delivery(PROVIDER, request_id, template)
        raise failure(
            PROVIDER,
            error_for(status_code),
            to,
            provider_code=status_code,
            request_id=request_id,
            detail=_excerpt(status.get("Message")),
            code=code,
        )


#: ``CaptchaCode`` values that say nothing about the ticket: our configuration
#: or Tencent's fault. They are :class:`CaptchaUnavailable`, not a rejection.
#: (16, "CaptchaAppId does not match the ticket's", is not here: a client
#: produces it with a ticket solved for another captcha app.)
CAPTCHA_UNAVAILABLE_CODES = {
    100: "AppSecretKey does not match CaptchaAppId",  # TENCENT_CAPTCHA_APP_SECRET_KEY is wrong
    26: "system internal error",
}


def _proof(proof: Any) -> tuple[str, str]:
    """``(ticket, randstr)`` from a ``{"ticket", "randstr"}`` object or its JSON text.

    :raises DomainError: ``CAPTCHA_INVALID`` for anything else.
    """
    if isinstance(proof, str):
        try:
            proof = json.loads(proof)
        except ValueError:
            proof = None
    if isinstance(proof, dict):
        ticket, randstr = proof.get("ticket"), proof.get("randstr")
        if isinstance(ticket, str) and isinstance(randstr, str) and ticket and randstr:
            return ticket, randstr
    captcha_log.info("tencent captcha: a malformed proof was refused")
    raise DomainError(Error.CAPTCHA_INVALID)


class TencentCaptcha:
    """Checks a Tencent captcha ticket with ``DescribeCaptchaResult`` (``CaptchaType`` 9)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        keys = required(
            config,
            "CAPTCHA_PROVIDER=tencent",
            [
                "TENCENT_SECRET_ID",
                "TENCENT_SECRET_KEY",
                "TENCENT_CAPTCHA_APP_ID",
                "TENCENT_CAPTCHA_APP_SECRET_KEY",
            ],
        )
        try:
            self.app_id = int(keys["TENCENT_CAPTCHA_APP_ID"])
        except ValueError:
            raise RuntimeError("TENCENT_CAPTCHA_APP_ID must be the captcha's numeric CaptchaAppId") from None
        self._app_secret_key = keys["TENCENT_CAPTCHA_APP_SECRET_KEY"]
        self.endpoint = str(config.get("TENCENT_CAPTCHA_ENDPOINT") or "")
        # DescribeCaptchaResult takes no region: none is sent.
        self._client = _client(
            captcha_client.CaptchaClient,
            config,
            "TENCENT_CAPTCHA_ENDPOINT",
            keys["TENCENT_SECRET_ID"],
            keys["TENCENT_SECRET_KEY"],
            "",
        )

    def __repr__(self) -> str:
        return f"TencentCaptcha(app {self.app_id} at {self.endpoint!r})"

    def verify(self, proof: Any, *, ip: str) -> None:
        """Pass when Tencent answers ``CaptchaCode`` 1 for the proof's ticket and randstr.

        :raises lingo.errors.DomainError: ``CAPTCHA_INVALID`` for a malformed
            proof, any other ``CaptchaCode``, or an API error about the request.
        :raises lingo.senders.captcha.CaptchaUnavailable: when Tencent gives no
            answer (credentials, its own fault, time-out, connection, non-200)
            or a ``CaptchaCode`` of :data:`CAPTCHA_UNAVAILABLE_CODES`.
        """
        ticket, randstr = _proof(proof)
        request = captcha_models.DescribeCaptchaResultRequest()
        request.CaptchaType = 9  # the only value the API takes
        request.Ticket = ticket
        request.Randstr = randstr
        request.UserIp = ip
        request.CaptchaAppId = self.app_id
        request.AppSecretKey = self._app_secret_key
        try:
            answer = call(self._client, "DescribeCaptchaResult", request)
        except TencentCallError as exc:
            if error_for(exc.code) is Error.SMS_UNAVAILABLE or exc.code == "sdk_error":
                raise CaptchaUnavailable(PROVIDER, exc.code, exc.request_id) from None
            self._reject(ip, exc.code, exc.message, exc.request_id)
        captcha_code = answer.get("CaptchaCode")
        request_id = str(answer.get("RequestId") or "")
        if type(captcha_code) is not int:  # no verdict came back (JSON true is no 1 either)
            raise CaptchaUnavailable(PROVIDER, "bad_response", request_id)
        if captcha_code == 1:
            return
        if captcha_code in CAPTCHA_UNAVAILABLE_CODES:
            raise CaptchaUnavailable(PROVIDER, f"CaptchaCode {captcha_code}", request_id)
        self._reject(ip, f"CaptchaCode {captcha_code}", _excerpt(answer.get("CaptchaMsg")), request_id)

    @staticmethod
    def _reject(ip: str, code: str, message: str, request_id: str) -> NoReturn:
        """Log a rejection (never the ticket) and raise ``CAPTCHA_INVALID``."""
        captcha_log.warning(
            "tencent captcha: rejected for %s: %s%s (request id %s)",
            ip,
            code,
            f" {message}" if message else "",
            request_id or "-",
        )
        raise DomainError(Error.CAPTCHA_INVALID) from None
