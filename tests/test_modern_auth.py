"""The modern /api/auth dialect, through HTTP, as the seed shows it."""
from __future__ import annotations

import pytest

from lingo import settings
from lingo.extensions import db
from lingo.models import User

PHONE = "13800138000"
E164 = "+8613800138000"


def test_send_code_matches_seed_and_hides_the_code(modern, outbox):
    response = modern.send_code(PHONE)
    assert response.status_code == 200
    body = response.get_json()
    assert body == {"code": 200, "msg": "success", "data": {"expire_in": 300, "code": ""}}
    assert len(outbox.messages) == 1
    to, code = outbox.messages[0]
    assert to == E164 and len(code) == 6 and code.isdigit()


@pytest.mark.parametrize("app_overrides", [{"RETURN_CODE": True}])
def test_return_code_puts_the_real_code_in_the_response(modern, outbox):
    data = modern.send_code(PHONE).get_json()["data"]
    assert data["code"] == outbox.last_code(E164)
    assert isinstance(data["expire_in"], int)


def test_code_login_registers_then_signs_in(modern):
    first = modern.code_login(PHONE)
    assert first.status_code == 200
    body = first.get_json()
    assert body["code"] == 200 and body["msg"] == "success"
    data = body["data"]
    assert set(data) == {"access_token", "token_type", "refresh_token", "is_new_user"}
    assert data["token_type"] == "bearer" and data["is_new_user"] is True
    assert isinstance(data["access_token"], str) and len(data["access_token"]) >= 22
    second = modern.code_login(PHONE).get_json()["data"]
    assert second["is_new_user"] is False
    assert second["access_token"] != data["access_token"]


def test_mainland_and_e164_forms_are_one_person(app, modern):
    modern.tokens(PHONE)
    data = modern.tokens(E164)
    assert data["is_new_user"] is False
    with app.app_context():
        assert db.session.query(User).count() == 1


def test_phone_login_unregistered_is_404(client):
    response = client.post("/api/auth/phone_login", json={"phone": PHONE, "password": "whatever1"})
    assert response.status_code == 404
    assert response.get_json() == {"code": 404, "msg": "用户未注册", "data": None, "error": "not_registered"}


def test_code_created_user_has_no_password(modern, client):
    modern.tokens(PHONE)
    response = client.post("/api/auth/phone_login", json={"phone": PHONE, "password": "whatever1"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "password_not_set"


def test_set_password_then_password_login(modern, client):
    modern.tokens(PHONE)
    code = modern.code(PHONE)
    response = client.post(
        "/api/auth/set_password_by_code", json={"phone": PHONE, "code": code, "new_password": "s3cret-pass"}
    )
    assert response.status_code == 200
    assert response.get_json() == {"code": 200, "msg": "success", "data": {}}
    ok = client.post("/api/auth/phone_login", json={"phone": PHONE, "password": "s3cret-pass"})
    assert ok.status_code == 200
    data = ok.get_json()["data"]
    assert data["is_new_user"] is False and data["token_type"] == "bearer"
    wrong = client.post("/api/auth/phone_login", json={"phone": PHONE, "password": "s3cret-pasS"})
    assert wrong.status_code == 401 and wrong.get_json()["msg"] == "密码错误"


def test_set_password_for_unknown_phone_is_404(modern, client):
    code = modern.code(PHONE)
    response = client.post(
        "/api/auth/set_password_by_code", json={"phone": PHONE, "code": code, "new_password": "s3cret-pass"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("password", ["short7!", "x" * 129])
def test_password_policy_is_8_to_128(modern, client, password):
    modern.tokens(PHONE)
    code = modern.code(PHONE)
    response = client.post(
        "/api/auth/set_password_by_code", json={"phone": PHONE, "code": code, "new_password": password}
    )
    assert response.status_code == 422
    assert response.get_json()["detail"][0]["loc"] == ["body", "new_password"]


def test_set_password_revokes_every_session(modern, client):
    before = modern.tokens(PHONE)
    code = modern.code(PHONE)
    client.post("/api/auth/set_password_by_code", json={"phone": PHONE, "code": code, "new_password": "s3cret-pass"})
    assert modern.logout(before["access_token"]).status_code == 401
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": before["refresh_token"]})
    assert refreshed.status_code == 401


def test_refresh_rotates_and_old_access_dies(modern, client):
    tokens = modern.tokens(PHONE)
    response = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200
    new = response.get_json()["data"]
    assert new["token_type"] == "bearer"
    assert new["refresh_token"] != tokens["refresh_token"]
    assert modern.logout(tokens["access_token"]).status_code == 401
    assert modern.logout(new["access_token"]).status_code == 200


def test_reused_refresh_token_revokes_the_whole_session(modern, client):
    tokens = modern.tokens(PHONE)
    new = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).get_json()["data"]
    modern.clock.advance(11)  # past REFRESH_REUSE_GRACE (tests/test_refresh_grace.py covers the grace)
    reuse = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reuse.status_code == 401 and reuse.get_json()["error"] == "invalid_token"
    # the thief's or the owner's newer tokens die with the session
    assert client.post("/api/auth/refresh", json={"refresh_token": new["refresh_token"]}).status_code == 401
    assert modern.logout(new["access_token"]).status_code == 401


def test_access_token_is_not_a_refresh_token(modern, client):
    tokens = modern.tokens(PHONE)
    response = client.post("/api/auth/refresh", json={"refresh_token": tokens["access_token"]})
    assert response.status_code == 401
    assert modern.logout(tokens["refresh_token"]).status_code == 401


def test_logout_revokes_only_that_session(modern):
    one = modern.tokens(PHONE)
    two = modern.tokens(PHONE)
    assert modern.logout(one["access_token"]).status_code == 200
    assert modern.logout(one["access_token"]).status_code == 401
    assert modern.logout(two["access_token"], scheme="Token").status_code == 200


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer nope", "Basic abc", "Token " + "x" * 5000])
def test_logout_without_a_valid_token_is_401(client, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.post("/api/auth/logout", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"


def test_expired_access_token_fails(modern, clock, app):
    tokens = modern.tokens(PHONE)
    clock.advance(app.config["MODERN_ACCESS_TTL"] + 1)
    assert modern.logout(tokens["access_token"]).status_code == 401


def test_disabled_user_cannot_sign_in_or_use_tokens(app, modern, client):
    tokens = modern.tokens(PHONE)
    with app.app_context():
        db.session.query(User).update({"is_active": False})
        db.session.commit()
    assert modern.logout(tokens["access_token"]).status_code == 403
    response = modern.code_login(PHONE)
    assert response.status_code == 403 and response.get_json()["error"] == "account_disabled"
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 403


def test_passwords_are_stored_as_argon2id(app, modern, client):
    modern.tokens(PHONE)
    code = modern.code(PHONE)
    client.post("/api/auth/set_password_by_code", json={"phone": PHONE, "code": code, "new_password": "s3cret-pass"})
    with app.app_context():
        stored = db.session.query(User).one().password_hash
    assert stored.startswith("$argon2id$") and "m=19456" in stored and "s3cret" not in stored


def test_password_is_rehashed_when_parameters_change(app, modern, client):
    modern.tokens(PHONE)
    code = modern.code(PHONE)
    client.post("/api/auth/set_password_by_code", json={"phone": PHONE, "code": code, "new_password": "s3cret-pass"})
    app.config["ARGON2_TIME_COST"] = 3
    settings.init_app(app)  # what a restart with the new parameters does
    assert client.post("/api/auth/phone_login", json={"phone": PHONE, "password": "s3cret-pass"}).status_code == 200
    with app.app_context():
        stored = db.session.query(User).one().password_hash
    assert "t=3" in stored
    assert client.post("/api/auth/phone_login", json={"phone": PHONE, "password": "s3cret-pass"}).status_code == 200
