"""Captcha before sending: the dialects an operator names need a solved captcha on ``send_code``.

The Tencent captcha SDK is pointed at the fake Tencent Cloud API in the test
process (:mod:`helpers.fake_tencent`); a missing or rejected captcha sends nothing and
takes no send limit.
"""
from __future__ import annotations

import logging
from typing import Any

import pytest

from helpers.fake_tencent import FakeTencent, captcha, hanging

PHONE = "13800138000"
E164 = "+86" + PHONE
PROOF = {"ticket": "t03-valid-ticket", "randstr": "@abc"}


@pytest.fixture
def app_overrides(tencent: FakeTencent) -> dict[str, Any]:
    """Codes go to the in-memory outbox; the captcha to the fake Tencent; modern and platform need it."""
    return tencent.config(SMS_BACKEND="outbox", CAPTCHA_PROVIDER="tencent",
                          CAPTCHA_DIALECTS=["modern", "platform"])


def modern_send(client: Any, **extra: Any) -> Any:
    return client.post("/api/auth/send_code", json={"phone": PHONE, **extra})


def platform_send(client: Any, **extra: Any) -> Any:
    return client.post("/api/auth/send_code", json={"area": "86", "account": PHONE, **extra})


def test_a_solved_captcha_lets_the_code_go(client, outbox, tencent):
    response = modern_send(client, captcha=PROOF)
    assert response.status_code == 200, response.get_json()
    assert [to for to, _ in outbox.messages] == [E164]
    [call] = tencent.calls("DescribeCaptchaResult")
    sent = call.json()
    assert sent["Ticket"] == PROOF["ticket"] and sent["Randstr"] == PROOF["randstr"]
    assert sent["UserIp"] == "127.0.0.1" and sent["CaptchaType"] == 9


def test_the_proof_may_come_as_a_json_string(client, outbox, tencent):
    import json

    response = platform_send(client, captcha=json.dumps(PROOF))
    assert response.get_json()["code"] == 0
    assert tencent.calls("DescribeCaptchaResult")[0].json()["Ticket"] == PROOF["ticket"]


@pytest.mark.parametrize("proof", [None, "", {}])
def test_a_missing_captcha_is_refused_in_each_dialects_rendering(client, outbox, tencent, proof):
    extra = {} if proof is None else {"captcha": proof}
    response = modern_send(client, **extra)
    assert response.status_code == 400
    assert response.get_json()["error"] == "captcha_invalid"
    response = platform_send(client, **extra)
    assert response.status_code == 400 and response.get_json()["code"] == 10005
    assert outbox.messages == [] and tencent.calls("DescribeCaptchaResult") == []


def test_a_rejected_captcha_sends_nothing_and_takes_no_limit(client, outbox, tencent):
    tencent.replies["DescribeCaptchaResult"] = captcha(code=9, message="ticket expired")
    for _ in range(25):  # more than the per-IP hourly send limit (20)
        response = modern_send(client, captcha=PROOF)
        assert response.status_code == 400 and response.get_json()["error"] == "captcha_invalid"
    assert outbox.messages == []
    tencent.replies["DescribeCaptchaResult"] = captcha(code=1)
    # Neither the account's 60 s gap nor the IP's hourly limit was taken.
    assert modern_send(client, captcha=PROOF).status_code == 200
    assert len(outbox.messages) == 1


def test_a_malformed_captcha_is_invalid_input(client, outbox):
    response = modern_send(client, captcha=12345)
    assert response.status_code == 422
    assert response.get_json()["detail"][0]["loc"] == ["body", "captcha"]
    assert outbox.messages == []


def test_dialects_not_named_need_no_captcha(client, outbox, tencent):
    body = client.get(f"/api/v4.0/sendsms/{PHONE}?expect=0").get_json()
    assert body == {"code": "200", "msg": "发送成功"}
    assert len(outbox.messages) == 1 and tencent.calls("DescribeCaptchaResult") == []


class TestV4OptIn:
    """An operator whose v4 app can show a captcha lists v4 too: it answers -1."""

    @pytest.fixture
    def app_overrides(self, tencent: FakeTencent) -> dict[str, Any]:
        return tencent.config(SMS_BACKEND="outbox", CAPTCHA_PROVIDER="tencent", CAPTCHA_DIALECTS=["v4"])

    def test_v4_without_captcha_is_its_invalid_input(self, client, outbox):
        body = client.get(f"/api/v4.0/sendsms/{PHONE}?expect=0").get_json()
        assert body == {"code": -1, "msg": "人机验证未通过", "data": ""}
        assert outbox.messages == []

    def test_v4_with_a_solved_captcha_sends(self, client, outbox, tencent):
        import json

        response = client.post(f"/api/v4.0/sendsms/{PHONE}", data={"expect": "0", "captcha": json.dumps(PROOF)})
        assert response.get_json() == {"code": "200", "msg": "发送成功"}
        assert len(outbox.messages) == 1
        # modern is not listed here: no captcha asked.
        assert modern_send(client).status_code == 429  # the 60 s gap of the same phone, not a captcha error


class TestProviderDown:
    """The captcha provider hangs: fail-closed by default, fail-open when configured."""

    @pytest.fixture
    def app_overrides(self, tencent: FakeTencent, request: pytest.FixtureRequest) -> dict[str, Any]:
        tencent.replies["DescribeCaptchaResult"] = hanging(2, captcha())
        return tencent.config(SMS_BACKEND="outbox", CAPTCHA_PROVIDER="tencent",
                              CAPTCHA_DIALECTS=["modern", "platform"],
                              CAPTCHA_FAIL_OPEN=getattr(request, "param", False))

    def test_fail_closed_refuses_with_503_and_logs(self, client, outbox, caplog):
        with caplog.at_level(logging.ERROR, logger="lingo.captcha"):
            response = modern_send(client, captcha=PROOF)
        assert response.status_code == 503
        assert response.get_json()["error"] == "service_unavailable"
        assert outbox.messages == []
        assert "captcha unavailable" in caplog.text and PROOF["ticket"] not in caplog.text

    @pytest.mark.parametrize("app_overrides", [True], indirect=True)
    def test_fail_open_lets_the_send_through_and_logs(self, client, outbox, caplog):
        with caplog.at_level(logging.ERROR, logger="lingo.captcha"):
            response = modern_send(client, captcha=PROOF)
        assert response.status_code == 200
        assert len(outbox.messages) == 1
        assert "CAPTCHA_FAIL_OPEN" in caplog.text

