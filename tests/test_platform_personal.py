"""Platform personal info: ``GET/PUT /api/personal/info`` (docs/dialects/platform.md)."""
from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from lingo.extensions import db
from lingo.models import User
from lingo.services import accounts, sessions
from lingo.services.identity import area_phone

PHONE = "13800138000"
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
#: The seed's user object, verbatim.
SEED_USER = {
    "id": 8, "area": "86", "phone": "18656660930", "email": "",
    "openid": "HuTfdXc8mENtNULFPBVt233cN2gzZ9lKqAcoUKed", "role": 0, "username": "18656660930",
    "is_active": True, "app_id": "", "created_at": "2019-05-22 18:20:45",
    "updated_at": "2019-05-22 18:20:45", "nickname": "", "avatar": "", "gender": 2, "birthday": "",
    "address": "",
}


def put(client: Any, token: str, body: Any, scheme: str = "Token") -> Any:
    return client.put("/api/personal/info", json=body, headers={"Authorization": f"{scheme} {token}"})


def assert_seed_user(body: dict[str, Any]) -> dict[str, Any]:
    """The seed's user object: same keys in the same order, same types."""
    assert body["code"] == 0 and body["message"] == "success", body
    data = body["data"]
    assert list(data) == list(SEED_USER)
    assert {k: type(v) for k, v in data.items()} == {k: type(v) for k, v in SEED_USER.items()}
    assert STAMP.match(data["created_at"]) and STAMP.match(data["updated_at"])
    assert re.fullmatch(r"[A-Za-z0-9]{40}", data["openid"])
    return data


def assert_10005(response: Any) -> None:
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["code"] == 10005 and response.get_json()["data"] == {}


@pytest.fixture
def token(platform_api: Any) -> str:
    """An access token of a freshly registered phone user."""
    return platform_api.tokens(PHONE)["access_token"]


def test_get_info_matches_the_seed(platform_api, token):
    data = assert_seed_user(platform_api.info(token).get_json())
    assert data["area"] == "86" and data["phone"] == PHONE and data["username"] == PHONE
    assert data["email"] == "" and data["birthday"] == "" and data["gender"] == 2
    assert data["role"] == 0 and data["is_active"] is True and data["app_id"] == ""
    # FakeClock: 2026-01-05 08:00 UTC = 16:00 in Asia/Shanghai
    assert data["created_at"] == data["updated_at"] == "2026-01-05 16:00:00"


@pytest.mark.parametrize("app_overrides", [{"APP_ID": "app-2019", "TIMEZONE": "UTC"}])
def test_get_info_uses_app_id_and_timezone(platform_api, token):
    data = platform_api.info(token).get_json()["data"]
    assert data["app_id"] == "app-2019" and data["created_at"] == "2026-01-05 08:00:00"


def test_put_info_matches_the_seed(client, platform_api, token, clock):
    clock.advance(3600)
    body = {"nickname": "小明", "avatar": "https://cdn.example.com/a/1.png", "gender": 1,
            "birthday": "1991-03-08", "address": "上海市浦东新区"}
    data = assert_seed_user(put(client, token, body).get_json())
    assert {k: data[k] for k in body} == body
    assert data["updated_at"] == "2026-01-05 17:00:00" and data["created_at"] == "2026-01-05 16:00:00"
    assert {k: v for k, v in platform_api.info(token).get_json()["data"].items() if k in body} == body


def test_get_info_shows_what_the_model_shows(client, platform_api, token, clock):
    # GET reads the profile as one JSON object from the database; PUT renders the ORM
    # user. Text JSON must escape, a birthday and sub-second times come back the same.
    clock.advance(1.25)
    body = {"nickname": 'Ann "\\ 😀 \u00e9', "avatar": "https://cdn.example.com/a?b=1&c=\"2\"",
            "gender": 0, "birthday": "1991-03-08", "address": "上海 </script> '; -- \\"}
    answered = assert_seed_user(put(client, token, body).get_json())
    assert {k: answered[k] for k in body} == body
    assert platform_api.info(token).get_json()["data"] == answered


def test_put_info_changes_only_what_is_given(client, token):
    put(client, token, {"nickname": "Ann", "gender": 0})
    data = put(client, token, {"address": "Somewhere 1"}).get_json()["data"]
    assert (data["nickname"], data["gender"], data["address"]) == ("Ann", 0, "Somewhere 1")


def test_put_info_can_clear_avatar_and_birthday(client, token):
    put(client, token, {"avatar": "http://example.com/a.png", "birthday": "2000-01-01"})
    data = put(client, token, {"avatar": "", "birthday": ""}).get_json()["data"]
    assert data["avatar"] == "" and data["birthday"] == ""


def test_put_info_ignores_unknown_fields(app, client, token):
    data = put(client, token, {"nickname": "Ann", "role": 1, "is_active": False, "phone": "1",
                               "email": "x@example.com", "id": 99}).get_json()["data"]
    assert data["nickname"] == "Ann" and data["role"] == 0 and data["is_active"] is True
    assert data["phone"] == PHONE and data["email"] == "" and data["id"] != 99


def test_put_empty_body_changes_nothing(client, token, platform_api):
    before = platform_api.info(token).get_json()["data"]
    assert put(client, token, {}).get_json()["data"] == before
    response = client.put("/api/personal/info", headers={"Authorization": f"Token {token}"})
    assert response.get_json()["data"] == before


@pytest.mark.parametrize("field, value", [
    ("nickname", "x" * 33),
    ("nickname", 5),
    ("nickname", None),
    ("nickname", "bad\x07name"),
    ("avatar", "ftp://example.com/a.png"),
    ("avatar", "javascript:alert(1)"),
    ("avatar", "not a url"),
    ("avatar", "https://"),
    ("avatar", "/relative/a.png"),
    ("avatar", "https://example.com/" + "a" * 500),
    ("avatar", "http://[::1"),
    ("gender", 3),
    ("gender", -1),
    ("gender", "1"),
    ("gender", True),
    ("gender", 1.0),
    ("gender", None),
    ("birthday", "1991-02-30"),
    ("birthday", "19910308"),
    ("birthday", "1991-3-8"),
    ("birthday", "08/03/1991"),
    ("birthday", "2026-01-06"),
    ("birthday", "1800-01-01"),
    ("birthday", 19910308),
    ("address", "x" * 256),
    ("address", ["street"]),
])
def test_put_info_invalid_field_is_10005_and_saves_nothing(client, platform_api, token, field, value):
    before = platform_api.info(token).get_json()["data"]
    body = {"nickname": "Valid", "address": "Valid street", field: value}
    assert_10005(put(client, token, body))
    assert platform_api.info(token).get_json()["data"] == before


def test_put_info_limits_are_inclusive(client, token):
    body = {"nickname": "名" * 32, "address": "址" * 255,
            "avatar": "https://example.com/" + "a" * (512 - len("https://example.com/"))}
    data = put(client, token, body).get_json()["data"]
    assert {k: data[k] for k in body} == body


def test_birthday_today_is_fine_and_follows_the_timezone(client, token, clock):
    # 2026-01-05 08:00 UTC is 16:00 in Shanghai: today is the 5th, the 6th is the future.
    assert put(client, token, {"birthday": "2026-01-05"}).status_code == 200
    assert_10005(put(client, token, {"birthday": "2026-01-06"}))
    clock.advance(12 * 3600)  # 20:00 UTC = 04:00 on the 6th in Shanghai
    assert put(client, token, {"birthday": "2026-01-06"}).get_json()["data"]["birthday"] == "2026-01-06"


@pytest.mark.parametrize("raw", [b"{", b"[]", b"1", b'{"nickname": "\\u0000"}'])
def test_put_info_malformed_body_is_10005(client, token, raw):
    response = client.put("/api/personal/info", data=raw, content_type="application/json",
                          headers={"Authorization": f"Token {token}"})
    assert_10005(response)


def test_email_user_info(platform_api):
    token = platform_api.tokens("Ann@Example.com")["access_token"]
    data = assert_seed_user(platform_api.info(token).get_json())
    assert (data["email"], data["username"], data["phone"], data["area"]) == (
        "ann@example.com", "ann@example.com", "", "86")


# --- tokens -------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "", "Token", "Token nope", "Bearer nope", "Basic abc", "Token " + "a" * 3000])
def test_info_without_a_valid_token_is_10004(client, header):
    headers = {"Authorization": header} if header is not None else {}
    for response in (client.get("/api/personal/info", headers=headers),
                     client.put("/api/personal/info", json={"nickname": "x"}, headers=headers)):
        assert response.status_code == 401
        assert response.get_json() == {"code": 10004, "message": response.get_json()["message"], "data": {}}


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_modern_tokens_work_here(modern, platform_api, scheme):
    tokens = modern.tokens(PHONE)
    data = assert_seed_user(platform_api.info(tokens["access_token"], scheme).get_json())
    assert data["phone"] == PHONE


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_platform_tokens_work_with_both_schemes(platform_api, token, scheme):
    assert platform_api.info(token, scheme).status_code == 200


@pytest.mark.parametrize("policy", [
    sessions.TokenPolicy("v4", sessions.hex32_token, 3600, 3600),
    sessions.TokenPolicy("its", sessions.jwt_token, 3600, 2592000),
])
def test_v4_and_image_to_sound_sessions_work_here(app, client, platform_api, clock, policy):
    # The v4 and image-to-sound dialects are built elsewhere; their sessions are
    # minted here with the same service and token formats they use.
    platform_api.tokens(PHONE)
    with app.app_context():
        user = accounts.find_user(area_phone("86", PHONE))
        issued = sessions.open_session(user, policy, ip="127.0.0.1", now=clock())
        db.session.commit()
    for scheme in ("Token", "Bearer"):
        response = platform_api.info(issued.access_token, scheme)
        assert response.status_code == 200 and response.get_json()["data"]["phone"] == PHONE
    assert put(client, issued.access_token, {"nickname": "via-" + policy.client}).status_code == 200
    clock.advance(3600)
    assert platform_api.info(issued.access_token).status_code == 401


def test_password_change_revokes_tokens(client, modern, platform_api, clock, token):
    clock.advance(61)
    code = modern.code(PHONE)
    body = {"phone": PHONE, "code": code, "new_password": "another-pass-2"}
    assert client.post("/api/auth/set_password_by_code", json=body).status_code == 200
    assert platform_api.info(token).get_json()["code"] == 10004
    assert put(client, token, {"nickname": "x"}).get_json()["code"] == 10004


def test_destroy_token_revokes_personal_access(client, platform_api, token):
    assert client.post("/api/auth/destroy_token", headers={"Authorization": f"Token {token}"}).status_code == 200
    assert platform_api.info(token).get_json()["code"] == 10004


def test_profile_is_shared_with_other_dialects(app, client, modern, platform_api, token, clock):
    put(client, token, {"nickname": "Ann", "birthday": "1991-03-08"})
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert user.nickname == "Ann" and user.birthday.isoformat() == "1991-03-08"
    clock.advance(61)
    tokens = modern.tokens(PHONE)  # same person through the modern dialect
    assert platform_api.info(tokens["access_token"]).get_json()["data"]["nickname"] == "Ann"
