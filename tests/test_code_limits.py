"""Limits on codes and sign-ins, and the settings that guard them (issue 14, items 1–5, 8 and 9).

The audit's attacks on codes, limits and settings, replayed.

Each test reproduces what the audit did (through the HTTP API) and asserts the
fixed behaviour; each fails on the code before the fix.
"""
from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from helpers.concurrency import race
from helpers.v4 import V4, V4Api
from lingo import create_app
from lingo.extensions import db
from lingo.models import RateCounter, VerificationCode
from lingo.services import passwords
from lingo.services.throttles import client_group, parsed_group

PHONE = "13800138000"
E164 = "+86" + PHONE
OWNER_IP = "10.1.1.1"
STRANGER_IP = "10.9.9.9"
KEY = "Zq8-vN3_pL7sW2xR9tB5mK1cY6hD4fJ0"


def from_ip(ip: str) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": ip}}


@pytest.fixture
def v4(app, client, outbox, clock) -> V4Api:
    return V4Api(app, client, outbox, clock)


def modern_code(client: Any, outbox: Any, clock: Any, phone: str = PHONE, ip: str = OWNER_IP) -> str:
    clock.advance(61)
    response = client.post("/api/auth/send_code", json={"phone": phone}, **from_ip(ip))
    assert response.status_code == 200, response.get_json()
    return outbox.last_code("+86" + phone)


def code_login(client: Any, code: str, ip: str, phone: str = PHONE) -> Any:
    return client.post("/api/auth/phone_code_login", json={"phone": phone, "code": code}, **from_ip(ip))


# 1. Enumeration: one per-IP budget for every answer that tells registration ----------------------

def test_registration_answers_share_one_budget_per_address(client, v4, modern):
    """120 look-ups spread over every revealing endpoint: past ISREGISTER_RATE_LIMIT (30/min) all refused."""
    modern.tokens(PHONE)
    probes = [
        lambda n: client.get(f"{V4}/isregister/1390000{n:04d}?expect=0", **from_ip(STRANGER_IP)),
        lambda n: client.get(f"{V4}/forget_password?phone=1390000{n:04d}&password=123456", **from_ip(STRANGER_IP)),
        lambda n: client.get(f"{V4}/verify_code?phone=1390000{n:04d}&code=123456", **from_ip(STRANGER_IP)),
        lambda n: client.get(f"{V4}/register?phone=1390000{n:04d}&code=1&password=123456&name=a&"
                             "device_identifier=d", **from_ip(STRANGER_IP)),
        lambda n: client.post("/api/auth/register", json={"account": f"1390000{n:04d}", "code": "123456",
                                                          "password": "secret-pass-1"}, **from_ip(STRANGER_IP)),
        lambda n: client.post("/api/auth/set_password_by_code",
                              json={"phone": f"1390000{n:04d}", "code": "123456", "new_password": "secret-pass-1"},
                              **from_ip(STRANGER_IP)),
    ]
    limited = 0
    for n in range(120):
        response = probes[n % len(probes)](n)
        body = response.get_json()
        if response.status_code == 429 or body.get("code") == 10000 or body.get("msg") == "请求过于频繁":
            limited += 1
    assert limited == 90  # 30 answered, the other 90 refused as rate_limited
    # Another address still has its own budget.
    response = client.get(f"{V4}/isregister/{PHONE}?expect=1", **from_ip(OWNER_IP))
    assert response.get_json() == {"code": 200, "data": "", "msg": "手机号已经被注册"}


def test_v4_sendsms_takes_its_send_limits_before_telling_registration(client, outbox):
    """Asking sendsms?expect=1 about an unregistered phone costs a send: the next ask is 发送太频繁."""
    first = client.get(f"{V4}/sendsms/{PHONE}?expect=1").get_json()
    assert first == {"code": -1, "data": "", "msg": "手机号未注册"}
    again = client.get(f"{V4}/sendsms/{PHONE}?expect=1").get_json()
    assert again == {"code": -1, "data": "", "msg": "发送太频繁"}
    assert outbox.messages == []


@pytest.mark.parametrize("app_overrides", [{"CODE_SENDS_PER_IP_HOUR": 3}])
def test_v4_sendsms_probes_are_bounded_by_the_per_ip_send_limit(client, outbox):
    answers = [client.get(f"{V4}/sendsms/1390000{n:04d}?expect=1").get_json()["msg"] for n in range(6)]
    assert answers == ["手机号未注册"] * 3 + ["请求过于频繁"] * 3


# 2. Strangers' failures stop the strangers, not the owner ----------------------------------------

def test_twenty_failures_from_one_address_do_not_lock_the_owner_out(client, outbox, clock):
    code = modern_code(client, outbox, clock)
    for n in range(20):
        assert code_login(client, f"{n:06d}" if f"{n:06d}" != code else "999999", STRANGER_IP).status_code == 400
    clock.advance(1)
    fresh = modern_code(client, outbox, clock)  # the owner asks for a new code
    assert code_login(client, fresh, OWNER_IP).status_code == 200


def test_image_to_sound_owner_signs_in_after_strangers_failed(client, outbox, clock):
    for n in range(25):
        body = {"mobile": PHONE, "rawCode": f"{n:06d}"}
        client.post("/image-to-sound/api/login", json=body, **from_ip(STRANGER_IP))
    code = modern_code(client, outbox, clock)
    response = client.post("/image-to-sound/api/login", json={"mobile": PHONE, "rawCode": code}, **from_ip(OWNER_IP))
    assert response.status_code == 200 and response.get_json()["identifier"] is True


def test_the_failing_address_is_stopped_even_with_the_right_code(client, outbox, clock):
    for n in range(20):
        code_login(client, "000000", STRANGER_IP)
    code = modern_code(client, outbox, clock)
    assert code_login(client, code, STRANGER_IP).status_code == 400
    assert code_login(client, code, OWNER_IP).status_code == 200  # the code was not used up by the refusal


def test_ipv6_addresses_of_one_64_count_as_one_address(client, outbox, clock):
    for n in range(20):  # 20 addresses, one /64
        code_login(client, "000000", f"2001:db8:aa:bb::{n + 1:x}")
    code = modern_code(client, outbox, clock)
    assert code_login(client, code, "2001:db8:aa:bb::ffff").status_code == 400
    assert code_login(client, code, "2001:db8:aa:cc::1").status_code == 200


@pytest.mark.parametrize("app_overrides", [{"CODE_FAILURES_PER_ACCOUNT_HOUR": 40}])
def test_distributed_guessing_meets_the_account_wide_ceiling(client, outbox, clock):
    for n in range(40):  # 40 failures from 40 addresses: every address under its own cap
        code_login(client, "000000", f"10.0.{n}.1")
    code = modern_code(client, outbox, clock)
    assert code_login(client, code, OWNER_IP).status_code == 400
    clock.advance(3601)
    code = modern_code(client, outbox, clock)
    assert code_login(client, code, OWNER_IP).status_code == 200


# 3. Check-and-count is atomic --------------------------------------------------------------------

@pytest.mark.parametrize("app_overrides", [{"CODE_MAX_ATTEMPTS": 100}])
def test_parallel_guesses_at_the_cap_count_exactly_once(app, client, outbox, clock):
    code = modern_code(client, outbox, clock)
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(19):
        assert code_login(client, wrong, STRANGER_IP).status_code == 400

    def guess(_: int) -> int:
        return code_login(app.test_client(), wrong, STRANGER_IP).status_code

    assert race(5, guess) == [400] * 5
    with app.app_context():
        attempts = db.session.execute(select(VerificationCode.attempts).where(VerificationCode.active.is_(True))
                                      ).scalar_one()
        counted = db.session.execute(select(RateCounter.count).where(
            RateCounter.key == f"code-fail:{E164}:{STRANGER_IP}")).scalar_one()
    assert counted == 20  # exactly the cap: not 22-24
    assert attempts == 20  # only one of the five parallel guesses was looked at


# 4. SMS pumping: codes only to allowed regions, before any limit ---------------------------------

PREMIUM = ["+8823421234", "+25271123456", "+6767715123", "+37477123456"]


@pytest.mark.parametrize("app_overrides", [{"CODE_SENDS_PER_IP_HOUR": 1}])
@pytest.mark.parametrize("number", PREMIUM)
def test_numbers_outside_the_allowed_regions_get_no_code(client, outbox, number):
    response = client.post("/api/auth/send_code", json={"phone": number})
    assert response.status_code == 422 and response.get_json()["detail"][0]["loc"] == ["body", "phone"]
    response = client.post("/api/auth/send_code", json={"account": number})
    assert response.status_code == 400 and response.get_json()["code"] == 10005
    assert outbox.messages == []
    # No limit was taken: the address's single hourly send is still there.
    assert client.post("/api/auth/send_code", json={"phone": PHONE}).status_code == 200


@pytest.mark.parametrize("app_overrides", [{"SMS_ALLOWED_REGIONS": "CN,HK"}, {"SMS_ALLOWED_REGIONS": "*"}])
def test_operators_widen_the_allowed_regions(client, outbox, app_overrides):
    assert client.post("/api/auth/send_code", json={"phone": "+85251234567"}).status_code == 200
    response = client.post("/api/auth/send_code", json={"phone": "+6767715123"})
    assert response.status_code == (200 if app_overrides["SMS_ALLOWED_REGIONS"] == "*" else 422)


@pytest.mark.parametrize("app_overrides", [{"CODE_SENDS_PER_IP_HOUR": 1}])
def test_per_ip_send_limit_groups_ipv6_by_64(client, outbox):
    assert client.post("/api/auth/send_code", json={"phone": PHONE}, **from_ip("2001:db8:1:2::1")).status_code == 200
    response = client.post("/api/auth/send_code", json={"phone": "13900139000"}, **from_ip("2001:db8:1:2::beef"))
    assert response.status_code == 429 and response.get_json()["error"] == "rate_limited"
    response = client.post("/api/auth/send_code", json={"phone": "13900139000"}, **from_ip("2001:db8:1:3::1"))
    assert response.status_code == 200


@pytest.mark.parametrize("app_overrides", [{"ISREGISTER_RATE_LIMIT": "2/minute"}])
def test_limiter_budgets_group_ipv6_by_64(client):
    for n in range(2):
        client.get(f"{V4}/isregister/{PHONE}", **from_ip(f"2001:db8:5:6::{n + 1}"))
    body = client.get(f"{V4}/isregister/{PHONE}", **from_ip("2001:db8:5:6::99")).get_json()
    assert body["msg"] == "请求过于频繁"


# 5. Cheap checks before argon2 ---------------------------------------------------------------------

@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every password hashed."""
    seen: list[str] = []
    real = passwords.hash_password

    def counting(password: str) -> str:
        seen.append(password)
        return real(password)

    monkeypatch.setattr(passwords, "hash_password", counting)
    return seen


def test_wrong_codes_cost_no_password_hash(client, outbox, clock, modern, hashes):
    modern.tokens("13900139000")  # a registered user for set_password_by_code
    bodies = [
        ("/api/auth/register", {"account": PHONE, "code": "000000", "password": "secret-pass-1"}),
        ("/api/auth/set_password_by_code", {"phone": "13900139000", "code": "000000", "new_password": "secret-pass-1"}),
    ]
    for path, body in bodies:
        assert client.post(path, json=body).status_code == 400
    body = client.get(f"{V4}/register?phone={PHONE}&code=000000&password=123456&name=a&device_identifier=d")
    assert body.get_json()["code"] == -2
    assert hashes == []


def test_a_right_code_hashes_once_and_succeeds(client, outbox, clock, hashes):
    code = modern_code(client, outbox, clock)
    response = client.post("/api/auth/register", json={"account": PHONE, "code": code, "password": "secret-pass-1"})
    assert response.get_json()["code"] == 0
    assert hashes == ["secret-pass-1"]
    response = client.post("/api/auth/access_token", json={"account": PHONE, "password": "secret-pass-1"})
    assert response.get_json()["code"] == 0
    code = modern_code(client, outbox, clock)
    response = client.post("/api/auth/set_password_by_code",
                           json={"phone": PHONE, "code": code, "new_password": "another-pass-2"})
    assert response.status_code == 200
    assert hashes == ["secret-pass-1", "another-pass-2"]
    assert client.post("/api/auth/set_password_by_code", json={
        "phone": PHONE, "code": code, "new_password": "third-pass-3"}).status_code == 400  # single use


# 8. Risky production settings ----------------------------------------------------------------------

def production(**settings: Any) -> Any:
    return create_app({"ENV_NAME": "production", "DATABASE_URL": "sqlite://", "SECRET_KEY": KEY,
                       "ALLOW_CONSOLE_SMS": True, **settings})


def test_production_refuses_console_shows_code():
    with pytest.raises(RuntimeError, match="CONSOLE_SHOWS_CODE"):
        production(CONSOLE_SHOWS_CODE=True)


@pytest.mark.parametrize("key", ["a" * 36, "abcdefghij" * 4, "0123456789abcde" * 3])
def test_production_refuses_keys_with_too_little_variety(key):
    with pytest.raises(RuntimeError, match="variety"):
        production(SECRET_KEY=key)


def test_test_otp_accounts_are_logged_once_masked_at_start(caplog):
    with caplog.at_level(logging.WARNING, logger="lingo.codes"):
        production(TEST_OTP="13800000000=123456,demo@example.com=654321")
    warnings = [r.getMessage() for r in caplog.records if r.name == "lingo.codes"]
    assert len(warnings) == 2
    assert any("+8613****00" in w for w in warnings) and any("d***@example.com" in w for w in warnings)
    assert "123456" not in caplog.text and "654321" not in caplog.text and "13800000000" not in caplog.text


# 9. v4 password reset: attempts capped; an untrusted proxy is reported --------------------------

@pytest.mark.parametrize("app_overrides", [{"RESET_ATTEMPTS_PER_PHONE_HOUR": 3, "ISREGISTER_RATE_LIMIT": "1000/minute"}])
def test_forget_password_is_capped_per_phone(client, v4):
    v4.register(PHONE)
    for n in range(3):
        body = client.get(f"{V4}/forget_password?phone={PHONE}&password=654321", **from_ip(f"10.3.0.{n}")).get_json()
        assert body["msg"] == "验证码错误"
    body = client.get(f"{V4}/forget_password?phone={PHONE}&password=654321", **from_ip("10.3.0.99")).get_json()
    assert body == {"code": -1, "data": "", "msg": "请求过于频繁"}


@pytest.mark.parametrize("app_overrides", [{"RESET_ATTEMPTS_PER_IP_HOUR": 3, "ISREGISTER_RATE_LIMIT": "1000/minute"}])
def test_forget_password_is_capped_per_address(client, v4):
    for n in range(3):
        v4.register(f"1390000{n:04d}")
    for n in range(3):
        client.get(f"{V4}/forget_password?phone=1390000{n:04d}&password=654321", **from_ip(STRANGER_IP))
    body = client.get(f"{V4}/forget_password?phone={PHONE}&password=654321", **from_ip(STRANGER_IP)).get_json()
    assert body["msg"] == "请求过于频繁"


def test_forwarded_header_without_trusted_proxy_is_logged_once(client, caplog):
    with caplog.at_level(logging.WARNING, logger="lingo.web.proxy"):
        for _ in range(3):
            client.get(f"{V4}/isregister/{PHONE}", headers={"X-Forwarded-For": "203.0.113.7"})
    records = [r for r in caplog.records if r.name == "lingo.web.proxy"]
    assert len(records) == 1 and "PROXY_HOPS" in records[0].getMessage()


@pytest.mark.parametrize("app_overrides", [{"PROXY_HOPS": 1}])
def test_forwarded_header_behind_a_trusted_proxy_is_not_reported(client, caplog):
    with caplog.at_level(logging.WARNING, logger="lingo.web.proxy"):
        client.get(f"{V4}/isregister/{PHONE}", headers={"X-Forwarded-For": "203.0.113.7"})
    assert not [r for r in caplog.records if r.name == "lingo.web.proxy"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.ip_addresses().map(str), st.ip_addresses().map(lambda a: f" {a}\t"),
                 st.text(alphabet="0123456789.:abcdef ", max_size=45), st.text(max_size=20)))
def test_client_group_counts_the_parsed_address(raw):
    assert client_group(raw) == parsed_group(raw)  # the IPv4 short cut answers as the parse does
