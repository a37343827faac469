"""The image-to-sound dialect: the seed's login, refresh with rotation, JWT checks."""
from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest

from lingo.dialects.image_to_sound.render import ERRORS
from lingo.errors import Error

MOBILE = "18232116813"
SEED_CODE = "696081"
LOGIN = "/image-to-sound/api/login"
REFRESH = "/image-to-sound/api/refresh"
BAD_LOGIN = {"code": 400, "msg": "Invalid mobile number or raw code", "identifier": False}
#: The seed's curl body, byte for byte.
SEED_BODY = '{\n  "mobile": "18232116813",\n  "rawCode": "696081"\n}'


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """The seed's mobile is a review account with the seed's fixed code."""
    return {"TEST_OTP": f"{MOBILE}={SEED_CODE}"}


def _login(client, mobile: str, code: str) -> Any:
    return client.post(LOGIN, json={"mobile": mobile, "rawCode": code})


def _tokens(client, modern, mobile: str = "13800138000") -> dict[str, Any]:
    response = _login(client, mobile, modern.code(mobile))
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    return {"access": data["accessTokenRes"]["accessToken"], "refresh": data["refreshTokenRes"]["refreshToken"]}


def _assert_token_shape(body: dict[str, Any]) -> None:
    assert list(body) == ["code", "data", "msg", "identifier"]
    assert body["code"] == 200 and type(body["code"]) is int
    assert body["msg"] == "" and body["identifier"] is True
    data = body["data"]
    assert list(data) == ["accessTokenRes", "refreshTokenRes"]
    assert list(data["accessTokenRes"]) == ["accessToken", "expire"]
    assert list(data["refreshTokenRes"]) == ["refreshToken", "expire"]
    assert data["accessTokenRes"]["expire"] == 3600 and type(data["accessTokenRes"]["expire"]) is int
    assert data["refreshTokenRes"]["expire"] == 2592000 and type(data["refreshTokenRes"]["expire"]) is int


def test_every_domain_error_has_an_image_to_sound_rendering():
    assert set(ERRORS) == set(Error)


def test_seed_login_example(app, client, modern, outbox):
    # the app asks for a code first (any send endpoint); the review account gets none by SMS
    assert modern.send_code(MOBILE).status_code == 200
    assert outbox.messages == []

    response = client.post(LOGIN, data=SEED_BODY, headers={"Content-Type": "application/json"})

    assert response.status_code == 200
    body = response.get_json()
    _assert_token_shape(body)
    access = body["data"]["accessTokenRes"]["accessToken"]
    refresh = body["data"]["refreshTokenRes"]["refreshToken"]
    assert jwt.get_unverified_header(access)["alg"] == "HS256"
    claims = jwt.decode(access, app.config["SECRET_KEY"], algorithms=["HS256"],
                        issuer=app.config["JWT_ISSUER"], options={"verify_exp": False})
    assert claims["sub"] == MOBILE and claims["iss"] == "lingo"
    assert claims["exp"] - claims["iat"] == 3600 and isinstance(claims["sid"], int)
    refresh_claims = jwt.decode(refresh, app.config["SECRET_KEY"], algorithms=["HS256"],
                                options={"verify_exp": False, "verify_iss": False})
    assert refresh_claims["exp"] - refresh_claims["iat"] == 2592000
    assert refresh_claims["sid"] == claims["sid"]


def test_wrong_or_expired_code_is_the_seed_error(client, modern, clock):
    code = modern.code("13800138000")
    wrong = "000000" if code != "000000" else "111111"
    response = _login(client, "13800138000", wrong)
    assert response.status_code == 400 and response.get_json() == BAD_LOGIN
    clock.advance(301)
    response = _login(client, "13800138000", code)
    assert response.status_code == 400 and response.get_json() == BAD_LOGIN


def test_code_is_single_use(client, modern):
    code = modern.code("13800138000")
    assert _login(client, "13800138000", code).status_code == 200
    assert _login(client, "13800138000", code).get_json() == BAD_LOGIN


def test_e164_mobile_is_accepted(client, modern):
    assert _login(client, "+8613800138000", modern.code("13800138000")).status_code == 200


def test_image_to_sound_user_sets_a_password_through_modern(client, modern, clock):
    _tokens(client, modern)
    assert client.post("/api/auth/phone_login",
                       json={"phone": "13800138000", "password": "a-new-password"}).status_code == 400
    clock.advance(61)
    code = modern.code("13800138000")
    response = client.post("/api/auth/set_password_by_code",
                           json={"phone": "13800138000", "code": code, "new_password": "a-new-password"})
    assert response.status_code == 200
    login = client.post("/api/auth/phone_login", json={"phone": "13800138000", "password": "a-new-password"})
    assert login.status_code == 200


def test_access_token_authenticates_on_modern_endpoints(client, modern):
    tokens = _tokens(client, modern)
    assert modern.logout(tokens["access"]).status_code == 200
    assert modern.logout(tokens["access"]).status_code == 401
    refused = client.post(REFRESH, json={"refreshToken": tokens["refresh"]})
    assert refused.status_code == 401
    assert refused.get_json() == {"code": 401, "msg": "Invalid token", "identifier": False}


def test_refresh_rotates_and_detects_reuse(client, modern):
    tokens = _tokens(client, modern)
    response = client.post(REFRESH, json={"refreshToken": tokens["refresh"]})
    assert response.status_code == 200
    body = response.get_json()
    _assert_token_shape(body)
    new_access = body["data"]["accessTokenRes"]["accessToken"]
    new_refresh = body["data"]["refreshTokenRes"]["refreshToken"]
    assert new_refresh != tokens["refresh"]
    # the old access token died with the rotation
    assert modern.logout(tokens["access"]).status_code == 401
    # presenting the rotated refresh token again, after REFRESH_REUSE_GRACE, revokes the whole session
    modern.clock.advance(11)
    assert client.post(REFRESH, json={"refreshToken": tokens["refresh"]}).status_code == 401
    assert client.post(REFRESH, json={"refreshToken": new_refresh}).status_code == 401
    assert modern.logout(new_access).status_code == 401


def test_access_token_is_not_a_refresh_token(client, modern):
    tokens = _tokens(client, modern)
    assert client.post(REFRESH, json={"refreshToken": tokens["access"]}).status_code == 401
    assert modern.logout(tokens["refresh"]).status_code == 401


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_forged_and_expired_jwts_are_refused(client, modern, clock, app):
    tokens = _tokens(client, modern)
    claims = jwt.decode(tokens["access"], options={"verify_signature": False})
    bad_signature = jwt.encode(claims, "another-secret-key-of-enough-length!", algorithm="HS256")
    header, payload, _ = tokens["access"].split(".")
    alg_none = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."
    tampered = f"{header}.{_b64({**claims, 'sid': claims['sid'] + 1})}.{tokens['access'].split('.')[2]}"
    for forged in (bad_signature, alg_none, tampered):
        assert modern.logout(forged).status_code == 401, forged
        refused = client.post(REFRESH, json={"refreshToken": forged})
        assert refused.status_code == 401
    # expired: the access token dies after 3600 s; the refresh token still works
    clock.advance(3601)
    assert modern.logout(tokens["access"]).status_code == 401
    assert client.post(REFRESH, json={"refreshToken": tokens["refresh"]}).status_code == 200


def test_expired_refresh_token_is_refused(client, modern, clock):
    tokens = _tokens(client, modern)
    clock.advance(2592001)
    assert client.post(REFRESH, json={"refreshToken": tokens["refresh"]}).status_code == 401


@pytest.mark.parametrize("kwargs", [
    {"json": {"mobile": "12345", "rawCode": "123456"}},
    {"json": {"mobile": 18232116813, "rawCode": "123456"}},
    {"json": {"mobile": MOBILE}},
    {"json": {"rawCode": "123456"}},
    {"json": {"mobile": MOBILE, "rawCode": 696081}},
    {"json": [MOBILE, SEED_CODE]},
    {"data": "{broken", "content_type": "application/json"},
    {"data": json.dumps({"mobile": MOBILE, "rawCode": "\ud800"}), "content_type": "application/json"},
    {"data": "x" * (70 * 1024), "content_type": "application/json"},
], ids=["bad-mobile", "int-mobile", "no-code", "no-mobile", "int-code", "array", "broken-json",
        "surrogate", "huge"])
def test_malformed_login_is_a_400_in_the_envelope(client, kwargs):
    response = client.post(LOGIN, **kwargs)
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == 400 and body["identifier"] is False and body["msg"]


def test_unknown_paths_and_methods_use_the_envelope(client):
    response = client.get(LOGIN)
    assert response.status_code == 405
    assert response.get_json() == {"code": 405, "msg": "Method not allowed", "identifier": False}
    response = client.post("/image-to-sound/api/nothing")
    assert response.status_code == 404
    assert response.get_json() == {"code": 404, "msg": "Not found", "identifier": False}
