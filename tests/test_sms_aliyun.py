"""The Aliyun SMS sender and captcha verifier against a fake Aliyun, alone and through every dialect.

The official SDK really runs: it signs and sends HTTP requests to the local
fake (:mod:`helpers.fake_aliyun`), so these tests see what Aliyun would receive.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest

from deploy.ports import free_port
from helpers import providers
from helpers.apps import app_config
from helpers.fake_aliyun import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    REQUEST_ID,
    SCENE_ID,
    SIGN_NAME,
    TEMPLATE_ANY,
    TEMPLATE_INTERNATIONAL,
    TEMPLATE_RESET,
    FakeAliyun,
    action,
    captcha_answer,
    gateway_error,
    hanging,
    internal_error,
    invalid_access_key,
    settings,
    sms_ok,
    sms_refused,
)
from helpers.providers import Answer, Recorded, lingo_records
from helpers.v4 import V4, insert_user
from lingo import create_app
from lingo.errors import DomainError, Error
from lingo.senders.aliyun import AliyunCaptcha, AliyunSmsSender, captcha_unavailable, phone_numbers, sms_error
from lingo.senders.captcha import CaptchaUnavailable
from lingo.senders.sms import Delivery, SmsDeliveryError

PHONE = "13800138000"
E164 = "+86" + PHONE
MASKED = "+8613****00"
HK = "+85291234567"
CODE = "246810"

#: Provider answers and what lingo makes of them: (answer, error, provider code, request id).
REFUSALS = {
    "arrears": (sms_refused("isv.AMOUNT_NOT_ENOUGH", "账户余额不足"), Error.SMS_ARREARS,
                "isv.AMOUNT_NOT_ENOUGH", REQUEST_ID),
    "out_of_service": (sms_refused("isv.OUT_OF_SERVICE", "业务停机"), Error.SMS_ARREARS,
                       "isv.OUT_OF_SERVICE", REQUEST_ID),
    "flow_control": (sms_refused("isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:10"),
                     Error.SEND_TOO_FREQUENT, "isv.BUSINESS_LIMIT_CONTROL", REQUEST_ID),
    "day_limit": (sms_refused("isv.DAY_LIMIT_CONTROL", "触发日发送限额"), Error.SMS_UNAVAILABLE,
                  "isv.DAY_LIMIT_CONTROL", REQUEST_ID),
    "bad_number": (sms_refused("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"), Error.INVALID_INPUT,
                   "isv.MOBILE_NUMBER_ILLEGAL", REQUEST_ID),
    "bad_template": (sms_refused("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板"), Error.SMS_UNAVAILABLE,
                     "isv.SMS_TEMPLATE_ILLEGAL", REQUEST_ID),
    "system_error": (sms_refused("isp.SYSTEM_ERROR", "系统异常"), Error.SMS_UNAVAILABLE,
                     "isp.SYSTEM_ERROR", REQUEST_ID),
    "unknown_key": (invalid_access_key(), Error.SMS_UNAVAILABLE, "InvalidAccessKeyId.NotFound", REQUEST_ID),
    "signature": (gateway_error(400, "SignatureDoesNotMatch", "Specified signature is not matched."),
                  Error.SMS_UNAVAILABLE, "SignatureDoesNotMatch", REQUEST_ID),
    "ram_denied": (gateway_error(403, "Forbidden.RAM", "User not authorized to operate on the resource."),
                   Error.SMS_UNAVAILABLE, "Forbidden.RAM", REQUEST_ID),
    "throttled": (gateway_error(429, "Throttling.User", "Request was denied due to user flow control."),
                  Error.SMS_UNAVAILABLE, "Throttling.User", REQUEST_ID),
    "http_500": (internal_error(), Error.SMS_UNAVAILABLE, "InternalError", REQUEST_ID),
    "html_502": (Answer(502, b"<html><body>502 Bad Gateway</body></html>", {"Content-Type": "text/html"}),
                 Error.SMS_UNAVAILABLE, "bad_response", ""),
    "unknown_code": (sms_refused("isv.SOMETHING_NEW", "新的错误"), Error.SMS_FAILED,
                     "isv.SOMETHING_NEW", REQUEST_ID),
    "bad_json_param": (sms_refused("isv.INVALID_JSON_PARAM", "JSON参数不合法"), Error.SMS_FAILED,
                       "isv.INVALID_JSON_PARAM", REQUEST_ID),
    "unknown_4xx": (gateway_error(400, "MissingPhoneNumbers", "PhoneNumbers is mandatory for this action."),
                    Error.SMS_FAILED, "MissingPhoneNumbers", REQUEST_ID),
}


def sender_for(aliyun: FakeAliyun, **extra: Any) -> AliyunSmsSender:
    """A sender talking to the fake, configured like the app fixture."""
    return AliyunSmsSender(settings(aliyun, **extra))


def refuse(sender: AliyunSmsSender, to: str = E164, code: str = CODE) -> SmsDeliveryError:
    """Send and return the delivery error raised."""
    return providers.refuse(sender, to, code)


# --- the sender: what it sends ---------------------------------------------------------


def test_send_code_sends_what_aliyun_documents(aliyun):
    delivery = sender_for(aliyun).send_code(E164, CODE, 300)
    assert delivery == Delivery("aliyun", REQUEST_ID, TEMPLATE_ANY)
    [request] = aliyun.requests  # one call, no retry
    assert (request.method, request.path) == ("POST", "/")
    # ACS3-HMAC-SHA256 (the SDK's default signature): action and version travel as headers.
    assert action(request) == "SendSms" and request.headers["x-acs-version"] == "2017-05-25"
    assert request.form() == {
        "PhoneNumbers": PHONE,
        "SignName": SIGN_NAME,
        "TemplateCode": TEMPLATE_ANY,
        "TemplateParam": json.dumps({"code": CODE}, separators=(",", ":")),
    }
    assert request.headers["authorization"].startswith(f"ACS3-HMAC-SHA256 Credential={ACCESS_KEY_ID},")
    assert ACCESS_KEY_SECRET not in json.dumps(request.headers) + request.body.decode()


def test_template_param_names_and_minutes_are_configurable(aliyun):
    sender = sender_for(aliyun, ALIYUN_SMS_PARAM_CODE="otp", ALIYUN_SMS_PARAM_MINUTES="min")
    sender.send_code(E164, CODE, 300)
    sender.send_code(E164, CODE, 61)  # rounded up
    assert [json.loads(s["TemplateParam"]) for s in aliyun.sent()] == [
        {"otp": CODE, "min": "5"}, {"otp": CODE, "min": "2"},  # strings: Aliyun refuses numbers
    ]


@pytest.mark.parametrize("to, scene, unset, number, template", [
    (E164, "any", None, PHONE, TEMPLATE_ANY),
    (E164, "reset", None, PHONE, TEMPLATE_RESET),
    (E164, "reset", "ALIYUN_SMS_TEMPLATE_CODE_RESET", PHONE, TEMPLATE_ANY),
    (HK, "any", None, "85291234567", TEMPLATE_INTERNATIONAL),
    (HK, "reset", None, "85291234567", TEMPLATE_INTERNATIONAL),
    (HK, "reset", "ALIYUN_SMS_TEMPLATE_CODE_INTERNATIONAL", "85291234567", TEMPLATE_RESET),
    ("+14155550123", "any", "ALIYUN_SMS_TEMPLATE_CODE_INTERNATIONAL", "14155550123", TEMPLATE_ANY),
])
def test_phone_number_format_and_template_per_scene(aliyun, to, scene, unset, number, template):
    sender = sender_for(aliyun, **({unset: ""} if unset else {}))
    assert sender.send_code(to, CODE, 300, scene).template == template
    sent = aliyun.sent()[-1]
    assert (sent["PhoneNumbers"], sent["TemplateCode"]) == (number, template)


def test_phone_numbers_never_carry_plus_or_mainland_prefix():
    assert phone_numbers("+8613800138000") == "13800138000"
    assert phone_numbers("+85291234567") == "85291234567"
    assert phone_numbers("+447911123456") == "447911123456"
    assert phone_numbers(" +8613800138000 ") == "13800138000"


def test_success_is_logged_once_without_the_code(aliyun, caplog):
    caplog.set_level(logging.DEBUG, logger="lingo")
    sender_for(aliyun).send_code(E164, CODE, 300)
    [record] = lingo_records(caplog)
    assert record.levelno == logging.INFO
    assert MASKED in record.getMessage() and REQUEST_ID in record.getMessage()
    assert CODE not in caplog.text and PHONE not in caplog.text


# --- the sender: how refusals map ------------------------------------------------------


@pytest.mark.parametrize("answer, error, provider_code, request_id", REFUSALS.values(), ids=list(REFUSALS))
def test_provider_answers_map_to_domain_errors(aliyun, answer, error, provider_code, request_id):
    aliyun.reply(answer)
    exc = refuse(sender_for(aliyun))
    assert (exc.error, exc.provider_code, exc.request_id) == (error, provider_code, request_id)
    assert exc.provider == "aliyun"
    assert len(aliyun.requests) == 1  # no automatic retry


def test_sms_error_covers_codes_statuses_and_transport_failures():
    assert sms_error("isv.AMOUNT_NOT_ENOUGH") is Error.SMS_ARREARS
    assert sms_error("Forbidden.NoPermission", 403) is Error.SMS_UNAVAILABLE
    assert sms_error("ServiceUnavailable", 503) is Error.SMS_UNAVAILABLE
    assert sms_error("timeout", 0) is Error.SMS_UNAVAILABLE
    # A batch-size refusal is not flow control: a single-number send cannot cause it.
    assert sms_error("isv.MOBILE_COUNT_OVER_LIMIT") is Error.SMS_FAILED


def test_a_hanging_provider_costs_at_most_the_time_outs(aliyun):
    aliyun.reply(hanging(6))
    started = time.monotonic()
    exc = refuse(sender_for(aliyun))
    elapsed = time.monotonic() - started
    assert (exc.error, exc.provider_code, exc.request_id) == (Error.SMS_UNAVAILABLE, "timeout", "")
    # Read time-out 1 s, far below the provider's 6 s; one request (no retry). The upper
    # bound leaves room for a loaded machine: it only has to tell the time-out from the answer.
    assert 0.9 < elapsed < 3.0
    assert len(aliyun.requests) == 1


def test_a_refused_connection_is_unavailable(aliyun):
    exc = refuse(sender_for(aliyun, ALIYUN_SMS_ENDPOINT=f"http://127.0.0.1:{free_port()}"))
    assert (exc.error, exc.provider_code) == (Error.SMS_UNAVAILABLE, "connection")


def test_any_sdk_exception_is_a_failed_send_not_a_500(aliyun, monkeypatch):
    sender = sender_for(aliyun)

    def broken(*args: Any) -> None:
        raise TypeError("something inside the SDK")

    monkeypatch.setattr(sender._client, "send_sms_with_options", broken)
    exc = refuse(sender)
    assert (exc.error, exc.provider_code) == (Error.SMS_FAILED, "sdk_error")
    assert exc.__cause__ is None and exc.__suppress_context__  # the SDK's exception is not chained


@pytest.mark.parametrize("case", ["arrears", "flow_control", "unknown_key", "html_502", "refused_connection"])
def test_one_log_record_per_failure_with_codes_and_masked_phone(aliyun, caplog, case):
    caplog.set_level(logging.DEBUG, logger="lingo")
    if case == "refused_connection":
        # The SDK's exception quotes the URL (number and code): it must not reach the log.
        sender, provider_code, request_id = (
            sender_for(aliyun, ALIYUN_SMS_ENDPOINT=f"http://127.0.0.1:{free_port()}"), "connection", "-")
    else:
        aliyun.reply(REFUSALS[case][0])
        sender, provider_code, request_id = sender_for(aliyun), REFUSALS[case][2], REFUSALS[case][3] or "-"
    refuse(sender)
    [record] = lingo_records(caplog)
    message = record.getMessage()
    assert record.name == "lingo.sms" and record.levelno >= logging.WARNING
    assert provider_code in message and request_id in message and MASKED in message
    assert CODE not in caplog.text and PHONE not in caplog.text


def test_a_message_quoting_the_request_is_scrubbed(aliyun, caplog):
    def quoting(request: Recorded) -> Answer:
        # SignatureDoesNotMatch's message quotes the signed string: the whole query.
        query = urlencode({k: v[-1] for k, v in request.query.items()})
        return gateway_error(400, "SignatureDoesNotMatch", f"server string to sign is: POST\n/\n{query}")

    aliyun.answer = quoting
    caplog.set_level(logging.DEBUG, logger="lingo")
    refuse(sender_for(aliyun))
    assert "SignatureDoesNotMatch" in caplog.text and "TemplateParam" in caplog.text  # the quote is logged…
    assert CODE not in caplog.text and PHONE not in caplog.text  # …without the code or the number


def test_the_sdk_request_dump_stays_off(aliyun, caplog, monkeypatch):
    # darabonba-core dumps each request line (query: number and code) when DEBUG=sdk.
    monkeypatch.setenv("DEBUG", "sdk")
    caplog.set_level(logging.DEBUG)
    sender_for(aliyun).send_code(E164, CODE, 300)
    assert [r for r in caplog.records if r.name == "darabonba-core"] == []


# --- the sender: configuration ---------------------------------------------------------


@pytest.mark.parametrize("key", [
    "ALIYUN_ACCESS_KEY_ID", "ALIYUN_ACCESS_KEY_SECRET", "ALIYUN_SMS_SIGN_NAME", "ALIYUN_SMS_TEMPLATE_CODE",
    "ALIYUN_SMS_ENDPOINT",
])
def test_a_missing_setting_stops_the_app_naming_it(aliyun, database_url, key):
    with pytest.raises(RuntimeError, match=f"SMS_BACKEND=aliyun needs {key}"):
        create_app(app_config(database_url, **settings(aliyun, **{key: ""})))


def test_the_sender_does_not_show_its_secret(aliyun):
    assert ACCESS_KEY_SECRET not in repr(sender_for(aliyun))


# --- through the HTTP API --------------------------------------------------------------


@pytest.fixture
def app_overrides(request, aliyun_overrides):
    """Every app in this module sends through the fake Aliyun (plus ``indirect`` parameters)."""
    return {**aliyun_overrides, **getattr(request, "param", {})}


#: Errors the provider causes → (modern status, error key), platform (code, status), v4 msg.
DIALECT_CASES = {
    "arrears": ((503, "sms_arrears"), (10011, 503), "短信服务欠费"),
    "unknown_code": ((503, "sms_failed"), (10012, 503), "短信发送失败"),
    "unknown_key": ((503, "sms_unavailable"), (10013, 503), "短信服务不可用"),
    "http_500": ((503, "sms_unavailable"), (10013, 503), "短信服务不可用"),
    "flow_control": ((429, "send_too_frequent"), (10010, 429), "发送太频繁"),
    "bad_number": ((422, "invalid_input"), (10005, 400), "参数错误: 手机号"),
}


def modern_send(client, phone: str = PHONE) -> Any:
    return client.post("/api/auth/send_code", json={"phone": phone})


def test_modern_send_code_delivers_the_code_it_stores(client, aliyun):
    response = modern_send(client)
    assert response.status_code == 200, response.get_json()
    sent = aliyun.sent()[-1]
    assert (sent["PhoneNumbers"], sent["TemplateCode"], sent["SignName"]) == (PHONE, TEMPLATE_ANY, SIGN_NAME)
    login = client.post("/api/auth/phone_code_login", json={"phone": PHONE, "code": aliyun.last_code()})
    assert login.status_code == 200, login.get_json()


# codes.send refuses numbers outside SMS_ALLOWED_REGIONS (default CN) before any sender is asked.
@pytest.mark.parametrize("app_overrides", [{"SMS_ALLOWED_REGIONS": "*"}], indirect=True)
def test_modern_international_number_gets_the_international_template(client, aliyun):
    assert modern_send(client, HK).status_code == 200
    sent = aliyun.sent()[-1]
    assert (sent["PhoneNumbers"], sent["TemplateCode"]) == ("85291234567", TEMPLATE_INTERNATIONAL)


@pytest.mark.parametrize("case", list(DIALECT_CASES))
def test_modern_renders_provider_errors_and_gives_the_limits_back(client, aliyun, case):
    (status, key), _, _ = DIALECT_CASES[case]
    aliyun.reply(REFUSALS[case][0])
    response = modern_send(client)
    body = response.get_json()
    assert response.status_code == status, body
    if key == "invalid_input":
        assert body["detail"][0]["loc"] == ["body", "phone"]
    else:
        assert body["error"] == key and body["code"] == status
    aliyun.reply(sms_ok())
    assert modern_send(client).status_code == 200  # at once: the resend gap was given back
    assert modern_send(client).status_code == 429  # a delivered code does take it


def test_modern_resend_gap_after_a_delivered_code_is_lingos_own(client, aliyun, clock):
    assert modern_send(client).status_code == 200
    refused = modern_send(client)
    assert refused.status_code == 429 and refused.get_json()["error"] == "send_too_frequent"
    assert len(aliyun.sent()) == 1  # refused before asking Aliyun
    clock.advance(61)
    assert modern_send(client).status_code == 200 and len(aliyun.sent()) == 2


def test_modern_hanging_provider_is_503_within_the_time_outs(client, aliyun):
    aliyun.reply(hanging(6))
    started = time.monotonic()
    response = modern_send(client)
    assert response.status_code == 503 and response.get_json()["error"] == "sms_unavailable"
    assert time.monotonic() - started < 3.0  # the provider would answer after 6 s


def test_modern_refused_connection_is_503(app, client, aliyun):
    app.extensions["lingo.sms"] = AliyunSmsSender(
        {**app.config, "ALIYUN_SMS_ENDPOINT": f"http://127.0.0.1:{free_port()}"})
    response = modern_send(client)
    assert response.status_code == 503 and response.get_json()["error"] == "sms_unavailable"


def platform_send(client) -> Any:
    return client.post("/api/auth/send_code", json={"area": "86", "account": PHONE})


def test_platform_send_code_goes_through_aliyun(client, aliyun):
    response = platform_send(client)
    assert response.get_json() == {"code": 0, "message": "success", "data": {}}
    sent = aliyun.sent()[-1]
    assert (sent["PhoneNumbers"], sent["TemplateCode"]) == (PHONE, TEMPLATE_ANY)


@pytest.mark.parametrize("case", list(DIALECT_CASES))
def test_platform_renders_provider_errors_and_gives_the_limits_back(client, aliyun, case):
    _, (code, status), _ = DIALECT_CASES[case]
    aliyun.reply(REFUSALS[case][0])
    response = platform_send(client)
    body = response.get_json()
    assert response.status_code == status and body["code"] == code and body["data"] == {}, body
    aliyun.reply(sms_ok())
    assert platform_send(client).get_json()["code"] == 0


def v4_send(client, expect: str = "0") -> Any:
    response = client.get(f"{V4}/sendsms/{PHONE}?expect={expect}")
    assert response.status_code == 200  # v4 answers every error with HTTP 200
    return response.get_json()


def test_v4_sendsms_uses_the_default_template_for_registration(client, aliyun):
    assert v4_send(client, "0") == {"code": "200", "msg": "发送成功"}
    assert aliyun.sent()[-1]["TemplateCode"] == TEMPLATE_ANY


def test_v4_sendsms_for_a_reset_uses_the_reset_template(app, client, aliyun):
    insert_user(app, PHONE)
    assert v4_send(client, "1") == {"code": "200", "msg": "发送成功"}
    sent = aliyun.sent()[-1]
    assert (sent["PhoneNumbers"], sent["TemplateCode"]) == (PHONE, TEMPLATE_RESET)


@pytest.mark.parametrize("case", list(DIALECT_CASES))
def test_v4_renders_provider_errors_and_gives_the_limits_back(client, aliyun, case):
    _, _, msg = DIALECT_CASES[case]
    aliyun.reply(REFUSALS[case][0])
    assert v4_send(client) == {"code": -1, "data": "", "msg": msg}
    aliyun.reply(sms_ok())
    assert v4_send(client) == {"code": "200", "msg": "发送成功"}


# --- the captcha verifier --------------------------------------------------------------


def captcha_for(aliyun: FakeAliyun, **extra: Any) -> AliyunCaptcha:
    return AliyunCaptcha(settings(aliyun, **extra))


PROOF = "eyJjZXJ0aWZ5SWQiOiJ4eHgiLCJzY2VuZUlkIjoic2NlbmUtZmFrZS0xIn0="


def test_captcha_accepts_what_aliyun_passes(aliyun):
    assert captcha_for(aliyun).verify(PROOF, ip="203.0.113.9") is None
    [request] = aliyun.requests
    assert action(request) == "VerifyIntelligentCaptcha" and request.headers["x-acs-version"] == "2023-03-05"
    assert request.form() == {"CaptchaVerifyParam": PROOF, "SceneId": SCENE_ID}
    assert request.headers["authorization"].startswith(f"ACS3-HMAC-SHA256 Credential={ACCESS_KEY_ID},")


def test_captcha_without_scene_id_sends_none(aliyun):
    captcha_for(aliyun, ALIYUN_CAPTCHA_SCENE_ID="").verify(PROOF, ip="203.0.113.9")
    assert aliyun.last.form() == {"CaptchaVerifyParam": PROOF}


def test_captcha_rejection_is_captcha_invalid_and_logged_without_the_proof(aliyun, caplog):
    caplog.set_level(logging.DEBUG, logger="lingo")
    aliyun.reply(captcha_answer(False, "F005"))
    with pytest.raises(DomainError) as info:
        captcha_for(aliyun).verify(PROOF, ip="203.0.113.9")
    assert info.value.error is Error.CAPTCHA_INVALID
    [record] = lingo_records(caplog)
    assert record.levelno in (logging.INFO, logging.WARNING)
    assert "F005" in record.getMessage() and REQUEST_ID in record.getMessage()
    assert PROOF not in caplog.text


@pytest.mark.parametrize("proof", ["", "   ", None, 123, {"ticket": "t", "randstr": "r"}, [PROOF]])
def test_a_malformed_proof_is_refused_without_asking_aliyun(aliyun, proof):
    with pytest.raises(DomainError) as info:
        captcha_for(aliyun).verify(proof, ip="203.0.113.9")
    assert info.value.error is Error.CAPTCHA_INVALID
    assert aliyun.requests == []


@pytest.mark.parametrize("answer, provider_code, request_id", [
    (internal_error(), "InternalError", REQUEST_ID),
    (invalid_access_key(), "InvalidAccessKeyId.NotFound", REQUEST_ID),
    (gateway_error(400, "SignatureDoesNotMatch", "Specified signature is not matched."), "SignatureDoesNotMatch",
     REQUEST_ID),
    (gateway_error(403, "Forbidden.RAM", "not authorized"), "Forbidden.RAM", REQUEST_ID),
    (gateway_error(429, "Throttling.User", "Request was denied due to user flow control."), "Throttling.User",
     REQUEST_ID),
    (Answer(502, b"<html><body>502 Bad Gateway</body></html>", {"Content-Type": "text/html"}), "bad_response", ""),
    (hanging(6), "timeout", ""),
], ids=["http_500", "unknown_key", "bad_signature", "ram_denied", "throttled", "html_502", "timeout"])
def test_captcha_unavailable_when_aliyun_gives_no_answer(aliyun, answer, provider_code, request_id):
    aliyun.reply(answer)
    started = time.monotonic()
    with pytest.raises(CaptchaUnavailable) as info:
        captcha_for(aliyun).verify(PROOF, ip="203.0.113.9")
    assert (info.value.provider, info.value.provider_code, info.value.request_id) == (
        "aliyun", provider_code, request_id)
    assert time.monotonic() - started < 3.0 and len(aliyun.requests) == 1


#: Answers without a verdict that a client can provoke with its proof: (answer, provider code, request id).
NO_VERDICT_REFUSALS = {
    "invalid_parameter": (gateway_error(400, "InvalidParameter", "The specified parameter CaptchaVerifyParam is "
                                        f"not valid: {PROOF}"), "InvalidParameter", REQUEST_ID),
    "missing_parameter": (gateway_error(400, "MissingCaptchaVerifyParam", "CaptchaVerifyParam is mandatory."),
                          "MissingCaptchaVerifyParam", REQUEST_ID),
    "unknown_4xx": (gateway_error(404, "SomethingNew", "not found"), "SomethingNew", REQUEST_ID),
    "200_with_code": (Answer(200, {"RequestId": "r-1", "Success": False, "Code": "InvalidParameter",
                                   "Message": f"bad {PROOF}"}), "InvalidParameter", "r-1"),
    "200_without_result": (Answer(200, {"RequestId": "r-2", "Success": True, "Code": "Success"}), "Success", "r-2"),
    "200_empty_result": (Answer(200, {"RequestId": "r-3", "Result": {}}), "no_result", "r-3"),
}


@pytest.mark.parametrize("answer, provider_code, request_id", NO_VERDICT_REFUSALS.values(),
                         ids=list(NO_VERDICT_REFUSALS))
def test_a_malformed_proof_aliyun_refuses_is_captcha_invalid_not_unavailable(
        aliyun, caplog, answer, provider_code, request_id):
    # Under CAPTCHA_FAIL_OPEN an "unavailable" would let this proof through.
    caplog.set_level(logging.DEBUG, logger="lingo")
    aliyun.reply(answer)
    with pytest.raises(DomainError) as info:
        captcha_for(aliyun).verify(PROOF, ip="203.0.113.9")
    assert info.value.error is Error.CAPTCHA_INVALID and len(aliyun.requests) == 1
    [record] = lingo_records(caplog)
    assert record.name == "lingo.captcha" and record.levelno == logging.WARNING
    assert provider_code in record.getMessage() and request_id in record.getMessage()
    assert PROOF not in caplog.text  # Aliyun's message may quote the proof: it is not logged


def test_an_sdk_failure_is_a_rejection_not_an_outage(aliyun, monkeypatch):
    captcha = captcha_for(aliyun)

    def broken(*args: Any) -> None:
        raise TypeError("something inside the SDK")

    monkeypatch.setattr(captcha._client, "verify_intelligent_captcha_with_options", broken)
    with pytest.raises(DomainError) as info:
        captcha.verify(PROOF, ip="203.0.113.9")
    assert info.value.error is Error.CAPTCHA_INVALID


def test_a_proof_that_cannot_be_encoded_is_refused_without_asking_aliyun(aliyun):
    # JSON lets a client send a lone surrogate; the SDK's encoding error must not pass for "no answer".
    with pytest.raises(DomainError) as info:
        captcha_for(aliyun).verify(PROOF + "\ud800", ip="203.0.113.9")
    assert info.value.error is Error.CAPTCHA_INVALID
    assert aliyun.requests == []


def test_captcha_unavailable_is_what_sms_error_calls_unavailable():
    assert captcha_unavailable("timeout", 0) and captcha_unavailable("connection", 0)
    assert captcha_unavailable("bad_response", 0)
    assert captcha_unavailable("InternalError", 500) and captcha_unavailable("Throttling.User", 429)
    assert captcha_unavailable("Forbidden.RAM", 403) and captcha_unavailable("InvalidAccessKeyId.NotFound", 404)
    assert captcha_unavailable("SignatureDoesNotMatch", 400)
    assert not captcha_unavailable("InvalidParameter", 400)
    assert not captcha_unavailable("no_result") and not captcha_unavailable("sdk_error", 0)


def test_captcha_unavailable_when_nobody_listens(aliyun):
    with pytest.raises(CaptchaUnavailable) as info:
        captcha_for(aliyun, ALIYUN_CAPTCHA_ENDPOINT=f"http://127.0.0.1:{free_port()}").verify(PROOF, ip="::1")
    assert info.value.provider_code == "connection"


def test_captcha_needs_the_access_key(aliyun):
    with pytest.raises(RuntimeError, match="CAPTCHA_PROVIDER=aliyun needs ALIYUN_ACCESS_KEY_SECRET"):
        captcha_for(aliyun, ALIYUN_ACCESS_KEY_SECRET="")


# modern and platform share /api/auth/send_code: the captcha is on both or neither.
CAPTCHA_ON = {"CAPTCHA_PROVIDER": "aliyun", "CAPTCHA_DIALECTS": ["modern", "platform"]}


@pytest.mark.parametrize("app_overrides", [CAPTCHA_ON], indirect=True)
def test_modern_send_code_asks_aliyun_captcha_before_sending(client, aliyun):
    response = client.post("/api/auth/send_code", json={"phone": PHONE, "captcha": PROOF})
    assert response.status_code == 200, response.get_json()
    assert [action(r) for r in aliyun.requests] == ["VerifyIntelligentCaptcha", "SendSms"]
    aliyun.reply(captcha_answer(False))
    response = client.post("/api/auth/send_code", json={"phone": "13900139000", "captcha": PROOF})
    assert response.status_code == 400 and response.get_json()["error"] == "captcha_invalid"
    assert len(aliyun.sent()) == 1  # nothing sent for the refused captcha


@pytest.mark.parametrize("app_overrides", [{**CAPTCHA_ON, "CAPTCHA_FAIL_OPEN": True}], indirect=True)
def test_fail_open_lets_an_outage_through_but_not_a_malformed_proof(client, aliyun):
    def answers(status: int, code: str) -> Any:
        def answer(request: Recorded) -> Answer:
            return gateway_error(status, code) if action(request) == "VerifyIntelligentCaptcha" else sms_ok()
        return answer

    aliyun.answer = answers(400, "InvalidParameter")
    response = client.post("/api/auth/send_code", json={"phone": PHONE, "captcha": "not-a-proof"})
    assert response.status_code == 400 and response.get_json()["error"] == "captcha_invalid"
    assert aliyun.sent() == []
    aliyun.answer = answers(503, "ServiceUnavailable")
    response = client.post("/api/auth/send_code", json={"phone": PHONE, "captcha": PROOF})
    assert response.status_code == 200, response.get_json()
    assert len(aliyun.sent()) == 1
