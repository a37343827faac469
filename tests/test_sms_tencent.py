"""The Tencent Cloud SMS sender and captcha verifier against a fake Tencent Cloud API.

Alone and through every dialect.

The official SDK really runs: it signs (TC3-HMAC-SHA256) and sends HTTP
requests to the local fake (:mod:`helpers.fake_tencent`), so these tests see what
Tencent would receive. Time-outs are 0.5 s; nothing sleeps for a clock.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from deploy.ports import free_port
from helpers import providers
from helpers.apps import app_config
from helpers.fake_tencent import (
    CAPTCHA_APP_ID,
    CAPTCHA_APP_SECRET_KEY,
    REGION,
    SECRET_ID,
    SECRET_KEY,
    SDK_APP_ID,
    SIGN_NAME,
    TEMPLATE_ANY,
    TEMPLATE_INTERNATIONAL,
    TEMPLATE_RESET,
    FakeTencent,
    api_error,
    captcha,
    hanging,
    http_error,
    not_json,
    number_failed,
    sent,
    signed_by,
    stalled_body,
)
from helpers.providers import Answer, Recorded, lingo_records
from helpers.v4 import V4, insert_user
from lingo import create_app
from lingo.errors import DomainError, Error
from lingo.senders.captcha import CaptchaUnavailable
from lingo.senders.sms import Delivery, SmsDeliveryError
from lingo.senders.tencent import TencentCaptcha, TencentSmsSender, error_for

PHONE = "13800138000"
E164 = "+86" + PHONE
MASKED = "+8613****00"
UK = "+447911123456"
CODE = "246810"
IP = "203.0.113.9"

#: Tencent's answers and what lingo makes of them: (reply, error, provider code, carries a request id).
REFUSALS = {
    "arrears": (number_failed("FailedOperation.InsufficientBalanceInSmsPackage", "insufficient balance"),
                Error.SMS_ARREARS, "FailedOperation.InsufficientBalanceInSmsPackage", True),
    "arrears_api": (api_error("FailedOperation.InsufficientBalanceInSmsPackage", "套餐包余量不足"),
                    Error.SMS_ARREARS, "FailedOperation.InsufficientBalanceInSmsPackage", True),
    "suspended": (api_error("UnauthorizedOperation.ServiceSuspendDueToArrears", "欠费被停止服务"),
                  Error.SMS_ARREARS, "UnauthorizedOperation.ServiceSuspendDueToArrears", True),
    "daily_limit": (number_failed("LimitExceeded.PhoneNumberDailyLimit", "单个手机号日下发短信条数超过上限"),
                    Error.SEND_TOO_FREQUENT, "LimitExceeded.PhoneNumberDailyLimit", True),
    "thirty_seconds": (number_failed("LimitExceeded.PhoneNumberThirtySecondLimit", "30秒内下发短信条数超过上限"),
                       Error.SEND_TOO_FREQUENT, "LimitExceeded.PhoneNumberThirtySecondLimit", True),
    "bad_number": (number_failed("InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"),
                   Error.INVALID_INPUT, "InvalidParameterValue.IncorrectPhoneNumber", True),
    "unparsable_number": (api_error("FailedOperation.PhoneNumberParseFail", "号码解析失败"),
                          Error.INVALID_INPUT, "FailedOperation.PhoneNumberParseFail", True),
    "unknown_secret_id": (api_error("AuthFailure.SecretIdNotFound", "The SecretId is not found"),
                          Error.SMS_UNAVAILABLE, "AuthFailure.SecretIdNotFound", True),
    "bad_signature": (api_error("AuthFailure.SignatureFailure", "the credentials could not be validated"),
                      Error.SMS_UNAVAILABLE, "AuthFailure.SignatureFailure", True),
    "unapproved_sign": (api_error("FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批或格式错误"),
                        Error.SMS_UNAVAILABLE, "FailedOperation.SignatureIncorrectOrUnapproved", True),
    "template_params": (api_error("FailedOperation.TemplateParamSetNotMatchApprovedTemplate", "参数与模板不匹配"),
                        Error.SMS_UNAVAILABLE, "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
                        True),
    "internal": (api_error("InternalError.Timeout", "请求下发短信超时"),
                 Error.SMS_UNAVAILABLE, "InternalError.Timeout", True),
    "http_500": (http_error(500), Error.SMS_UNAVAILABLE, "ServerNetworkError", False),
    "not_json": (not_json(), Error.SMS_UNAVAILABLE, "bad_response", False),
    "unknown_code": (number_failed("FailedOperation.ContainSensitiveWord", "短信内容中含有敏感词"),
                     Error.SMS_FAILED, "FailedOperation.ContainSensitiveWord", True),
    "unknown_api_error": (api_error("FailedOperation.SomethingNew", "新的错误"),
                          Error.SMS_FAILED, "FailedOperation.SomethingNew", True),
    # "More than 200 numbers in one request": not the number's frequency.
    "batch_limit": (api_error("LimitExceeded.PhoneNumberCountLimit", "单次提交的手机号个数超过200个"),
                    Error.SMS_FAILED, "LimitExceeded.PhoneNumberCountLimit", True),
}


def sender_for(tencent: FakeTencent, **extra: Any) -> TencentSmsSender:
    """A sender talking to the fake, configured like the app fixture."""
    return TencentSmsSender(tencent.config(**extra))


def refuse(sender: TencentSmsSender, to: str = E164, code: str = CODE) -> SmsDeliveryError:
    """Send and return the delivery error raised."""
    return providers.refuse(sender, to, code)


# --- the sender: what it sends ---------------------------------------------------------


def test_send_code_sends_what_tencent_documents(tencent):
    delivery = sender_for(tencent).send_code(E164, CODE, 300)
    assert delivery == Delivery("tencent", tencent.last_request_id, TEMPLATE_ANY)
    [request] = tencent.calls("SendSms")  # one call, no retry
    headers = request.headers
    assert (request.method, request.path, headers["content-type"]) == ("POST", "/", "application/json")
    assert (headers["x-tc-action"], headers["x-tc-version"], headers["x-tc-region"]) == (
        "SendSms", "2021-01-11", REGION)
    assert request.json() == {
        "PhoneNumberSet": [E164],  # E.164 is Tencent's own format
        "SmsSdkAppId": SDK_APP_ID,
        "SignName": SIGN_NAME,
        "TemplateId": TEMPLATE_ANY,
        "TemplateParamSet": [CODE, "5"],  # {1} the code, {2} the minutes: strings
    }
    # Signed with the secret key over exactly this request; the key itself never travels.
    assert signed_by(request, SECRET_KEY) == (SECRET_ID, "sms")
    assert SECRET_KEY not in json.dumps(headers) + request.body.decode()


@pytest.mark.parametrize("to, scene, unset, template", [
    (E164, "any", None, TEMPLATE_ANY),
    (E164, "reset", None, TEMPLATE_RESET),
    (E164, "reset", "TENCENT_SMS_TEMPLATE_ID_RESET", TEMPLATE_ANY),
    (UK, "any", None, TEMPLATE_INTERNATIONAL),
    (UK, "reset", None, TEMPLATE_INTERNATIONAL),
    (UK, "reset", "TENCENT_SMS_TEMPLATE_ID_INTERNATIONAL", TEMPLATE_RESET),
    (UK, "any", "TENCENT_SMS_TEMPLATE_ID_INTERNATIONAL", TEMPLATE_ANY),
])
def test_template_per_scene_and_international_numbers(tencent, to, scene, unset, template):
    sender = sender_for(tencent, **({unset: ""} if unset else {}))
    assert sender.send_code(to, CODE, 300, scene).template == template
    sent_ = tencent.calls()[-1].json()
    assert (sent_["PhoneNumberSet"], sent_["TemplateId"], sent_["SignName"]) == ([to], template, SIGN_NAME)


@pytest.mark.parametrize("setting, ttl, params", [
    ("code,minutes", 61, [CODE, "2"]),  # minutes round up
    ("minutes, code", 300, ["5", CODE]),  # the template's order
    (["code"], 300, [CODE]),  # a list, as a JSON environment value gives
    (["minutes", "code"], 30, ["1", CODE]),  # at least a minute
])
def test_template_params_follow_the_configured_order(tencent, setting, ttl, params):
    sender_for(tencent, TENCENT_SMS_TEMPLATE_PARAMS=setting).send_code(E164, CODE, ttl)
    assert tencent.calls()[-1].json()["TemplateParamSet"] == params


@pytest.mark.parametrize("setting", ["code,seconds", "minutes", "", ["code", "sign"]])
def test_template_params_other_than_code_and_minutes_are_refused(tencent, setting):
    with pytest.raises(RuntimeError, match="TENCENT_SMS_TEMPLATE_PARAMS"):
        sender_for(tencent, TENCENT_SMS_TEMPLATE_PARAMS=setting)


def test_success_is_logged_once_without_the_code(tencent, caplog):
    caplog.set_level(logging.DEBUG)  # the root too: the SDK's own debug lines quote whole requests
    sender_for(tencent).send_code(E164, CODE, 300)
    [record] = lingo_records(caplog)
    assert record.levelno == logging.INFO
    assert MASKED in record.getMessage() and tencent.last_request_id in record.getMessage()
    assert CODE not in caplog.text and PHONE not in caplog.text
    assert not [r for r in caplog.records if r.name.startswith("tencentcloud")]


# --- the sender: how answers map ---------------------------------------------------------


@pytest.mark.parametrize("reply, error, provider_code, has_request_id", REFUSALS.values(), ids=list(REFUSALS))
def test_tencent_answers_map_to_domain_errors(tencent, reply, error, provider_code, has_request_id):
    tencent.replies["SendSms"] = reply
    exc = refuse(sender_for(tencent))
    request_id = tencent.last_request_id if has_request_id else ""
    assert (exc.error, exc.provider, exc.provider_code, exc.request_id) == (
        error, "tencent", provider_code, request_id)
    assert len(tencent.calls()) == 1  # no automatic retry


def test_an_api_error_is_read_whatever_the_content_type(tencent):
    # The SDK raises Response.Error only for exactly "application/json".
    tencent.replies["SendSms"] = api_error("AuthFailure.SecretIdNotFound", headers={
        "Content-Type": "application/json; charset=utf-8"})
    exc = refuse(sender_for(tencent))
    assert (exc.error, exc.provider_code, exc.request_id) == (
        Error.SMS_UNAVAILABLE, "AuthFailure.SecretIdNotFound", tencent.last_request_id)


def test_the_mapping_is_one_table():
    assert error_for("AuthFailure.InvalidSecretId") is Error.SMS_UNAVAILABLE  # the family
    assert error_for("InternalError") is Error.SMS_UNAVAILABLE  # a bare family name
    assert error_for("UnauthorizedOperation.SmsSdkAppIdVerifyFail") is Error.SMS_UNAVAILABLE
    assert error_for("UnauthorizedOperation.ServiceSuspendDueToArrears") is Error.SMS_ARREARS  # exact wins
    assert error_for("LimitExceeded.DeliveryFrequencyLimit") is Error.SEND_TOO_FREQUENT
    assert error_for("LimitExceeded.AppDailyLimit") is Error.SMS_UNAVAILABLE  # the app's quota: fail over
    assert error_for("timeout") is Error.SMS_UNAVAILABLE and error_for("connection") is Error.SMS_UNAVAILABLE
    assert error_for("sdk_error") is Error.SMS_FAILED and error_for("") is Error.SMS_FAILED


def test_a_hanging_tencent_costs_the_read_time_out_once(tencent):
    tencent.replies["SendSms"] = hanging(6)
    sender = sender_for(tencent, SMS_CONNECT_TIMEOUT=0.2, SMS_READ_TIMEOUT=0.5)
    started = time.monotonic()
    exc = refuse(sender)
    elapsed = time.monotonic() - started
    assert (exc.error, exc.provider_code, exc.request_id) == (Error.SMS_UNAVAILABLE, "timeout", "")
    # The read time-out (not the connect one: the SDK passes the tuple on), once.
    assert 0.45 < elapsed < 3.0  # far below the provider's 6 s; one request (checked below)
    assert len(tencent.calls()) == 1


def test_a_body_that_stalls_after_the_headers_is_a_time_out(tencent):
    # The SDK streams the body: this failure comes from requests, outside the SDK's wrapping.
    with stalled_body() as url:
        started = time.monotonic()
        exc = refuse(sender_for(tencent, TENCENT_SMS_ENDPOINT=url))
        assert time.monotonic() - started < 3.0
    assert (exc.error, exc.provider_code) == (Error.SMS_UNAVAILABLE, "timeout")


def test_a_refused_connection_is_unavailable(tencent):
    exc = refuse(sender_for(tencent, TENCENT_SMS_ENDPOINT=f"http://127.0.0.1:{free_port()}"))
    assert (exc.error, exc.provider_code, exc.request_id) == (Error.SMS_UNAVAILABLE, "connection", "")


def test_any_sdk_exception_is_a_failed_send_not_a_500(tencent, monkeypatch):
    sender = sender_for(tencent)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise TypeError("something inside the SDK")

    monkeypatch.setattr(sender._client, "call_json", broken)
    exc = refuse(sender)
    assert (exc.error, exc.provider_code) == (Error.SMS_FAILED, "sdk_error")
    assert exc.__cause__ is None and exc.__suppress_context__  # the SDK's exception is not chained


def test_no_retry_and_no_region_breaker(tencent):
    sender = sender_for(tencent)
    # After network failures the SDK's region breaker would send to a backup
    # endpoint (Tencent's own host): it must be off, structurally.
    assert sender._client.circuit_breaker is None and sender._client.profile.disable_region_breaker
    tencent.replies["SendSms"] = http_error(503)
    for _ in range(3):
        assert refuse(sender).provider_code == "ServerNetworkError"
    tencent.replies["SendSms"] = sent()
    assert sender.send_code(E164, CODE, 300).request_id == tencent.last_request_id
    assert len(tencent.calls()) == 4  # each send one request


def test_no_proxy_is_honoured_for_the_endpoint(tencent, monkeypatch):
    # The SDK's own NO_PROXY test compares "127.0.0.1:<port>", so it would proxy this.
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert sender_for(tencent).send_code(E164, CODE, 300).provider == "tencent"
    assert len(tencent.calls()) == 1


def test_the_environment_proxy_is_still_used_for_other_hosts(tencent, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")  # a proxy that is down
    exc = refuse(sender_for(tencent))
    assert (exc.error, exc.provider_code) == (Error.SMS_UNAVAILABLE, "connection")
    assert tencent.calls() == []  # it went to the proxy


_FAILURES = ["arrears", "daily_limit", "bad_number", "unknown_secret_id", "http_500", "unknown_code",
             "timeout", "refused_connection"]


@pytest.mark.parametrize("case", _FAILURES)
def test_one_log_record_per_failure_with_codes_and_masked_phone(tencent, caplog, case):
    caplog.set_level(logging.DEBUG)
    if case == "refused_connection":
        sender = sender_for(tencent, TENCENT_SMS_ENDPOINT=f"http://127.0.0.1:{free_port()}")
        provider_code = "connection"
    elif case == "timeout":
        tencent.replies["SendSms"] = hanging(2)
        sender, provider_code = sender_for(tencent), "timeout"
    else:
        tencent.replies["SendSms"] = REFUSALS[case][0]
        sender, provider_code = sender_for(tencent), REFUSALS[case][2]
    exc = refuse(sender)
    [record] = lingo_records(caplog)
    message = record.getMessage()
    assert record.name == "lingo.sms"
    callers_doing = exc.error in (Error.SEND_TOO_FREQUENT, Error.INVALID_INPUT)
    assert record.levelno == (logging.WARNING if callers_doing else logging.ERROR)
    assert provider_code in message and (exc.request_id or "-") in message and MASKED in message
    assert CODE not in caplog.text and PHONE not in caplog.text


def _quoting(status: bool) -> Any:
    """A refusal whose message quotes the request (the code and the number in it)."""
    def reply(recorded: Recorded, request_id: str) -> Answer:
        sent_ = recorded.json()
        quote = json.dumps({"PhoneNumberSet": sent_["PhoneNumberSet"], "TemplateParamSet": sent_["TemplateParamSet"]})
        if status:
            return number_failed("FailedOperation.SomethingNew", f"refused: {quote}")(recorded, request_id)
        return api_error("InvalidParameterValue.TemplateParameterFormatError", f"bad request {quote}")(
            recorded, request_id)
    return reply


@pytest.mark.parametrize("status", [True, False], ids=["send_status", "api_error"])
def test_a_message_quoting_the_request_is_scrubbed(tencent, caplog, status):
    caplog.set_level(logging.DEBUG)
    tencent.replies["SendSms"] = _quoting(status)
    refuse(sender_for(tencent))
    [record] = lingo_records(caplog)
    assert "TemplateParamSet" in record.getMessage()  # the quote is logged...
    assert CODE not in caplog.text and PHONE not in caplog.text  # ...without the code or the number
    assert MASKED in record.getMessage()


# --- the sender: configuration ---------------------------------------------------------


@pytest.mark.parametrize("key", [
    "TENCENT_SECRET_ID", "TENCENT_SECRET_KEY", "TENCENT_SMS_REGION", "TENCENT_SMS_SDK_APP_ID",
    "TENCENT_SMS_SIGN_NAME", "TENCENT_SMS_TEMPLATE_ID",
])
def test_a_missing_setting_stops_the_app_naming_it(tencent, database_url, key):
    with pytest.raises(RuntimeError, match=f"SMS_BACKEND=tencent needs {key}"):
        create_app(app_config(database_url, **tencent.config(**{key: ""})))


@pytest.mark.parametrize("value", ["ftp://sms.tencentcloudapi.com", ""])
def test_a_bad_endpoint_stops_the_app(tencent, database_url, value):
    with pytest.raises(RuntimeError, match="endpoint|ENDPOINT"):
        create_app(app_config(database_url, **tencent.config(TENCENT_SMS_ENDPOINT=value)))


def test_the_sender_and_verifier_do_not_show_their_secrets(tencent):
    text = repr(sender_for(tencent)) + repr(TencentCaptcha(tencent.config()))
    assert SECRET_KEY not in text and CAPTCHA_APP_SECRET_KEY not in text


# --- through the HTTP API --------------------------------------------------------------


@pytest.fixture
def app_overrides(request, tencent_overrides):
    """Every app in this module sends through the fake Tencent (plus ``indirect`` parameters)."""
    return {**tencent_overrides, **getattr(request, "param", {})}


#: Errors Tencent causes → (modern status, error key), platform (code, status), v4 msg.
DIALECT_CASES = {
    "arrears": ((503, "sms_arrears"), (10011, 503), "短信服务欠费"),
    "unknown_code": ((503, "sms_failed"), (10012, 503), "短信发送失败"),
    "unknown_secret_id": ((503, "sms_unavailable"), (10013, 503), "短信服务不可用"),
    "http_500": ((503, "sms_unavailable"), (10013, 503), "短信服务不可用"),
    "daily_limit": ((429, "send_too_frequent"), (10010, 429), "发送太频繁"),
    "bad_number": ((422, "invalid_input"), (10005, 400), "参数错误: 手机号"),
}


def sent_code(tencent: FakeTencent) -> str:
    """The code in the last SendSms request (``{1}`` of the template)."""
    return tencent.calls()[-1].json()["TemplateParamSet"][0]


def modern_send(client, phone: str = PHONE) -> Any:
    return client.post("/api/auth/send_code", json={"phone": phone})


def modern_login(client, code: str) -> Any:
    return client.post("/api/auth/phone_code_login", json={"phone": PHONE, "code": code})


def test_modern_send_code_delivers_the_code_it_stores(client, tencent):
    response = modern_send(client)
    assert response.status_code == 200, response.get_json()
    request = tencent.calls()[-1].json()
    assert (request["PhoneNumberSet"], request["TemplateId"], request["SignName"]) == (
        [E164], TEMPLATE_ANY, SIGN_NAME)
    assert request["TemplateParamSet"] == [response.get_json()["data"]["code"], "5"]
    assert modern_login(client, sent_code(tencent)).status_code == 200


# codes.send refuses numbers outside SMS_ALLOWED_REGIONS (default CN) before any sender is asked.
@pytest.mark.parametrize("app_overrides", [{"SMS_ALLOWED_REGIONS": "*"}], indirect=True)
def test_modern_international_number_gets_the_international_template(client, tencent):
    assert modern_send(client, UK).status_code == 200
    request = tencent.calls()[-1].json()
    assert (request["PhoneNumberSet"], request["TemplateId"]) == ([UK], TEMPLATE_INTERNATIONAL)


@pytest.mark.parametrize("case", list(DIALECT_CASES))
def test_modern_renders_tencent_errors_and_gives_the_limits_back(client, tencent, caplog, case):
    (status, key), _, _ = DIALECT_CASES[case]
    caplog.set_level(logging.DEBUG, logger="lingo")
    tencent.replies["SendSms"] = REFUSALS[case][0]
    response = modern_send(client)
    body = response.get_json()
    assert response.status_code == status, body
    if key == "invalid_input":
        assert body["detail"][0]["loc"] == ["body", "phone"]
    else:
        assert body["error"] == key and body["code"] == status
    failed_code = sent_code(tencent)
    assert len([r for r in caplog.records if r.name == "lingo.sms"]) == 1  # logged once
    assert failed_code not in caplog.text
    # The undelivered code is dead, and the resend gap was given back: a new send at once.
    assert modern_login(client, failed_code).status_code == 400
    tencent.replies["SendSms"] = sent()
    assert modern_send(client).status_code == 200
    assert modern_login(client, sent_code(tencent)).status_code == 200


def test_modern_hanging_tencent_is_503_within_the_time_outs(client, tencent):
    tencent.replies["SendSms"] = hanging(6)
    started = time.monotonic()
    response = modern_send(client)
    assert response.status_code == 503 and response.get_json()["error"] == "sms_unavailable"
    assert time.monotonic() - started < 3.0  # a read time-out of 1 s, no retry (provider: 6 s)


def test_modern_refused_connection_is_503(app, client, tencent):
    app.extensions["lingo.sms"] = TencentSmsSender(
        {**app.config, "TENCENT_SMS_ENDPOINT": f"http://127.0.0.1:{free_port()}"})
    response = modern_send(client)
    assert response.status_code == 503 and response.get_json()["error"] == "sms_unavailable"


def test_resend_gap_still_holds_after_a_delivered_code(client, clock, tencent):
    assert modern_send(client).status_code == 200
    assert modern_send(client).get_json()["error"] == "send_too_frequent"
    assert len(tencent.calls()) == 1  # refused by lingo, Tencent not asked
    clock.advance(61)
    assert modern_send(client).status_code == 200


def platform_send(client) -> Any:
    return client.post("/api/auth/send_code", json={"area": "86", "account": PHONE})


def test_platform_send_code_goes_through_tencent(client, tencent):
    assert platform_send(client).get_json() == {"code": 0, "message": "success", "data": {}}
    request = tencent.calls()[-1].json()
    assert (request["PhoneNumberSet"], request["TemplateId"]) == ([E164], TEMPLATE_ANY)


@pytest.mark.parametrize("case", list(DIALECT_CASES))
def test_platform_renders_tencent_errors_and_gives_the_limits_back(client, tencent, case):
    _, (code, status), _ = DIALECT_CASES[case]
    tencent.replies["SendSms"] = REFUSALS[case][0]
    response = platform_send(client)
    body = response.get_json()
    assert response.status_code == status and body["code"] == code and body["data"] == {}, body
    tencent.replies["SendSms"] = sent()
    assert platform_send(client).get_json()["code"] == 0


def v4_send(client, expect: str = "0") -> Any:
    response = client.get(f"{V4}/sendsms/{PHONE}?expect={expect}")
    assert response.status_code == 200  # v4 answers every error with HTTP 200
    return response.get_json()


def test_v4_sendsms_uses_the_default_template_for_registration(client, tencent):
    assert v4_send(client, "0") == {"code": "200", "msg": "发送成功"}
    assert tencent.calls()[-1].json()["TemplateId"] == TEMPLATE_ANY


def test_v4_sendsms_for_a_reset_uses_the_reset_template(app, client, tencent):
    insert_user(app, PHONE)
    assert v4_send(client, "1") == {"code": "200", "msg": "发送成功"}
    request = tencent.calls()[-1].json()
    assert (request["PhoneNumberSet"], request["TemplateId"]) == ([E164], TEMPLATE_RESET)


@pytest.mark.parametrize("case", list(DIALECT_CASES))
def test_v4_renders_tencent_errors_and_gives_the_limits_back(client, tencent, case):
    _, _, msg = DIALECT_CASES[case]
    tencent.replies["SendSms"] = REFUSALS[case][0]
    assert v4_send(client) == {"code": -1, "data": "", "msg": msg}
    tencent.replies["SendSms"] = sent()
    assert v4_send(client) == {"code": "200", "msg": "发送成功"}


# --- the captcha verifier --------------------------------------------------------------


TICKET = "t03lingoFakeTicket_" + "x" * 40
RANDSTR = "@lingo"
PROOF = {"ticket": TICKET, "randstr": RANDSTR}


def captcha_for(tencent: FakeTencent, **extra: Any) -> TencentCaptcha:
    return TencentCaptcha(tencent.config(**extra))


@pytest.mark.parametrize("proof", [PROOF, json.dumps(PROOF)], ids=["object", "json_text"])
def test_captcha_accepts_what_tencent_passes(tencent, proof):
    assert captcha_for(tencent).verify(proof, ip=IP) is None
    [request] = tencent.calls("DescribeCaptchaResult")
    assert request.headers["x-tc-version"] == "2019-07-22"
    assert "x-tc-region" not in request.headers  # the API takes none
    assert request.json() == {
        "CaptchaType": 9, "Ticket": TICKET, "Randstr": RANDSTR, "UserIp": IP,
        "CaptchaAppId": int(CAPTCHA_APP_ID), "AppSecretKey": CAPTCHA_APP_SECRET_KEY,
    }
    assert signed_by(request, SECRET_KEY) == (SECRET_ID, "captcha")


@pytest.mark.parametrize("code, message", [
    (9, "ticket reused"), (8, "ticket expired"), (7, "randstr mismatch"), (15, "decrypt fail"),
    # A ticket solved for another captcha app: the client's doing, not our configuration.
    (16, "appid no match"),
])
def test_captcha_rejection_is_captcha_invalid_and_logged_without_the_ticket(tencent, caplog, code, message):
    caplog.set_level(logging.DEBUG)
    tencent.replies["DescribeCaptchaResult"] = captcha(code, message)
    with pytest.raises(DomainError) as info:
        captcha_for(tencent).verify(PROOF, ip=IP)
    assert info.value.error is Error.CAPTCHA_INVALID
    [record] = lingo_records(caplog)
    assert record.name == "lingo.captcha" and record.levelno == logging.WARNING
    assert f"CaptchaCode {code}" in record.getMessage() and tencent.last_request_id in record.getMessage()
    assert TICKET not in caplog.text


@pytest.mark.parametrize("proof", [
    None, "", "   ", "not json", "[]", json.dumps({"ticket": TICKET}), 42, [TICKET, RANDSTR], {},
    {"ticket": "", "randstr": RANDSTR}, {"ticket": TICKET, "randstr": 7},
])
def test_a_malformed_proof_is_refused_without_asking_tencent(tencent, proof):
    with pytest.raises(DomainError) as info:
        captcha_for(tencent).verify(proof, ip=IP)
    assert info.value.error is Error.CAPTCHA_INVALID
    assert tencent.calls("DescribeCaptchaResult") == []


def test_an_api_error_about_the_request_is_a_rejection_not_an_outage(tencent):
    # The client controls the ticket: what it can provoke must not open a fail-open captcha.
    tencent.replies["DescribeCaptchaResult"] = api_error("InvalidParameter", "ticket format")
    with pytest.raises(DomainError) as info:
        captcha_for(tencent).verify(PROOF, ip=IP)
    assert info.value.error is Error.CAPTCHA_INVALID


@pytest.mark.parametrize("reply, provider_code, has_request_id", [
    (api_error("UnauthorizedOperation.ErrAuth", "鉴权失败"), "UnauthorizedOperation.ErrAuth", True),
    (api_error("AuthFailure.SecretIdNotFound"), "AuthFailure.SecretIdNotFound", True),
    (api_error("InternalError", "内部错误"), "InternalError", True),
    (http_error(500), "ServerNetworkError", False),
    (hanging(6, captcha()), "timeout", False),
    # CaptchaCode values that are our misconfiguration (AppSecretKey) or Tencent's fault.
    (captcha(100, "appid-secretkey-ticket mismatch"), "CaptchaCode 100", True),
    (captcha(26, "system internal error"), "CaptchaCode 26", True),
], ids=["err_auth", "unknown_secret_id", "internal", "http_500", "timeout", "secret_key_mismatch",
        "internal_error_code"])
def test_captcha_unavailable_when_tencent_gives_no_verdict(tencent, reply, provider_code, has_request_id):
    tencent.replies["DescribeCaptchaResult"] = reply
    started = time.monotonic()
    with pytest.raises(CaptchaUnavailable) as info:
        captcha_for(tencent).verify(PROOF, ip=IP)
    request_id = tencent.last_request_id if has_request_id else ""
    assert (info.value.provider, info.value.provider_code, info.value.request_id) == (
        "tencent", provider_code, request_id)
    assert time.monotonic() - started < 3.0 and len(tencent.calls("DescribeCaptchaResult")) == 1


def test_captcha_unavailable_when_nobody_listens(tencent):
    with pytest.raises(CaptchaUnavailable) as info:
        dead = captcha_for(tencent, TENCENT_CAPTCHA_ENDPOINT=f"http://127.0.0.1:{free_port()}")
        dead.verify(PROOF, ip="::1")
    assert info.value.provider_code == "connection"


@pytest.mark.parametrize("key", [
    "TENCENT_SECRET_ID", "TENCENT_SECRET_KEY", "TENCENT_CAPTCHA_APP_ID", "TENCENT_CAPTCHA_APP_SECRET_KEY",
])
def test_captcha_needs_its_settings(tencent, key):
    with pytest.raises(RuntimeError, match=f"CAPTCHA_PROVIDER=tencent needs {key}"):
        captcha_for(tencent, **{key: ""})


def test_captcha_app_id_must_be_numeric(tencent):
    with pytest.raises(RuntimeError, match="TENCENT_CAPTCHA_APP_ID"):
        captcha_for(tencent, TENCENT_CAPTCHA_APP_ID="my-app")


# modern and platform share /api/auth/send_code: the captcha is on both or neither.
@pytest.mark.parametrize("app_overrides",
                         [{"CAPTCHA_PROVIDER": "tencent", "CAPTCHA_DIALECTS": ["modern", "platform"]}],
                         indirect=True)
def test_modern_send_code_asks_tencent_captcha_before_sending(client, tencent):
    response = client.post("/api/auth/send_code", json={"phone": PHONE, "captcha": PROOF})
    assert response.status_code == 200, response.get_json()
    assert [r.headers["x-tc-action"] for r in tencent.server.requests] == ["DescribeCaptchaResult", "SendSms"]
    assert tencent.calls("DescribeCaptchaResult")[0].json()["UserIp"] == "127.0.0.1"
    tencent.replies["DescribeCaptchaResult"] = captcha(9, "ticket reused")
    response = client.post("/api/auth/send_code", json={"phone": "13900139000", "captcha": json.dumps(PROOF)})
    assert response.status_code == 400 and response.get_json()["error"] == "captcha_invalid"
    assert len(tencent.calls("SendSms")) == 1  # nothing sent for the refused captcha


@pytest.mark.parametrize("app_overrides", [{"CAPTCHA_PROVIDER": "tencent", "CAPTCHA_DIALECTS": ["modern", "platform"],
                                            "CAPTCHA_FAIL_OPEN": False}], indirect=True)
def test_a_wrong_app_secret_key_is_logged_as_unavailable_not_as_a_bad_ticket(client, tencent, caplog):
    caplog.set_level(logging.DEBUG, logger="lingo")
    tencent.replies["DescribeCaptchaResult"] = captcha(100, "appid-secretkey-ticket mismatch")
    response = client.post("/api/auth/send_code", json={"phone": PHONE, "captcha": PROOF})
    assert response.status_code == 503, response.get_json()  # fail-closed: the provider gave no answer
    [record] = [r for r in caplog.records if r.name == "lingo.captcha"]
    assert record.levelno == logging.ERROR and "unavailable" in record.getMessage()
    assert "CaptchaCode 100" in record.getMessage() and tencent.last_request_id in record.getMessage()
    assert tencent.calls("SendSms") == []
