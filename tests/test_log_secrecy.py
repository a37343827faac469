"""No log line in Testing or Production contains a code, a password or a token."""
from __future__ import annotations

import logging

import pytest

PHONE = "13600136000"


@pytest.mark.parametrize("app_overrides", [{"SMS_BACKEND": "console"}])
def test_console_sender_never_logs_the_code_outside_development(app, client, clock, caplog):
    caplog.set_level(logging.DEBUG)
    app.config["RETURN_CODE"] = True  # only to learn the code in this test
    code = client.post("/api/auth/send_code", json={"phone": PHONE}).get_json()["data"]["code"]
    assert len(code) == 6
    tokens = client.post("/api/auth/phone_code_login", json={"phone": PHONE, "code": code}).get_json()["data"]
    clock.advance(61)
    code2 = client.post("/api/auth/send_code", json={"phone": PHONE}).get_json()["data"]["code"]
    client.post("/api/auth/set_password_by_code", json={"phone": PHONE, "code": code2, "new_password": "pa55-w0rd-x"})
    client.post("/api/auth/phone_login", json={"phone": PHONE, "password": "pa55-w0rd-x"})
    client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    text = caplog.text
    assert "console sender" in text  # the sender did log the send…
    for secret in (code, code2, "pa55-w0rd-x", tokens["access_token"], tokens["refresh_token"]):
        assert secret not in text  # …but no secret


@pytest.mark.parametrize("app_overrides", [{"SMS_BACKEND": "console", "ENV_NAME": "development"}])
def test_console_sender_shows_the_code_in_development(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    app.config["RETURN_CODE"] = True
    code = client.post("/api/auth/send_code", json={"phone": PHONE}).get_json()["data"]["code"]
    assert code in caplog.text
    assert "+8613****00" in caplog.text
