"""Input that broke a dialect or a display (issue 14, items 11(a), 11(b) and 12, profile text).

11(a): numbers that match a dialect's phone pattern but that ``phonenumbers``
cannot parse are invalid input, not a 500 with a traceback.
11(b): on the shared ``/api/auth/send_code`` the body's keys choose the dialect
before its characters or its size are judged.
12: profile text refuses control characters and bidirectional controls.
"""
from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest

from helpers.v4 import V4, V4Api

#: Match v4's ``^1\d{10}$`` (and, from 13 on, modern's ``^1[3-9]\d{9}$``) but
#: ``phonenumbers`` cannot parse them: a carrier selection code (11xxx, 12xxx,
#: 179xx) followed by a trunk or international prefix leaves too few digits or
#: an unknown country code.
UNPARSEABLE = ["11000002100", "11062009758", "17923002230"]


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [(r.name, r.getMessage()) for r in bad]
    assert "Traceback" not in caplog.text


def assert_v4_invalid(response: Any, field: str = "手机号") -> None:
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == {"code": -1, "data": "", "msg": f"参数错误: {field}"}


# --- 11(a): numbers phonenumbers cannot parse -----------------------------------------------------


@pytest.mark.parametrize("phone", UNPARSEABLE)
def test_v4_unparseable_numbers_are_invalid_input_on_every_endpoint(client, caplog, phone):
    caplog.set_level(logging.INFO)
    fields = {
        "register": {"name": "asd", "password": "111111", "device_identifier": "uuid", "code": "123456"},
        "login": {"password": "111111", "device_identifier": "uuid"},
        "verify_code": {"code": "123456"},
        "forget_password": {"password": "111111"},
    }
    for expect in ("0", "1"):
        assert_v4_invalid(client.get(f"{V4}/sendsms/{phone}?expect={expect}"))
        assert_v4_invalid(client.post(f"{V4}/isregister/{phone}", data={"expect": expect}))
    for path, params in fields.items():
        body = {"phone": phone, **params}
        assert_v4_invalid(client.get(f"{V4}/{path}", query_string=body))
        assert_v4_invalid(client.post(f"{V4}/{path}", data=body))
        assert_v4_invalid(client.post(f"{V4}/{path}", json=body))
    no_errors_logged(caplog)


def test_modern_and_image_to_sound_unparseable_mainland_numbers_are_invalid_input(client, caplog, outbox):
    # 17923002230 matches the modern/image-to-sound pattern 1[3-9]xxxxxxxxx too.
    caplog.set_level(logging.INFO)
    for path, body in [("/api/auth/send_code", {"phone": "17923002230"}),
                       ("/api/auth/phone_login", {"phone": "17923002230", "password": "secret-pass"}),
                       ("/api/auth/phone_code_login", {"phone": "17923002230", "code": "123456"})]:
        response = client.post(path, json=body)
        assert response.status_code == 422, response.get_json()
        assert response.get_json()["detail"][0]["loc"] == ["body", "phone"]
    response = client.post("/image-to-sound/api/login", json={"mobile": "17923002230", "rawCode": "123456"})
    assert response.status_code == 400
    assert response.get_json() == {"code": 400, "msg": "Invalid mobile number or raw code", "identifier": False}
    assert outbox.messages == []
    no_errors_logged(caplog)


def test_v4_numbers_phonenumbers_parses_still_work(app, client, outbox, clock):
    # Only the unparseable ones are refused: v4 keeps its documented ^1\d{10}$ (12000000000 is not
    # a valid mainland mobile, and v4 takes it as it always did).
    v4 = V4Api(app, client, outbox, clock)
    assert v4.code("12000000000", "0")
    assert v4.register("13700000000")["name"] == "asdasd"


# --- 11(b): the shared send_code path picks its dialect by the body's keys ------------------------


def platform_10005(response: Any) -> None:
    assert response.status_code == 400 and response.mimetype == "application/json", response.data[:200]
    body = response.get_json()
    assert body["code"] == 10005 and body["data"] == {} and body["message"].startswith("请求字段不合法"), body


RAW_PLATFORM_BODIES = [
    b'{"area":"86","account":"\\u0000"}',
    b'{"area":"86","account":"\\ud800"}',
    b'{"account":"13800138000","captcha":"\\udfff"}',
    b'{"area":"86\\u0000","account":"13800138000"}',
    b'{"account": "13800138000", "x": {"y": ["\\u0000"]}}',
    '{"account":"\ud800"}'.encode("utf-8", "surrogatepass"),  # a raw surrogate: invalid UTF-8
    b'{"account":"\xff\xfe"}',  # invalid UTF-8
    b'{"area": "86", "account": "13800138000",',  # cut short
    b'{"account": "13800138000" "area": "86"}',  # broken after the key
    b'\xef\xbb\xbf{"account":"\\u0000"}',  # with a UTF-8 byte order mark
]


@pytest.mark.parametrize("raw", RAW_PLATFORM_BODIES)
def test_platform_shaped_bad_body_on_shared_send_code_is_platform_10005(client, outbox, caplog, raw):
    caplog.set_level(logging.INFO)
    platform_10005(client.post("/api/auth/send_code", data=raw, content_type="application/json"))
    assert outbox.messages == []
    no_errors_logged(caplog)


@pytest.mark.parametrize("raw", [
    b'{"phone":"\\u0000"}', b'{"phone":"13800138000","x":"\\ud800"}', b"{", b"[1]", b'"account"',
    b'{"pad": "x", "phone": "1380013800', b'{"a" "account": 1}', b"\xff",
])
def test_modern_or_shapeless_bad_body_on_shared_send_code_stays_modern_422(client, raw):
    response = client.post("/api/auth/send_code", data=raw, content_type="application/json")
    assert response.status_code == 422 and list(response.get_json()) == ["detail"], response.get_json()


def oversize(first: dict[str, str], last: dict[str, str], size: int) -> bytes:
    """A JSON object with ``first``'s keys, a pad that makes it ``size``+ bytes, then ``last``'s."""
    return json.dumps({**first, "pad": "x" * size, **last}).encode()


@pytest.mark.parametrize("app_overrides", [{"MAX_CONTENT_LENGTH": 4096}])
def test_oversize_body_on_shared_send_code_is_answered_by_the_dialect_its_start_names(client, outbox):
    # The keys are in the first bytes: the dialect can still be told.
    platform_10005(client.post("/api/auth/send_code", data=oversize({"area": "86", "account": "13800138000"}, {}, 5000),
                               content_type="application/json"))
    response = client.post("/api/auth/send_code", data=oversize({"phone": "13800138000"}, {}, 5000),
                           content_type="application/json")
    assert response.status_code == 413 and list(response.get_json()) == ["detail"]
    # The oversize value comes first: no key within reach, so the path's owner (modern) answers.
    response = client.post("/api/auth/send_code", data=oversize({}, {"account": "13800138000"}, 5000),
                           content_type="application/json")
    assert response.status_code == 413 and list(response.get_json()) == ["detail"]
    # Not JSON at all: modern.
    response = client.post("/api/auth/send_code", data=b"account=1" * 1000, content_type="text/plain")
    assert response.status_code == 413
    assert outbox.messages == []


@pytest.mark.parametrize("app_overrides", [{"MAX_CONTENT_LENGTH": 4096}])
def test_oversize_chunked_body_on_shared_send_code_is_told_by_its_start(client, outbox):
    # No Content-Length (chunked, ``wsgi.input_terminated``): the limit is found while reading.
    data = oversize({"account": "13800138000"}, {}, 5000)
    response = client.post("/api/auth/send_code", input_stream=io.BytesIO(data), content_type="application/json",
                           environ_overrides={"wsgi.input_terminated": True})
    platform_10005(response)
    small = json.dumps({"account": "13800138000"}).encode()
    response = client.post("/api/auth/send_code", input_stream=io.BytesIO(small), content_type="application/json",
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 200 and response.get_json() == {"code": 0, "message": "success", "data": {}}
    assert len(outbox.messages) == 1


def test_good_bodies_on_shared_send_code_still_reach_their_dialect(client, outbox):
    assert client.post("/api/auth/send_code", json={"area": "86", "account": "13800138000"}).get_json() == {
        "code": 0, "message": "success", "data": {}}
    body = client.post("/api/auth/send_code", json={"phone": "13900139000"}).get_json()
    assert body["code"] == 200 and body["data"]["expire_in"] == 300
    assert len(outbox.messages) == 2


# --- 12: profile text ---------------------------------------------------------------------------------

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
CONTROLS = ["\x01", "\x07", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"]


@pytest.fixture
def token(platform_api: Any) -> str:
    """An access token of a freshly registered phone user."""
    return platform_api.tokens("13800138000")["access_token"]


def put_info(client: Any, token: str, body: dict[str, Any]) -> Any:
    return client.put("/api/personal/info", json=body, headers={"Authorization": f"Token {token}"})


@pytest.mark.parametrize("char", BIDI + CONTROLS)
@pytest.mark.parametrize("field", ["nickname", "address"])
def test_profile_text_refuses_control_and_bidi_characters(client, token, field, char):
    response = put_info(client, token, {field: f"ann{char}lee", "gender": 1})
    platform_10005(response)
    assert response.get_json()["message"] == f"请求字段不合法: {field}"
    info = client.get("/api/personal/info", headers={"Authorization": f"Token {token}"}).get_json()["data"]
    assert info[field] == "" and info["gender"] == 2  # nothing saved


@pytest.mark.parametrize("char", ["\u202e", "\u2066"])
def test_avatar_refuses_bidi_characters(client, token, char):
    platform_10005(put_info(client, token, {"avatar": f"https://cdn.example.com/{char}a.png"}))


def test_profile_text_keeps_every_script_and_emoji(client, token):
    body = {"nickname": "李雷 Ann 😀 مرحبا", "address": "北京市海淀区 1号 שלום"}
    data = put_info(client, token, body).get_json()["data"]
    assert data["nickname"] == body["nickname"] and data["address"] == body["address"]


@pytest.mark.parametrize("char", ["\u202e", "\u2067", "\x07", "\x1b"])
def test_v4_register_name_refuses_control_and_bidi_characters(app, client, outbox, clock, char):
    v4 = V4Api(app, client, outbox, clock)
    code = v4.code("13700000000", "0")
    body = v4.get("register", phone="13700000000", name=f"ann{char}lee", password="111111",
                  device_identifier="uuid", code=code).get_json()
    assert body == {"code": -1, "data": "", "msg": "参数错误: 姓名"}
    assert v4.user("13700000000") is None
    # A trailing newline is trimmed before the name is stored, so it is not refused.
    assert v4.register("13700000000", name="ann lee\n")["name"] == "ann lee"
