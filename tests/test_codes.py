"""Verification-code rules of docs/contract.md §3, observed through the modern API."""
from __future__ import annotations

import pytest

from lingo.extensions import db
from lingo.models import VerificationCode

PHONE = "13900139000"
E164 = "+8613900139000"


def login(client, code, phone=PHONE):
    return client.post("/api/auth/phone_code_login", json={"phone": phone, "code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_resend_within_60s_is_refused_and_nothing_is_sent(modern, outbox, clock):
    assert modern.send_code(PHONE).status_code == 200
    clock.advance(59)
    response = modern.send_code(PHONE)
    assert response.status_code == 429
    assert response.get_json() == {"code": 429, "msg": "发送太频繁", "data": None, "error": "send_too_frequent"}
    assert len(outbox.messages) == 1
    clock.advance(1)
    assert modern.send_code(PHONE).status_code == 200
    assert len(outbox.messages) == 2


def test_at_most_ten_sends_per_day(modern, outbox, clock):
    for _ in range(10):
        assert modern.send_code(PHONE).status_code == 200
        clock.advance(61)
    response = modern.send_code(PHONE)
    assert response.status_code == 429 and response.get_json()["error"] == "send_too_frequent"
    assert len(outbox.messages) == 10
    clock.advance(86400)
    assert modern.send_code(PHONE).status_code == 200


def test_at_most_twenty_sends_per_ip_per_hour(modern, outbox, clock):
    for i in range(20):
        assert modern.send_code(f"1390000{i:04d}").status_code == 200
    response = modern.send_code("13900009999")
    assert response.status_code == 429
    assert response.get_json()["error"] == "rate_limited"
    assert len(outbox.messages) == 20
    other_ip = modern.send_code("13900009999", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other_ip.status_code == 200
    clock.advance(3600)
    assert modern.send_code("13900009998").status_code == 200


def test_code_is_single_use(modern, client):
    code = modern.code(PHONE)
    assert login(client, code).status_code == 200
    again = login(client, code)
    assert again.status_code == 400
    assert again.get_json()["msg"] == "验证码无效"


def test_code_expires_after_300_seconds(modern, client, clock):
    code = modern.code(PHONE)
    clock.advance(300)
    assert login(client, code).status_code == 400


def test_code_just_before_expiry_works(modern, client, clock):
    code = modern.code(PHONE)
    clock.advance(299)
    assert login(client, code).status_code == 200


def test_sixth_attempt_fails_even_when_correct(modern, client):
    code = modern.code(PHONE)
    for _ in range(5):
        assert login(client, wrong(code)).status_code == 400
    assert login(client, code).status_code == 400


def test_fifth_attempt_may_still_be_right(modern, client):
    code = modern.code(PHONE)
    for _ in range(4):
        login(client, wrong(code))
    assert login(client, code).status_code == 200


def test_new_code_kills_the_previous_one(modern, client):
    first = modern.code(PHONE)
    second = modern.code(PHONE)
    if first != second:
        assert login(client, first).status_code == 400
    assert login(client, second).status_code == 200


def test_twenty_failures_per_account_per_hour(modern, client, clock):
    for _ in range(4):
        code = modern.code(PHONE)
        for _ in range(5):
            login(client, wrong(code))
    # 20 failures: even a fresh, correct code is refused for the rest of the hour
    code = modern.code(PHONE)
    assert login(client, code).status_code == 400
    clock.advance(3600)
    code = modern.code(PHONE)
    assert login(client, code).status_code == 200


def test_codes_are_stored_only_as_hmac(app, modern):
    code = modern.code(PHONE)
    with app.app_context():
        row = db.session.query(VerificationCode).one()
        assert code not in row.code_hash and len(row.code_hash) == 64
        columns = {c.name: getattr(row, c.name) for c in VerificationCode.__table__.columns}
    assert code not in repr(columns)


@pytest.mark.parametrize("app_overrides", [{"TEST_OTP": "13900139000=123456,review@example.com=654321"}])
def test_test_otp_accounts_get_a_fixed_code_that_never_expires(modern, client, outbox, clock):
    assert modern.send_code(PHONE).status_code == 200
    assert outbox.messages == []  # nothing is sent for review accounts
    clock.advance(10 * 86400)
    assert login(client, "123456").status_code == 200
    # single use and cooldowns still apply
    assert login(client, "123456").status_code == 400
    assert modern.send_code(PHONE).status_code == 200
    assert modern.send_code(PHONE).status_code == 429


@pytest.mark.parametrize("app_overrides", [{"TEST_OTP": "13900139000=123456"}])
def test_test_otp_attempt_limits_apply(modern, client):
    modern.send_code(PHONE)
    for _ in range(5):
        login(client, "000000")
    assert login(client, "123456").status_code == 400


def test_code_of_another_phone_is_refused(modern, client):
    code = modern.code(PHONE)
    assert login(client, code, phone="13900139001").status_code == 400
