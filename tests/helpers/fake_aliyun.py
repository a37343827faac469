"""A fake Alibaba Cloud for the Aliyun SMS sender and captcha verifier: answers as Aliyun documents.

The official SDKs are pointed at a :class:`~helpers.providers.ProviderServer`
(``http://127.0.0.1:<port>``); it answers ``SendSms`` and
``VerifyIntelligentCaptcha`` (told apart by the ``x-acs-action`` header the
SDK sends) with success unless a test sets ``server.answer``. The helpers
build the bodies Aliyun gives: business refusals of ``SendSms`` with HTTP
200 and ``Code`` other than ``OK``, gateway refusals (access key, signature,
RAM) with HTTP 4xx and ``{Code, Message, RequestId, HostId, Recommend}``.

Its fixtures are in ``conftest.py``: ``aliyun`` (the running fake) and
``aliyun_overrides`` (app configuration for it); a test module overrides
``app_overrides`` with ``aliyun_overrides``.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from helpers.providers import Answer, ProviderServer, Recorded

ACCESS_KEY_ID = "LTAI-fake-key-id"
ACCESS_KEY_SECRET = "fake-key-secret"
SIGN_NAME = "灵果"
TEMPLATE_ANY = "SMS_100000001"
TEMPLATE_RESET = "SMS_100000002"
TEMPLATE_INTERNATIONAL = "SMS_100000003"
SCENE_ID = "scene-fake-1"
REQUEST_ID = "F655A8D5-B967-440B-8683-DAD6FF8DE990"


def sms_ok(request_id: str = REQUEST_ID, biz_id: str = "900619746936498440^0") -> Answer:
    """``SendSms`` accepted the message."""
    return Answer(200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id})


def sms_refused(code: str, message: str = "refused", request_id: str = REQUEST_ID) -> Answer:
    """A business refusal of ``SendSms``: HTTP 200, ``Code`` other than ``OK`` (``isv.*``, ``isp.*``)."""
    return Answer(200, {"Code": code, "Message": message, "RequestId": request_id})


def gateway_error(status: int, code: str, message: str = "refused", request_id: str = REQUEST_ID) -> Answer:
    """A refusal by Aliyun's API gateway (access key, signature, RAM, throttling, 5xx)."""
    return Answer(status, {
        "RequestId": request_id,
        "HostId": "dysmsapi.aliyuncs.com",
        "Code": code,
        "Message": message,
        "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=Dysmsapi",
    })


def invalid_access_key(request_id: str = REQUEST_ID) -> Answer:
    """What Aliyun answers for an access key id it does not know."""
    return gateway_error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.", request_id)


def internal_error(request_id: str = REQUEST_ID) -> Answer:
    """HTTP 500 ``InternalError``."""
    return gateway_error(500, "InternalError", "The request processing has failed due to some unknown error.",
                         request_id)


def hanging(seconds: float) -> Answer:
    """A success that comes too late: ``seconds`` of silence first."""
    return Answer(200, sms_ok().body, delay=seconds)


def captcha_answer(passed: bool = True, verify_code: str | None = None,
                   request_id: str = REQUEST_ID) -> Answer:
    """``VerifyIntelligentCaptcha``'s verdict (``T001`` for a pass, ``F001`` for a suspected bot)."""
    return Answer(200, {
        "RequestId": request_id,
        "Success": True,
        "Code": "Success",
        "Message": "success",
        "Result": {"VerifyResult": passed, "VerifyCode": verify_code or ("T001" if passed else "F001")},
    })


def action(request: Recorded) -> str:
    """The API the SDK called (``SendSms``, ``VerifyIntelligentCaptcha``): the ACS3 header."""
    return request.headers.get("x-acs-action", "")


def default_answer(request: Recorded) -> Answer:
    """Success for both APIs; 400 ``InvalidAction.NotFound`` for anything else."""
    if action(request) == "SendSms":
        return sms_ok()
    if action(request) == "VerifyIntelligentCaptcha":
        return captcha_answer(True)
    return gateway_error(400, "InvalidAction.NotFound", "Specified api is not found.")


class FakeAliyun(ProviderServer):
    """A :class:`ProviderServer` answering like Aliyun, with conveniences for the recorded requests."""

    def __init__(self, answer: Callable[[Recorded], Answer] = default_answer) -> None:
        super().__init__(answer)

    def reply(self, answer: Answer) -> None:
        """Answer every following request with ``answer``."""
        self.answer = lambda request: answer

    @property
    def last(self) -> Recorded:
        """The latest request."""
        assert self.requests, "the fake Aliyun got no request"
        return self.requests[-1]

    def sent(self) -> list[dict[str, str]]:
        """The parameters of every ``SendSms`` call, in order."""
        return [r.form() for r in self.requests if action(r) == "SendSms"]

    def last_code(self) -> str:
        """The code in the latest ``SendSms``'s ``TemplateParam``."""
        return json.loads(self.sent()[-1]["TemplateParam"])["code"]


def settings(server: ProviderServer, **extra: Any) -> dict[str, Any]:
    """App settings sending SMS (and verifying captchas) through ``server`` with fake keys."""
    return {
        "SMS_BACKEND": "aliyun",
        "ALIYUN_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "ALIYUN_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
        "ALIYUN_SMS_ENDPOINT": server.url,
        "ALIYUN_SMS_SIGN_NAME": SIGN_NAME,
        "ALIYUN_SMS_TEMPLATE_CODE": TEMPLATE_ANY,
        "ALIYUN_SMS_TEMPLATE_CODE_RESET": TEMPLATE_RESET,
        "ALIYUN_SMS_TEMPLATE_CODE_INTERNATIONAL": TEMPLATE_INTERNATIONAL,
        "ALIYUN_CAPTCHA_ENDPOINT": server.url,
        "ALIYUN_CAPTCHA_SCENE_ID": SCENE_ID,
        # Short, so the time-out tests stay fast; loopback answers in milliseconds, and a
        # second leaves room for a machine loaded by a parallel test run.
        "SMS_CONNECT_TIMEOUT": 1.0,
        "SMS_READ_TIMEOUT": 1.0,
        **extra,
    }
