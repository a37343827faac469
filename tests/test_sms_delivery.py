"""SMS delivery shared by every provider: scenes, the signed webhook sender, failover,
start-up refusals and ``flask sms send-test``.

The webhook receiver is a local HTTP server in the test process
(:mod:`helpers.providers`); nothing leaves 127.0.0.1.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any, Iterator

import pytest

from lingo import create_app
from deploy.ports import free_port
from helpers.providers import Answer, ProviderServer, Recorded

PHONE = "13800138000"
E164 = "+86" + PHONE
SECRET = "sms-webhook-secret-9f2c"

#: A production-grade key (32+ characters, 16+ distinct).
KEY = "Zq8-vN3_pL7sW2xR9tB5mK1cY6hD4fJ0"


def signed_by_lingo(request: Recorded) -> bool:
    """Whether the request carries the HMAC of its exact body under ``SECRET``."""
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers.get("x-lingo-signature", ""), expected)


@pytest.fixture
def receiver() -> Iterator[ProviderServer]:
    """The operator's SMS endpoint: answers 200 ``{"request_id": "wh-1"}`` unless told otherwise."""
    with ProviderServer(lambda _: Answer(200, {"request_id": "wh-1"})) as server:
        yield server


@pytest.fixture
def app_overrides(receiver: ProviderServer) -> dict[str, Any]:
    return {"SMS_BACKEND": "webhook", "SMS_WEBHOOK_URL": receiver.url + "/sms?tenant=a",
            "SMS_WEBHOOK_SECRET": SECRET, "SMS_READ_TIMEOUT": 0.5, "SMS_CONNECT_TIMEOUT": 0.5}


def send_modern(client: Any) -> Any:
    return client.post("/api/auth/send_code", json={"phone": PHONE})


def test_webhook_posts_the_code_signed_with_the_scene(client, receiver):
    response = send_modern(client)
    assert response.status_code == 200, response.get_json()
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/sms" and request.query == {"tenant": ["a"]}
    assert request.headers["content-type"].startswith("application/json")
    assert signed_by_lingo(request)
    body = request.json()
    assert body["phone"] == E164 and body["ttl"] == 300 and body["scene"] == "any"
    assert len(body["code"]) == 6 and body["code"].isdigit()


def test_webhook_code_is_the_one_that_signs_in(client, receiver):
    send_modern(client)
    code = receiver.requests[-1].json()["code"]
    response = client.post("/api/auth/phone_code_login", json={"phone": PHONE, "code": code})
    assert response.status_code == 200, response.get_json()


def test_v4_reset_codes_are_sent_with_the_reset_scene(client, receiver, clock):
    send_modern(client)
    client.post("/api/auth/phone_code_login", json={"phone": PHONE, "code": receiver.requests[-1].json()["code"]})
    clock.advance(61)
    body = client.get(f"/api/v4.0/sendsms/{PHONE}?expect=1").get_json()
    assert body == {"code": "200", "msg": "发送成功"}
    assert receiver.requests[-1].json()["scene"] == "reset"
    clock.advance(61)
    client.get("/api/v4.0/sendsms/13900139000?expect=0")
    assert receiver.requests[-1].json()["scene"] == "any"


@pytest.mark.parametrize(("status", "error", "modern_status", "platform_code"), [
    (402, "sms_arrears", 503, 10011),
    (429, "send_too_frequent", 429, 10010),
    (418, "sms_failed", 503, 10012),
    (500, "sms_unavailable", 503, 10013),
    (401, "sms_unavailable", 503, 10013),
])
def test_webhook_answers_map_to_the_error_table_in_every_dialect(client, receiver, status, error,
                                                                  modern_status, platform_code):
    receiver.answer = lambda _: Answer(status, {"request_id": "wh-err"})
    response = send_modern(client)
    assert response.status_code == modern_status
    assert response.get_json()["error"] == error
    # The limits were given back: the other dialects can send at once (no 60 s gap taken).
    response = client.post("/api/auth/send_code", json={"area": "86", "account": PHONE})
    assert response.status_code == (429 if modern_status == 429 else 503)
    assert response.get_json()["code"] == platform_code
    body = client.get(f"/api/v4.0/sendsms/{PHONE}?expect=0").get_json()
    assert body["code"] == -1 and body["data"] == ""
    assert len(receiver.requests) == 3


def test_a_number_the_provider_refuses_is_invalid_input(client, receiver):
    receiver.answer = lambda _: Answer(400, {"error": "bad number"})
    response = send_modern(client)
    assert response.status_code == 422
    assert response.get_json()["detail"][0]["loc"] == ["body", "phone"]
    response = client.post("/api/auth/send_code", json={"area": "86", "account": PHONE})
    assert response.get_json()["code"] == 10005


def test_after_a_failed_delivery_the_resend_is_allowed_and_the_failed_code_is_dead(client, receiver):
    receiver.answer = lambda _: Answer(500, {})
    assert send_modern(client).status_code == 503
    dead = receiver.requests[-1].json()["code"]
    receiver.answer = lambda _: Answer(200, {})
    assert send_modern(client).status_code == 200  # the 60 s gap was given back
    live = receiver.requests[-1].json()["code"]
    if dead != live:
        response = client.post("/api/auth/phone_code_login", json={"phone": PHONE, "code": dead})
        assert response.status_code == 400
    response = client.post("/api/auth/phone_code_login", json={"phone": PHONE, "code": live})
    assert response.status_code == 200


def test_a_hanging_receiver_costs_no_more_than_the_timeouts(client, receiver, caplog):
    receiver.answer = lambda _: Answer(200, {}, delay=6)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="lingo.sms"):
        response = send_modern(client)
    elapsed = time.monotonic() - started
    assert response.status_code == 503 and response.get_json()["error"] == "sms_unavailable"
    assert elapsed < 3.0, elapsed  # read timeout 0.5 s, far below the receiver's 6 s
    assert "timeout" in caplog.text


def test_after_a_timeout_the_code_stays_live_and_the_limits_stay_taken(client, receiver):
    receiver.answer = lambda _: Answer(200, {}, delay=2)
    assert send_modern(client).status_code == 503
    # The provider had the message and may deliver it: a resend now would be a second SMS.
    receiver.answer = lambda _: Answer(200, {})
    response = send_modern(client)
    assert response.status_code == 429 and response.get_json()["error"] == "send_too_frequent"
    assert len(receiver.requests) == 1
    code = receiver.requests[0].json()["code"]
    response = client.post("/api/auth/phone_code_login", json={"phone": PHONE, "code": code})
    assert response.status_code == 200


@pytest.mark.parametrize("app_overrides", [{"SMS_BACKEND": "webhook", "SMS_WEBHOOK_SECRET": SECRET,
                                            "SMS_WEBHOOK_URL": f"http://127.0.0.1:{free_port()}/sms",
                                            "SMS_CONNECT_TIMEOUT": 0.5}])
def test_a_receiver_that_is_down_is_sms_unavailable(client):
    response = send_modern(client)
    assert response.status_code == 503 and response.get_json()["error"] == "sms_unavailable"


def test_a_failure_is_logged_once_with_the_phone_masked_and_never_the_code(client, receiver, caplog):
    receiver.answer = lambda _: Answer(402, {"request_id": "wh-402"})
    with caplog.at_level(logging.DEBUG):
        send_modern(client)
    code = receiver.requests[-1].json()["code"]
    records = [r for r in caplog.records if r.name == "lingo.sms"]
    assert len(records) == 1 and records[0].levelno == logging.ERROR
    message = records[0].getMessage()
    assert "sms_arrears" in message and "http_402" in message and "wh-402" in message
    assert "+8613****00" in message and PHONE not in message
    assert code not in caplog.text


# Failover -------------------------------------------------------------------

class TestFailover:
    """``SMS_FALLBACK_BACKEND``: the webhook as primary, the in-memory outbox as fallback."""

    @pytest.fixture
    def app_overrides(self, receiver: ProviderServer) -> dict[str, Any]:
        return {"SMS_BACKEND": "webhook", "SMS_WEBHOOK_URL": receiver.url, "SMS_WEBHOOK_SECRET": SECRET,
                "SMS_READ_TIMEOUT": 0.5, "SMS_FALLBACK_BACKEND": "outbox"}

    @pytest.mark.parametrize(("answer", "fails_over"), [
        (Answer(503, {}), True),
        (Answer(200, {}, delay=2), True),
        (Answer(402, {}), False),
        (Answer(429, {}), False),
        (Answer(418, {}), False),
    ])
    def test_fallback_is_used_once_only_when_the_primary_is_unavailable(self, app, client, receiver,
                                                                         answer, fails_over):
        fallback = app.extensions["lingo.sms"].fallback
        receiver.answer = lambda _: answer
        response = send_modern(client)
        assert len(receiver.requests) == 1
        if fails_over:
            assert response.status_code == 200
            assert fallback.messages == [(E164, receiver.requests[0].json()["code"])]
            code = fallback.messages[0][1]
            response = client.post("/api/auth/phone_code_login", json={"phone": PHONE, "code": code})
            assert response.status_code == 200
        else:
            assert response.status_code in (429, 503)
            assert fallback.messages == []

    def test_a_fallback_that_fails_too_gives_its_own_answer(self, app, client, receiver):
        from lingo.errors import Error

        app.extensions["lingo.sms"].fallback.fail_with = Error.SMS_ARREARS
        receiver.answer = lambda _: Answer(500, {})
        response = send_modern(client)
        assert response.status_code == 503 and response.get_json()["error"] == "sms_arrears"
        assert len(receiver.requests) == 1


# Start-up refusals ----------------------------------------------------------

@pytest.mark.parametrize(("settings", "named"), [
    ({"SMS_BACKEND": "webhook", "SMS_WEBHOOK_SECRET": SECRET}, "SMS_WEBHOOK_URL"),
    ({"SMS_BACKEND": "webhook", "SMS_WEBHOOK_URL": "http://127.0.0.1:9/sms"}, "SMS_WEBHOOK_SECRET"),
    ({"SMS_BACKEND": "webhook", "SMS_WEBHOOK_URL": "ftp://example.test/", "SMS_WEBHOOK_SECRET": SECRET},
     "SMS_WEBHOOK_URL"),
    ({"SMS_BACKEND": "outbox", "SMS_FALLBACK_BACKEND": "outbox"}, "SMS_FALLBACK_BACKEND"),
    ({"SMS_FALLBACK_BACKEND": "pigeon"}, "SMS_FALLBACK_BACKEND"),
    ({"CAPTCHA_DIALECTS": ["modern", "platform"]}, "CAPTCHA_PROVIDER"),
    ({"CAPTCHA_PROVIDER": "pigeon"}, "CAPTCHA_PROVIDER"),
    ({"CAPTCHA_PROVIDER": "tencent", "CAPTCHA_DIALECTS": ["its"]}, "CAPTCHA_DIALECTS"),
    # One path serves both: a captcha on one of them only would be bypassed by the other body shape.
    ({"CAPTCHA_PROVIDER": "tencent", "CAPTCHA_DIALECTS": ["modern"]}, "CAPTCHA_DIALECTS"),
    ({"CAPTCHA_PROVIDER": "tencent", "CAPTCHA_DIALECTS": ["platform", "v4"]}, "CAPTCHA_DIALECTS"),
    ({"CAPTCHA_FAIL_OPEN": "False"}, "CAPTCHA_FAIL_OPEN"),
    ({"ALLOW_CONSOLE_SMS": "yes"}, "ALLOW_CONSOLE_SMS"),
])
def test_incomplete_configuration_is_refused_at_start_naming_the_key(settings, named):
    with pytest.raises(RuntimeError, match=named):
        create_app({"ENV_NAME": "testing", "DATABASE_URL": "sqlite://", **settings})


@pytest.mark.parametrize(("settings", "named"), [
    ({"SMS_BACKEND": "outbox"}, "SMS_BACKEND=outbox"),
    ({"SMS_BACKEND": "webhook", "SMS_WEBHOOK_URL": "http://127.0.0.1:9/", "SMS_WEBHOOK_SECRET": SECRET,
      "SMS_FALLBACK_BACKEND": "console"}, "SMS_FALLBACK_BACKEND"),
    ({"SMS_BACKEND": "webhook", "SMS_WEBHOOK_URL": "http://127.0.0.1:9/", "SMS_WEBHOOK_SECRET": SECRET,
      "SMS_FALLBACK_BACKEND": "outbox", "ALLOW_CONSOLE_SMS": True}, "SMS_FALLBACK_BACKEND=outbox"),
])
def test_production_refuses_senders_that_deliver_nothing(settings, named):
    with pytest.raises(RuntimeError, match=named):
        create_app({"ENV_NAME": "production", "DATABASE_URL": "sqlite://", "SECRET_KEY": KEY, **settings})


def test_production_starts_with_a_real_provider():
    app = create_app({"ENV_NAME": "production", "DATABASE_URL": "sqlite://", "SECRET_KEY": KEY,
                      "SMS_BACKEND": "webhook", "SMS_WEBHOOK_URL": "http://127.0.0.1:9/",
                      "SMS_WEBHOOK_SECRET": SECRET})
    assert app.extensions["lingo.sms"].url == "http://127.0.0.1:9/"


def test_captcha_dialects_may_be_a_comma_separated_list(monkeypatch, tencent):
    monkeypatch.setenv("LINGO_CAPTCHA_DIALECTS", "modern, platform,v4")
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": "sqlite://",
                      **tencent.config(SMS_BACKEND="outbox", CAPTCHA_PROVIDER="tencent")})
    assert app.config["CAPTCHA_DIALECTS"] == ["modern", "platform", "v4"]


# flask sms send-test --------------------------------------------------------

def test_send_test_prints_the_provider_answer(app, receiver):
    result = app.test_cli_runner().invoke(args=["sms", "send-test", PHONE, "--scene", "reset"])
    assert result.exit_code == 0, result.output
    assert "sent: provider webhook, request id wh-1" in result.output
    [request] = receiver.requests
    assert request.json()["phone"] == E164 and request.json()["scene"] == "reset"
    assert signed_by_lingo(request)


def test_send_test_prints_the_mapped_error_and_exits_1(app, receiver):
    receiver.answer = lambda _: Answer(402, {"request_id": "wh-402"})
    result = app.test_cli_runner().invoke(args=["sms", "send-test", "+85291234567"])
    assert result.exit_code == 1
    assert "refused: sms_arrears (provider webhook, provider code http_402, request id wh-402)" in result.output
    assert receiver.requests[0].json()["phone"] == "+85291234567"


def test_send_test_refuses_what_is_not_a_phone(app, receiver):
    result = app.test_cli_runner().invoke(args=["sms", "send-test", "not-a-phone"])
    assert result.exit_code == 2 and receiver.requests == []


class TestProviderFailover:
    """Aliyun primary, Tencent fallback, both SDKs on their local fakes."""

    @pytest.fixture
    def app_overrides(self, aliyun: Any, tencent: Any) -> dict[str, Any]:
        from helpers.fake_aliyun import settings

        return {**tencent.config(), **settings(aliyun), "SMS_BACKEND": "aliyun",
                "SMS_FALLBACK_BACKEND": "tencent", "SMS_CONNECT_TIMEOUT": 1.0, "SMS_READ_TIMEOUT": 1.0}

    def test_a_hanging_primary_costs_its_timeouts_and_the_fallback_delivers(self, client, aliyun, tencent):
        from helpers.fake_aliyun import hanging

        aliyun.reply(hanging(6))
        started = time.monotonic()
        response = send_modern(client)
        elapsed = time.monotonic() - started
        assert response.status_code == 200, response.get_json()
        assert elapsed < 3.0, elapsed  # 1 s read time-out on the primary (it would answer after 6 s)
        assert len(aliyun.sent()) == 1
        [call] = tencent.calls("SendSms")
        assert call.json()["PhoneNumberSet"] == [E164]
        code = call.json()["TemplateParamSet"][0]
        response = client.post("/api/auth/phone_code_login", json={"phone": PHONE, "code": code})
        assert response.status_code == 200

    def test_arrears_at_the_primary_do_not_fail_over(self, client, aliyun, tencent):
        from helpers.fake_aliyun import sms_refused

        aliyun.reply(sms_refused("isv.AMOUNT_NOT_ENOUGH"))
        response = send_modern(client)
        assert response.status_code == 503 and response.get_json()["error"] == "sms_arrears"
        assert tencent.calls("SendSms") == []

    def test_send_test_through_aliyun_prints_its_request_id_and_template(self, app, aliyun):
        from helpers.fake_aliyun import REQUEST_ID, TEMPLATE_RESET

        result = app.test_cli_runner().invoke(args=["sms", "send-test", PHONE, "--scene", "reset"])
        assert result.exit_code == 0, result.output
        assert f"sent: provider aliyun, request id {REQUEST_ID}, template {TEMPLATE_RESET}" in result.output
        assert aliyun.sent()[0]["TemplateCode"] == TEMPLATE_RESET

    def test_send_test_reports_the_primary_alone_without_failing_over(self, app, aliyun, tencent):
        from helpers.fake_aliyun import sms_refused

        aliyun.reply(sms_refused("isv.SMS_TEMPLATE_ILLEGAL", request_id="ali-req-7"))
        result = app.test_cli_runner().invoke(args=["sms", "send-test", PHONE])
        assert result.exit_code == 1
        assert "refused: sms_unavailable (provider aliyun, provider code isv.SMS_TEMPLATE_ILLEGAL, " \
               "request id ali-req-7)" in result.output
        assert tencent.calls("SendSms") == []  # an operator checks this provider, not the pair

    def test_send_test_fallback_checks_the_fallback(self, app, aliyun, tencent):
        from helpers.fake_tencent import number_failed

        tencent.replies["SendSms"] = number_failed("FailedOperation.TemplateIncorrectOrUnapproved")
        result = app.test_cli_runner().invoke(args=["sms", "send-test", PHONE, "--fallback"])
        assert result.exit_code == 1
        assert "through tencent" in result.output
        assert "refused: sms_unavailable (provider tencent, provider code " \
               "FailedOperation.TemplateIncorrectOrUnapproved" in result.output
        assert aliyun.sent() == []
