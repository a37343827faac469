"""Platform dialect, accounts half: send/check code, register, tokens (docs/dialects/platform.md)."""
from __future__ import annotations

import logging
import re
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from lingo.errors import DomainError, Error
from lingo.extensions import db
from lingo.models import User

ALNUM50 = re.compile(r"^[A-Za-z0-9]{50}$")
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
PHONE = "13800138000"
E164 = "+86" + PHONE
SEED_TOKENS = {
    "access_token": "lRnCFDxpK6PhpT44YaaLMwHmvI97GCIQvxazlNSQC4XxjDBCAV",
    "refresh_token": "aQ4XO33CSez6aSXEaiptgD10NzbWMu42xh3Wvb3YI2pgpD1raD",
    "expires_at": "2019-05-29 18:22:30",
    "expires_in": 604800,
}


def assert_error(response: Any, code: int, status: int) -> None:
    """A platform error envelope with ``code`` and HTTP ``status``."""
    body = response.get_json()
    assert response.status_code == status, body
    assert body["code"] == code and body["data"] == {} and isinstance(body["message"], str), body


def assert_seed_tokens(body: dict[str, Any]) -> dict[str, Any]:
    """The seed's token answer: same keys, same types, same formats."""
    assert body["code"] == 0 and body["message"] == "success"
    data = body["data"]
    assert list(data) == list(SEED_TOKENS)
    assert {k: type(v) for k, v in data.items()} == {k: type(v) for k, v in SEED_TOKENS.items()}
    assert ALNUM50.match(data["access_token"]) and ALNUM50.match(data["refresh_token"])
    assert data["access_token"] != data["refresh_token"]
    assert STAMP.match(data["expires_at"]) and data["expires_in"] == 604800
    return data


def post(client: Any, path: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Authorization": f"Token {token}"} if token else {}
    return client.post(f"/api/auth/{path}", json=body, headers=headers)


# --- send_code and the shared path ------------------------------------------------


def test_send_code_to_a_phone_matches_the_seed(client, outbox):
    response = post(client, "send_code", {"area": "86", "account": PHONE})
    assert response.status_code == 200
    assert response.get_json() == {"code": 0, "message": "success", "data": {}}
    assert outbox.last_code(E164) and re.fullmatch(r"\d{6}", outbox.last_code(E164))


def test_send_code_to_an_email_goes_through_the_email_sender(client, outbox, email_outbox):
    response = post(client, "send_code", {"account": "Ann.Lee@Example.COM"})
    assert response.get_json() == {"code": 0, "message": "success", "data": {}}
    assert [to for to, _ in email_outbox.messages] == ["ann.lee@example.com"]
    assert outbox.messages == []


def test_shared_send_code_path_is_decided_by_the_body(client, outbox):
    platform_body = post(client, "send_code", {"account": PHONE}).get_json()
    assert platform_body == {"code": 0, "message": "success", "data": {}}
    modern_body = post(client, "send_code", {"phone": "13900139000"}).get_json()
    assert modern_body["code"] == 200 and modern_body["msg"] == "success"
    assert set(modern_body["data"]) == {"expire_in", "code"}
    # Errors follow the dialect too: a platform body with a bad account is 10005,
    # a modern body with a bad phone is a FastAPI-style 422.
    assert_error(post(client, "send_code", {"account": "12"}), 10005, 400)
    response = post(client, "send_code", {"phone": "12"})
    assert response.status_code == 422 and "detail" in response.get_json()


@pytest.mark.parametrize("body", [
    {"account": PHONE},
    {"area": "86", "account": PHONE},
    {"area": "+86", "account": PHONE},
    {"account": "+86" + PHONE},
    {"account": "0086" + PHONE},
    {"area": "1", "account": "+86" + PHONE},
])
def test_phone_forms_normalise_to_one_account(client, outbox, clock, body):
    assert post(client, "send_code", body).status_code == 200
    assert [to for to, _ in outbox.messages] == [E164]


@pytest.mark.parametrize("app_overrides", [{"SMS_ALLOWED_REGIONS": "CN,US"}])
def test_other_areas_are_other_people(client, outbox):
    assert post(client, "send_code", {"area": "1", "account": "2025550123"}).status_code == 200
    assert outbox.messages[0][0] == "+12025550123"


def test_send_code_too_frequent_is_10010(client, outbox, clock):
    assert post(client, "send_code", {"account": PHONE}).status_code == 200
    assert_error(post(client, "send_code", {"account": PHONE}), 10010, 429)
    assert len(outbox.messages) == 1
    clock.advance(61)
    assert post(client, "send_code", {"account": PHONE}).status_code == 200


@pytest.mark.parametrize("app_overrides", [{"CODE_SENDS_PER_IP_HOUR": 1}])
def test_per_ip_send_limit_is_10000(client, outbox):
    assert post(client, "send_code", {"account": PHONE}).status_code == 200
    assert_error(post(client, "send_code", {"account": "13900139000"}), 10000, 429)
    assert len(outbox.messages) == 1


@pytest.mark.parametrize("error, code", [
    (Error.SMS_ARREARS, 10011), (Error.SMS_FAILED, 10012), (Error.SMS_UNAVAILABLE, 10013),
])
def test_sms_provider_errors_map_to_their_codes(app, client, outbox, error, code):
    seen: list[str] = []

    class Failing:
        """Remembers the code, then fails like the provider."""

        def send_code(self, to: str, value: str, ttl: int, scene: str = "any") -> None:
            seen.append(value)
            raise DomainError(error)

    app.extensions["lingo.sms"] = Failing()
    assert_error(post(client, "send_code", {"account": PHONE}), code, 503)
    # The undelivered code is dead, and the send limits were given back.
    assert_error(post(client, "check_code", {"account": PHONE, "code": seen[0]}), 10008, 400)
    app.extensions["lingo.sms"] = outbox
    assert post(client, "send_code", {"account": PHONE}).status_code == 200


@pytest.mark.parametrize("error, code", [
    (Error.SMS_ARREARS, 10011), (Error.SMS_FAILED, 10012), (Error.SMS_UNAVAILABLE, 10013),
])
def test_outbox_failures_render_as_platform_codes(client, outbox, error, code):
    outbox.fail_with = error
    assert_error(post(client, "send_code", {"account": PHONE}), code, 503)
    assert outbox.messages == []


def test_email_failure_is_10014(client, email_outbox):
    email_outbox.fail_with = Error.EMAIL_UNAVAILABLE
    assert_error(post(client, "send_code", {"account": "ann@example.com"}), 10014, 503)


# --- check_code ---------------------------------------------------------------------


def test_check_code_does_not_consume_the_code(client, platform_api):
    code = platform_api.code(PHONE)
    response = post(client, "check_code", {"area": "86", "account": PHONE, "code": code})
    assert response.get_json() == {"code": 0, "message": "success", "data": {}}
    assert post(client, "check_code", {"account": PHONE, "code": code}).status_code == 200
    assert platform_api.register(PHONE, code=code).status_code == 200
    assert_error(post(client, "check_code", {"account": PHONE, "code": code}), 10008, 400)


def test_check_code_wrong_attempts_count(client, platform_api):
    code = platform_api.code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert_error(post(client, "check_code", {"account": PHONE, "code": wrong}), 10008, 400)
    assert_error(post(client, "check_code", {"account": PHONE, "code": code}), 10008, 400)
    assert_error(platform_api.register(PHONE, code=code), 10008, 400)


def test_check_code_for_an_email_is_case_insensitive(client, platform_api):
    code = platform_api.code("ann@example.com")
    assert post(client, "check_code", {"account": "ANN@example.com", "code": code}).status_code == 200


# --- register ------------------------------------------------------------------------


def test_register_matches_the_seed(app, client, platform_api, clock):
    code = platform_api.code(PHONE)
    response = post(client, "register", {"area": "86", "account": PHONE, "code": code, "password": "secret-pass-1"})
    data = assert_seed_tokens(response.get_json())
    # FakeClock starts at 2026-01-05 08:00 UTC; the access token lives 7 days; Asia/Shanghai is UTC+8.
    assert data["expires_at"] == "2026-01-12 16:00:00"
    assert platform_api.info(data["access_token"]).status_code == 200
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert (user.e164, user.phone, user.area, user.username) == (E164, PHONE, "86", PHONE)
        assert user.password_hash.startswith("$argon2id$")


def test_register_an_email_account(app, platform_api):
    data = platform_api.tokens("Ann@Example.com")
    info = platform_api.info(data["access_token"]).get_json()["data"]
    assert info["email"] == "ann@example.com" and info["username"] == "ann@example.com"
    assert info["phone"] == "" and info["area"] == "86"


def test_register_twice_is_10009(client, platform_api, clock):
    platform_api.tokens(PHONE)
    clock.advance(61)
    assert_error(platform_api.register(PHONE), 10009, 409)
    clock.advance(61)
    assert_error(platform_api.register("+86" + PHONE), 10009, 409)


def test_register_someone_known_to_modern_is_10009(modern, platform_api, clock):
    modern.tokens(PHONE)
    clock.advance(61)
    assert_error(platform_api.register(PHONE), 10009, 409)


def test_register_with_a_wrong_code_is_10008(app, client, platform_api):
    code = platform_api.code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    assert_error(platform_api.register(PHONE, code=wrong), 10008, 400)
    assert_error(platform_api.register(PHONE, code=""), 10008, 400)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0
    assert platform_api.register(PHONE, code=code).status_code == 200


@pytest.mark.parametrize("password", ["short", "x" * 129, 12345678, None])
def test_register_password_policy_is_10005(app, platform_api, password):
    code = platform_api.code(PHONE)
    assert_error(platform_api.register(PHONE, password=password, code=code), 10005, 400)
    # the code was not touched
    assert platform_api.register(PHONE, code=code).status_code == 200


def test_concurrent_register_of_one_account_creates_one_user(app, platform_api):
    code = platform_api.code(PHONE)
    body = {"account": PHONE, "code": code, "password": "secret-pass-1"}
    workers = 6
    barrier = threading.Barrier(workers)
    results: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def attempt() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/auth/register", json=body)
        with lock:
            results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=attempt) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == workers
    assert all(status < 500 for status, _ in results), results
    winners = [body for status, body in results if status == 200]
    assert len(winners) == 1, results
    assert {body["code"] for status, body in results if status != 200} <= {10008, 10009}, results
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 1


# --- access_token (password sign-in) -------------------------------------------------------


def test_access_token_matches_the_seed(client, platform_api):
    platform_api.tokens(PHONE)
    response = post(client, "access_token", {"area": "86", "account": PHONE, "password": "secret-pass-1"})
    data = assert_seed_tokens(response.get_json())
    assert platform_api.info(data["access_token"]).status_code == 200


@pytest.mark.parametrize("body", [
    {"account": "+86" + PHONE},
    {"account": "0086" + PHONE},
    {"area": "86", "account": PHONE},
])
def test_access_token_accepts_every_phone_form(client, platform_api, body):
    platform_api.tokens(PHONE)
    assert post(client, "access_token", {**body, "password": "secret-pass-1"}).status_code == 200


def test_access_token_for_an_email_is_case_insensitive(client, platform_api):
    platform_api.tokens("ann@example.com")
    body = {"account": "ANN@Example.COM", "password": "secret-pass-1"}
    assert post(client, "access_token", body).status_code == 200


def test_access_token_wrong_password_is_10007(client, platform_api):
    platform_api.tokens(PHONE)
    assert_error(post(client, "access_token", {"account": PHONE, "password": "not-the-one"}), 10007, 401)


def test_access_token_unregistered_is_10006(client):
    assert_error(post(client, "access_token", {"account": PHONE, "password": "secret-pass-1"}), 10006, 404)
    assert_error(post(client, "access_token", {"account": "x@example.com", "password": "secret-pass-1"}), 10006, 404)


def test_access_token_without_a_password_set_is_10007(client, modern):
    modern.tokens(PHONE)  # registered by code: no password yet
    assert_error(post(client, "access_token", {"account": PHONE, "password": "secret-pass-1"}), 10007, 401)


def test_a_modern_user_signs_in_here_as_the_same_person(client, modern, platform_api, clock):
    modern_tokens = modern.tokens(PHONE)
    clock.advance(61)
    code = modern.code(PHONE)
    body = {"phone": PHONE, "code": code, "new_password": "new-secret-9"}
    assert client.post("/api/auth/set_password_by_code", json=body).status_code == 200
    data = post(client, "access_token", {"account": PHONE, "password": "new-secret-9"}).get_json()["data"]
    mine = platform_api.info(data["access_token"]).get_json()["data"]
    assert mine["phone"] == PHONE
    assert platform_api.info(modern_tokens["access_token"]).status_code == 401  # revoked by the change


def test_disabled_user_gets_10003(app, client, platform_api):
    tokens = platform_api.tokens(PHONE)
    with app.app_context():
        db.session.execute(User.__table__.update().values(is_active=False))
        db.session.commit()
    assert_error(post(client, "access_token", {"account": PHONE, "password": "secret-pass-1"}), 10003, 403)
    assert_error(platform_api.info(tokens["access_token"]), 10003, 403)


# --- refresh_token and destroy_token -----------------------------------------------------


def test_refresh_token_matches_the_seed_and_rotates(client, platform_api, clock):
    first = platform_api.tokens(PHONE)
    response = post(client, "refresh_token", {"refresh_token": first["refresh_token"]})
    second = assert_seed_tokens(response.get_json())
    assert second["access_token"] != first["access_token"]
    assert platform_api.info(second["access_token"]).status_code == 200
    assert_error(platform_api.info(first["access_token"]), 10004, 401)
    # Reusing the rotated refresh token after REFRESH_REUSE_GRACE revokes the whole session.
    clock.advance(11)
    assert_error(post(client, "refresh_token", {"refresh_token": first["refresh_token"]}), 10004, 401)
    assert_error(platform_api.info(second["access_token"]), 10004, 401)
    assert_error(post(client, "refresh_token", {"refresh_token": second["refresh_token"]}), 10004, 401)


def test_refresh_token_rejects_garbage_and_access_tokens(client, platform_api):
    tokens = platform_api.tokens(PHONE)
    assert_error(post(client, "refresh_token", {"refresh_token": "nope"}), 10004, 401)
    assert_error(post(client, "refresh_token", {"refresh_token": tokens["access_token"]}), 10004, 401)
    assert_error(post(client, "refresh_token", {}), 10005, 400)


def test_refresh_token_expires_with_the_clock(client, platform_api, clock):
    tokens = platform_api.tokens(PHONE)
    clock.advance(30 * 24 * 3600 + 1)
    assert_error(post(client, "refresh_token", {"refresh_token": tokens["refresh_token"]}), 10004, 401)


def test_access_token_expires_after_seven_days(platform_api, clock):
    tokens = platform_api.tokens(PHONE)
    clock.advance(604800 - 1)
    assert platform_api.info(tokens["access_token"]).status_code == 200
    clock.advance(1)
    assert_error(platform_api.info(tokens["access_token"]), 10004, 401)


def test_destroy_token_matches_the_seed_and_revokes(client, platform_api):
    tokens = platform_api.tokens(PHONE)
    other = post(client, "access_token", {"account": PHONE, "password": "secret-pass-1"}).get_json()["data"]
    response = post(client, "destroy_token", token=tokens["access_token"])
    assert response.get_json() == {"code": 0, "message": "success", "data": {}}
    assert_error(platform_api.info(tokens["access_token"]), 10004, 401)
    assert_error(post(client, "refresh_token", {"refresh_token": tokens["refresh_token"]}), 10004, 401)
    assert_error(post(client, "destroy_token", token=tokens["access_token"]), 10004, 401)
    assert platform_api.info(other["access_token"]).status_code == 200  # only that session


def test_destroy_token_without_a_token_is_10004(client):
    assert_error(post(client, "destroy_token"), 10004, 401)
    assert_error(client.post("/api/auth/destroy_token", headers={"Authorization": "Token"}), 10004, 401)
    assert_error(client.post("/api/auth/destroy_token", headers={"Authorization": "Basic abc"}), 10004, 401)


# --- bad input, paths and methods ----------------------------------------------------------

ENDPOINTS = ["check_code", "register", "access_token", "refresh_token"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("raw", [b"{", b"[1, 2]", b'"account"', b"null", b"\xff\xfe", b'{"account": "\\ud800"}'])
def test_malformed_bodies_are_10005(client, path, raw):
    response = client.post(f"/api/auth/{path}", data=raw, content_type="application/json")
    assert_error(response, 10005, 400)


@pytest.mark.parametrize("body", [
    {},
    {"account": 13800138000},
    {"account": None},
    {"account": ""},
    {"account": "abc"},
    {"account": "12345"},
    {"account": "not-an-email@"},
    {"area": 86, "account": PHONE},
    {"area": "xx", "account": PHONE},
    {"account": "1" * 300},
    {"account": PHONE, "code": 123456},
    {"account": PHONE, "code": ["1"]},
])
def test_bad_fields_are_10005(client, body):
    assert_error(post(client, "check_code", {"code": "123456", **body}), 10005, 400)


def test_platform_send_code_bad_fields_are_10005(client, outbox):
    for body in ({"account": 1}, {"account": "abc"}, {"area": [], "account": PHONE}):
        assert_error(post(client, "send_code", body), 10005, 400)
    assert outbox.messages == []


@pytest.mark.parametrize("app_overrides", [{"MAX_CONTENT_LENGTH": 1024}])
def test_huge_body_is_10005(client):
    response = client.post("/api/auth/register", json={"account": PHONE, "password": "x" * 5000})
    assert_error(response, 10005, 400)


def test_unknown_fields_are_ignored(client, platform_api):
    code = platform_api.code(PHONE)
    body = {"account": PHONE, "code": code, "password": "secret-pass-1", "role": 1, "is_active": False}
    assert client.post("/api/auth/register", json=body).status_code == 200


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/auth/register"),
    ("GET", "/api/auth/check_code"),
    ("PUT", "/api/auth/access_token"),
    ("GET", "/api/auth/refresh_token"),
    ("DELETE", "/api/auth/destroy_token"),
    ("DELETE", "/api/personal/info"),
    ("POST", "/api/personal/info"),
])
def test_wrong_methods_are_10000(client, method, path):
    assert_error(client.open(path, method=method), 10000, 405)


@pytest.mark.parametrize("path", ["/api/nothing", "/api/personal/nothing", "/api/personal/info/1", "/api/personal"])
def test_unknown_paths_are_10002(client, path):
    assert_error(client.get(path), 10002, 404)
    assert_error(client.post(path, json={}), 10002, 404)


# --- secrets stay out of the logs ------------------------------------------------------------


@pytest.mark.parametrize("app_overrides", [{"SMS_BACKEND": "console", "MAIL_BACKEND": "console"}])
@pytest.mark.parametrize("account", [PHONE, "ann@example.com"])
def test_no_code_password_or_token_in_the_logs(app, client, clock, caplog, account):
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    class Spy:
        """Learns the code (for this test only) and lets the console sender log."""

        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def send_code(self, to: str, code: str, ttl: int, scene: str = "any") -> None:
            seen.append(code)
            self.inner.send_code(to, code, ttl, scene)

    for key in ("lingo.sms", "lingo.email"):
        app.extensions[key] = Spy(app.extensions[key])
    assert post(client, "send_code", {"account": account}).status_code == 200
    assert post(client, "check_code", {"account": account, "code": seen[0]}).status_code == 200
    tokens = post(client, "register", {"account": account, "code": seen[0], "password": "pa55-w0rd-x"}).get_json()["data"]
    post(client, "access_token", {"account": account, "password": "wrong-pa55-y"})
    post(client, "refresh_token", {"refresh_token": tokens["refresh_token"]})
    assert "console sender" in caplog.text
    for secret in (seen[0], "pa55-w0rd-x", "wrong-pa55-y", tokens["access_token"], tokens["refresh_token"]):
        assert secret not in caplog.text
