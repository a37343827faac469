"""Alibaba Cloud: SMS codes (``SendSms``) and Captcha 2.0 (``VerifyIntelligentCaptcha``).

Both go through Aliyun's official SDKs (``pip install 'lingo[aliyun]'``),
built once per app with the endpoint, the access key, the
``SMS_CONNECT_TIMEOUT`` / ``SMS_READ_TIMEOUT`` time-outs and no automatic
retries: a provider that hangs holds a worker for at most connect + read
time-out, and a code is never sent twice because a retry raced a slow answer.

How ``SendSms`` answers map to lingo's errors (:func:`sms_error`):

==================================================  =====================
Aliyun's answer                                     lingo's error
==================================================  =====================
``Code: OK``                                        sent
``isv.AMOUNT_NOT_ENOUGH``, ``isv.OUT_OF_SERVICE``   ``sms_arrears``
``isv.BUSINESS_LIMIT_CONTROL`` (per number)         ``send_too_frequent``
``isv.MOBILE_NUMBER_ILLEGAL``                       ``invalid_input``
our account or configuration (access key,           ``sms_unavailable``
signature, sign name, template, RAM ...),           (fails over)
the account's daily quota (``DAY_LIMIT_CONTROL``),
``isp.SYSTEM_ERROR``, HTTP 401/403/429/5xx,
time-out, no connection, a non-JSON answer
anything else                                       ``sms_failed``
==================================================  =====================

Business refusals come back as HTTP 200 with ``Code`` other than ``OK``;
gateway refusals (access key, signature, RAM) as HTTP 4xx, which the SDK
raises as an exception carrying the body's ``Code`` and ``RequestId``.

The captcha verifier reads the same table (:func:`captcha_unavailable`): an
answer that maps to ``sms_unavailable`` (our credentials, RAM or
configuration, HTTP 401/403/429/5xx, time-out, no connection, a non-JSON
answer) is :class:`~lingo.senders.captcha.CaptchaUnavailable`; anything else
without a passing verdict (a 400 ``InvalidParameter``, a 200 without
``VerifyResult``, an SDK failure) is a rejected proof, so a client cannot turn
a malformed proof into a ``CAPTCHA_FAIL_OPEN`` pass.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import requests
from alibabacloud_captcha20230305 import models as captcha_models
from alibabacloud_captcha20230305.client import Client as CaptchaClient
from alibabacloud_dysmsapi20170525 import models as sms_models
from alibabacloud_dysmsapi20170525.client import Client as SmsClient
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_openapi.utils_models import Config as OpenApiConfig
from darabonba.policy.retry import RetryOptions
from darabonba.runtime import RuntimeOptions

from ..errors import DomainError, Error
from .captcha import CaptchaUnavailable
from .sms import (
    SCENE_ANY,
    Delivery,
    endpoint,
    failure,
    mask,
    minutes,
    national_digits,
    required,
    scene_templates,
    template_for,
    timeouts,
)

PROVIDER = "aliyun"

sms_log = logging.getLogger("lingo.sms")
captcha_log = logging.getLogger("lingo.captcha")

# darabonba-core sets its logger to DEBUG with a handler of its own; with
# DEBUG=sdk in the environment it then dumps every request line, whose query
# holds the phone number and the code. Those dumps are all it logs.
logging.getLogger("darabonba-core").setLevel(logging.INFO)

#: Aliyun's error codes (SendSms's documented ones and the gateway's) → lingo's error.
SMS_ERRORS: dict[str, Error] = {
    # The account has no money left: nothing goes out until someone pays.
    "isv.AMOUNT_NOT_ENOUGH": Error.SMS_ARREARS,
    "isv.OUT_OF_SERVICE": Error.SMS_ARREARS,
    # Aliyun's own flow control per number (1/min, 5/h, 10/day by default).
    "isv.BUSINESS_LIMIT_CONTROL": Error.SEND_TOO_FREQUENT,
    # The whole account's daily quota (set in the console): no number gets a
    # message today through this provider, a fallback still may.
    "isv.DAY_LIMIT_CONTROL": Error.SMS_UNAVAILABLE,
    "isv.MOBILE_NUMBER_ILLEGAL": Error.INVALID_INPUT,
    # Our key, signature, sign name, template or account: no message can go
    # out until an operator acts, so another provider may (failover).
    "InvalidAccessKeyId.NotFound": Error.SMS_UNAVAILABLE,
    "SignatureDoesNotMatch": Error.SMS_UNAVAILABLE,
    "IncompleteSignature": Error.SMS_UNAVAILABLE,
    "InvalidTimeStamp.Expired": Error.SMS_UNAVAILABLE,
    "isv.SMS_SIGNATURE_ILLEGAL": Error.SMS_UNAVAILABLE,
    "isv.SMS_SIGN_ILLEGAL": Error.SMS_UNAVAILABLE,
    "isv.SMS_TEMPLATE_ILLEGAL": Error.SMS_UNAVAILABLE,
    "isv.TEMPLATE_MISSING_PARAMETERS": Error.SMS_UNAVAILABLE,
    "isv.ACCOUNT_NOT_EXISTS": Error.SMS_UNAVAILABLE,
    "isv.ACCOUNT_ABNORMAL": Error.SMS_UNAVAILABLE,
    "isv.PRODUCT_UN_SUBSCRIPT": Error.SMS_UNAVAILABLE,
    "isv.PRODUCT_UNSUBSCRIBE": Error.SMS_UNAVAILABLE,
    "isp.RAM_PERMISSION_DENY": Error.SMS_UNAVAILABLE,
    "isp.SYSTEM_ERROR": Error.SMS_UNAVAILABLE,
    "isp.GATEWAY_ERROR": Error.SMS_UNAVAILABLE,
    # No answer lingo can read (see :func:`describe`).
    "timeout": Error.SMS_UNAVAILABLE,
    "connection": Error.SMS_UNAVAILABLE,
    "bad_response": Error.SMS_UNAVAILABLE,
}

#: Code families that are refusals of our credentials or RAM policy (``Forbidden.RAM``, ...).
UNAVAILABLE_PREFIXES = ("Forbidden", "InvalidAccessKeyId.")

#: HTTP statuses that mean "not now / not with these credentials", whatever the code.
UNAVAILABLE_STATUSES = {401, 403, 429}


def sms_error(code: str, status: int = 200) -> Error:
    """The domain error for an Aliyun answer: its ``Code`` and HTTP ``status`` (see the module table).

    :param code: Aliyun's ``Code``, or ``timeout`` / ``connection`` /
        ``bad_response`` / ``http_<status>`` when there was no readable answer.
    """
    if code in SMS_ERRORS:
        return SMS_ERRORS[code]
    if code.startswith(UNAVAILABLE_PREFIXES) or status >= 500 or status in UNAVAILABLE_STATUSES:
        return Error.SMS_UNAVAILABLE
    return Error.SMS_FAILED


def captcha_unavailable(code: str, status: int = 200) -> bool:
    """Whether a captcha answer without a verdict means "no answer" rather than "rejected".

    Only what :func:`sms_error` maps to ``sms_unavailable``: a client cannot
    provoke those with its proof, while it can provoke a 400 ``InvalidParameter``
    or a 200 without ``VerifyResult``.
    """
    return sms_error(code, status) is Error.SMS_UNAVAILABLE


@dataclass(frozen=True)
class Refusal:
    """What an exception of the SDK says, reduced to what may be logged.

    :ivar code: Aliyun's ``Code``, or ``timeout`` / ``connection`` /
        ``bad_response`` / ``http_<status>`` / ``sdk_error``.
    :ivar request_id: Aliyun's ``RequestId`` (``""`` when none came back).
    :ivar status: the HTTP status (0 when no answer was read).
    :ivar detail: a short explanation without the request (its URL holds the
        phone number and, for SendSms, the code).
    """

    code: str
    request_id: str = ""
    status: int = 0
    detail: str = ""


def _field(value: Any) -> str:
    """A field of the SDK's models or exceptions as text, ``""`` when missing.

    The SDK formats missing fields as the string ``"None"`` (``f'{code}'``).
    """
    return "" if value is None or str(value) == "None" else str(value)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, what it wraps (the SDK's ``inner_exception``) and what it was raised from."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__, getattr(current, "inner_exception", None)]


def describe(exc: Exception) -> Refusal:
    """Reduce an exception of the SDK to a :class:`Refusal`.

    An HTTP 4xx/5xx with a JSON body arrives as an ``AlibabaCloudException``
    carrying the body. Transport failures arrive as an
    ``UnretryableException`` whose ``inner_exception`` is a ``RetryError``
    raised while handling the ``requests`` exception (its ``__context__``):
    only that tells a time-out from a refused connection. An answer that is
    not JSON (a proxy's HTML error page) loses its status inside the SDK.
    """
    if isinstance(exc, AlibabaCloudException):
        data = exc.data if isinstance(exc.data, dict) else {}
        status = int(getattr(exc, "status_code", 0) or 0)
        message = _field(data.get("Message") or data.get("message"))
        return Refusal(
            code=_field(data.get("Code") or data.get("code")) or _field(exc.code) or f"http_{status}",
            request_id=_field(data.get("RequestId") or data.get("requestId") or exc.request_id),
            status=status,
            detail=f"HTTP {status}" + (f": {message}" if message else ""),
        )
    chain = list(_chain(exc))
    if any(isinstance(e, (requests.Timeout, TimeoutError)) for e in chain):
        return Refusal("timeout", detail="no answer within the time-out")
    if any(isinstance(e, (requests.ConnectionError, ConnectionError)) for e in chain):
        return Refusal("connection", detail="could not connect")
    # json.JSONDecodeError under the SDK's RuntimeError. Not any ValueError: a
    # proof that cannot be encoded (a lone surrogate) fails with one, before
    # anything is sent, and that is no unreadable answer.
    if any(isinstance(e, (json.JSONDecodeError, UnicodeDecodeError)) for e in chain):
        return Refusal("bad_response", detail="the answer is not JSON")
    return Refusal("sdk_error", detail=type(exc).__name__)


def _ms(seconds: float) -> int:
    # The SDK takes whole milliseconds (it does int(value) / 1000 before requests).
    return max(1, round(seconds * 1000))


def client_config(
    config: Mapping[str, Any], keys: Mapping[str, str], endpoint_key: str, region: str | None = None
) -> OpenApiConfig:
    """The SDK configuration shared by the SMS and captcha clients.

    Retries are off on the client (``retry_options``, what this SDK generation
    reads) and on every call (:func:`runtime_options`, what older ones read).
    A ``user_agent`` is set so the SDK does not read ``ALIBABA_CLOUD_USER_AGENT``;
    the access key is given explicitly, so no credentials file or environment
    variable is consulted. The SDK does read ``HTTP(S)_PROXY`` (not ``NO_PROXY``).
    """
    protocol, host = endpoint(keys[endpoint_key])
    connect, read = timeouts(config)
    return OpenApiConfig(
        access_key_id=keys["ALIYUN_ACCESS_KEY_ID"],
        access_key_secret=keys["ALIYUN_ACCESS_KEY_SECRET"],
        endpoint=host,
        protocol=protocol,
        region_id=region,
        connect_timeout=_ms(connect),
        read_timeout=_ms(read),
        retry_options=RetryOptions(retryable=False, max_attempts=1),
        user_agent="lingo",
    )


def runtime_options() -> RuntimeOptions:
    """Per-call options: no automatic retry (time-outs come from the client's configuration)."""
    return RuntimeOptions(autoretry=False, max_attempts=1)


def phone_numbers(to: str) -> str:
    """Aliyun's ``PhoneNumbers`` form of the E.164 number ``to``.

    Mainland numbers are the 11-digit national number (``+8613800138000`` →
    ``13800138000``); others are country code and number without ``+``
    (``+85291234567`` → ``85291234567``): :func:`~lingo.senders.sms.national_digits`.
    """
    return national_digits(to)


class AliyunSmsSender:
    """Sends codes with Aliyun SMS ``SendSms`` (``SMS_BACKEND=aliyun``).

    :raises RuntimeError: at construction, naming the first missing setting.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        keys = required(
            config,
            "SMS_BACKEND=aliyun",
            [
                "ALIYUN_ACCESS_KEY_ID",
                "ALIYUN_ACCESS_KEY_SECRET",
                "ALIYUN_SMS_SIGN_NAME",
                "ALIYUN_SMS_TEMPLATE_CODE",
                "ALIYUN_SMS_ENDPOINT",
            ],
        )
        self.sign_name = keys["ALIYUN_SMS_SIGN_NAME"]
        self.templates = scene_templates(
            config,
            "ALIYUN_SMS_TEMPLATE_CODE",
            "ALIYUN_SMS_TEMPLATE_CODE_RESET",
            "ALIYUN_SMS_TEMPLATE_CODE_INTERNATIONAL",
        )
        self.param_code = str(config.get("ALIYUN_SMS_PARAM_CODE") or "code").strip()
        self.param_minutes = str(config.get("ALIYUN_SMS_PARAM_MINUTES") or "").strip()
        self.endpoint = keys["ALIYUN_SMS_ENDPOINT"]
        region = str(config.get("ALIYUN_SMS_REGION") or "cn-hangzhou").strip()
        self._client = SmsClient(client_config(config, keys, "ALIYUN_SMS_ENDPOINT", region))

    def __repr__(self) -> str:
        return f"AliyunSmsSender({self.endpoint!r})"

    def template_param(self, code: str, ttl: int) -> str:
        """``TemplateParam``: the code, and the lifetime in minutes when its variable is configured.

        Values are strings: Aliyun refuses numbers (``isv.INVALID_JSON_PARAM``).
        """
        params = {self.param_code: code}
        if self.param_minutes:
            params[self.param_minutes] = str(minutes(ttl))
        return json.dumps(params, ensure_ascii=False, separators=(",", ":"))

    def send_code(self, to: str, code: str, ttl: int, scene: str = SCENE_ANY) -> Delivery:
        """Send ``code`` to the E.164 number ``to`` with the template of ``scene``.

        :returns: the delivery with Aliyun's ``RequestId`` and the template used.
        :raises lingo.senders.sms.SmsDeliveryError: mapped by :func:`sms_error`.
        """
        template = template_for(to, scene, self.templates)
        request = sms_models.SendSmsRequest(
            phone_numbers=phone_numbers(to),
            sign_name=self.sign_name,
            template_code=template,
            template_param=self.template_param(code, ttl),
        )
        try:
            response = self._client.send_sms_with_options(request, runtime_options())
        except Exception as exc:  # noqa: BLE001  anything the SDK raises is a failed send, never a 500
            refusal = describe(exc)
            # "from None": the SDK's exception holds the request URL (number and
            # code); it must not reach a traceback in a log.
            raise failure(
                PROVIDER,
                sms_error(refusal.code, refusal.status),
                to,
                provider_code=refusal.code,
                request_id=refusal.request_id,
                detail=refusal.detail,
                code=code,
            ) from None
        body = response.body
        result = _field(body.code) if body is not None else ""
        request_id = _field(body.request_id) if body is not None else ""
        if result != "OK":
            raise failure(
                PROVIDER,
                sms_error(result or "no_code"),
                to,
                provider_code=result or "no_code",
                request_id=request_id,
                detail=_field(body.message) if body is not None else "",
                code=code,
            )
        sms_log.info(
            "aliyun sms: sent a %s code to %s (template %s, request id %s, biz id %s)",
            scene,
            mask(to),
            template,
            request_id or "-",
            _field(body.biz_id) or "-",
        )
        return Delivery(PROVIDER, request_id, template)


class AliyunCaptcha:
    """Checks Captcha 2.0 proofs with ``VerifyIntelligentCaptcha`` (``CAPTCHA_PROVIDER=aliyun``).

    The proof is the ``captchaVerifyParam`` string Aliyun's web/app SDK hands
    the client. ``ALIYUN_CAPTCHA_SCENE_ID`` is sent as ``SceneId`` when set, so
    a proof solved for another scene is refused.

    :raises RuntimeError: at construction, naming the first missing setting.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        keys = required(
            config,
            "CAPTCHA_PROVIDER=aliyun",
            [
                "ALIYUN_ACCESS_KEY_ID",
                "ALIYUN_ACCESS_KEY_SECRET",
                "ALIYUN_CAPTCHA_ENDPOINT",
            ],
        )
        self.scene_id = str(config.get("ALIYUN_CAPTCHA_SCENE_ID") or "").strip()
        self.endpoint = keys["ALIYUN_CAPTCHA_ENDPOINT"]
        self._client = CaptchaClient(client_config(config, keys, "ALIYUN_CAPTCHA_ENDPOINT"))

    def __repr__(self) -> str:
        return f"AliyunCaptcha({self.endpoint!r})"

    def verify(self, proof: Any, *, ip: str) -> None:
        """Ask Aliyun whether ``proof`` passed.

        :raises lingo.errors.DomainError: ``CAPTCHA_INVALID`` when the proof is
            not a non-empty string, Aliyun's ``VerifyResult`` is false, or
            Aliyun answers without a verdict for a reason a client can cause
            (a 4xx about the request, a 200 without ``VerifyResult``, an SDK
            failure).
        :raises CaptchaUnavailable: on a time-out, no connection, an answer
            that is not JSON, HTTP 5xx / 401 / 403 / 429 or our own key, RAM
            or configuration codes (:func:`captcha_unavailable`). The caller logs it.
        """
        if not isinstance(proof, str) or not proof.strip() or not _encodable(proof):
            captcha_log.info("aliyun captcha: malformed proof (%s) from %s", type(proof).__name__, ip)
            raise DomainError(Error.CAPTCHA_INVALID)
        request = captcha_models.VerifyIntelligentCaptchaRequest(
            captcha_verify_param=proof,
            scene_id=self.scene_id or None,
        )
        try:
            response = self._client.verify_intelligent_captcha_with_options(request, runtime_options())
        except Exception as exc:  # noqa: BLE001  the SDK's failures are never a 500
            refusal = describe(exc)
            if captcha_unavailable(refusal.code, refusal.status):
                raise CaptchaUnavailable(PROVIDER, refusal.code, refusal.request_id) from None
            self._reject(ip, refusal.code, refusal.status, refusal.request_id)
        body = response.body
        result = body.result if body is not None else None
        request_id = _field(body.request_id) if body is not None else ""
        verdict = result.verify_result if result is not None else None
        if verdict is True:
            return
        if verdict is False:
            assert result is not None  # the verdict came from it
            # VerifyCode says why (F001 suspected bot, F002 malformed, F003-F005 scene id mismatch ...).
            captcha_log.info(
                "aliyun captcha: proof from %s rejected (verify code %s, request id %s)",
                ip,
                _field(result.verify_code) or "-",
                request_id or "-",
            )
            raise DomainError(Error.CAPTCHA_INVALID)
        # A 200 without a verdict: Aliyun read the request and gave no pass.
        code = (_field(body.code) if body is not None else "") or "no_result"
        if captcha_unavailable(code):
            raise CaptchaUnavailable(PROVIDER, code, request_id)
        self._reject(ip, code, 200, request_id)

    @staticmethod
    def _reject(ip: str, code: str, status: int, request_id: str) -> NoReturn:
        """Log an answer without a verdict that counts as a rejection, and raise ``CAPTCHA_INVALID``.

        Aliyun's message is not logged: it may quote the proof.
        """
        captcha_log.warning(
            "aliyun captcha: no verdict for the proof from %s, refused: %s (HTTP %s, request id %s)",
            ip,
            code,
            status or "-",
            request_id or "-",
        )
        raise DomainError(Error.CAPTCHA_INVALID) from None


def _encodable(proof: str) -> bool:
    """Whether ``proof`` can be sent at all (a lone surrogate from JSON cannot be UTF-8 encoded)."""
    try:
        proof.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
