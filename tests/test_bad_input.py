"""Malformed input to every modern endpoint: a 4xx JSON answer, never a 500, HTML or traceback.

Also deeply nested JSON, on every dialect in the auth scope.
"""
from __future__ import annotations

import json

import pytest

from lingo.extensions import db
from lingo.models import Session, User, VerificationCode

ENDPOINTS = [
    "/api/auth/send_code",
    "/api/auth/phone_login",
    "/api/auth/phone_code_login",
    "/api/auth/set_password_by_code",
    "/api/auth/refresh",
]

RAW_BODIES = [
    b"{",
    b"not json",
    b"[]",
    b'"a string"',
    b"123",
    b"null",
    b"[" * 5000 + b"]" * 5000,
    b'{"phone": "\\ud800"}',
    b"\xff\xfe\xfa",
    b'{"phone": "13800138000\\u0000"}',
]

FIELD_VALUES = [
    None,
    123,
    13800138000,
    True,
    [],
    {},
    "",
    "1380013800",
    "23800138000",
    "+86 138 0013 8000",
    "' OR 1=1 --",
    "13800138000'; DROP TABLE users; --",
    "١٣٨٠٠١٣٨٠٠٠",  # Arabic-Indic digits
    "13٨٠٠١٣٨٠٠٠",  # mixed: \d must not match non-ASCII digits
    "+86١٣٨٠٠١٣٨٠٠٠",
    "😀" * 20,
    "x" * 5000,
]


def assert_clean_client_error(response, expected=(400, 404, 413, 422)):
    assert response.status_code in expected, (response.status_code, response.data[:200])
    assert response.mimetype == "application/json"
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "<html" not in text.lower()
    return response.get_json()


def nothing_written(app):
    with app.app_context():
        return (
            db.session.query(User).count() == 0
            and db.session.query(Session).count() == 0
            and db.session.query(VerificationCode).count() == 0
        )


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("raw", RAW_BODIES)
def test_malformed_bodies(app, client, path, raw):
    response = client.post(path, data=raw, content_type="application/json")
    body = assert_clean_client_error(response)
    assert "detail" in body
    assert nothing_written(app)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_missing_fields_are_listed_fastapi_style(client, path):
    response = client.post(path, json={})
    body = assert_clean_client_error(response, (422,))
    assert body["detail"]
    for item in body["detail"]:
        assert set(item) == {"loc", "msg", "type"}
        assert item["loc"][0] == "body" and item["type"] == "missing" and item["msg"] == "Field required"


def test_missing_phone_is_exactly_fastapi_shape(client):
    response = client.post("/api/auth/send_code", json={})
    assert response.status_code == 422
    assert response.get_json() == {"detail": [{"loc": ["body", "phone"], "msg": "Field required", "type": "missing"}]}


@pytest.mark.parametrize("value", FIELD_VALUES)
@pytest.mark.parametrize(
    "path,body",
    [
        ("/api/auth/send_code", {}),
        ("/api/auth/phone_login", {"password": "s3cret-pass"}),
        ("/api/auth/phone_code_login", {"code": "123456"}),
        ("/api/auth/set_password_by_code", {"code": "123456", "new_password": "s3cret-pass"}),
    ],
)
def test_bad_phone_values(app, client, path, body, value):
    response = client.post(path, json={**body, "phone": value})
    detail = assert_clean_client_error(response, (422,))["detail"]
    assert detail[0]["loc"] == ["body", "phone"]
    assert nothing_written(app)


def test_wrong_type_is_reported_as_string_type(client):
    response = client.post("/api/auth/send_code", json={"phone": 13800138000})
    assert response.get_json()["detail"] == [
        {"loc": ["body", "phone"], "msg": "Input should be a valid string", "type": "string_type"}
    ]


@pytest.mark.parametrize("value", [None, 123456, ["123456"], {"a": 1}, True])
def test_bad_code_types(client, value):
    response = client.post("/api/auth/phone_code_login", json={"phone": "13800138000", "code": value})
    assert assert_clean_client_error(response, (422,))["detail"][0]["loc"] == ["body", "code"]


@pytest.mark.parametrize("value", ["' OR 1=1 --", "😀" * 6, "x" * 64, "", "１２３４５６"])
def test_odd_code_strings_are_just_wrong_codes(app, modern, client, value):
    modern.code("13800138000")
    response = client.post("/api/auth/phone_code_login", json={"phone": "13800138000", "code": value})
    assert assert_clean_client_error(response, (400,))["error"] == "invalid_code"
    with app.app_context():
        assert db.session.query(User).count() == 0


@pytest.mark.parametrize("path", ENDPOINTS)
def test_body_over_64k_is_413(app, client, path):
    big = json.dumps({"phone": "13800138000", "pad": "x" * (70 * 1024)})
    response = client.post(path, data=big, content_type="application/json")
    assert response.status_code == 413
    assert_clean_client_error(response, (413,))
    assert nothing_written(app)


def test_unknown_fields_are_ignored(modern, outbox):
    response = modern.client.post("/api/auth/send_code", json={"phone": "13800138000", "extra": [1, 2]})
    assert response.status_code == 200 and len(outbox.messages) == 1


@pytest.mark.parametrize("path", ["/api/auth/nope", "/nothing", "/api/auth/send_code/extra", "/api/admin/x"])
def test_unknown_paths_are_json_404(client, path):
    response = client.get(path)
    body = assert_clean_client_error(response, (404,))
    assert body == {"code": 404, "msg": "访问的路径不存在", "data": None, "error": "no_such_path"}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ENDPOINTS + ["/api/auth/logout"])
def test_wrong_methods_are_json_405(client, method, path):
    response = client.open(path, method=method)
    body = assert_clean_client_error(response, (405,))
    assert body["error"] == "method_not_allowed" and body["code"] == 405
    assert "POST" in response.headers["Allow"]


def test_form_encoded_body_is_a_client_error(app, client):
    response = client.post("/api/auth/send_code", data={"phone": "13800138000"})
    assert_clean_client_error(response, (422,))
    assert nothing_written(app)


# --- deeply nested JSON, on every dialect in the auth scope ------------------------------------

#: A JSON object whose field nests a few hundred lists deep: valid JSON that
#: the decoder accepts, which used to overflow the recursive text check.
DEEP = '{"phone": ' + "[" * 400 + "]" * 400 + "}"


@pytest.mark.parametrize(
    "path", ["/api/auth/send_code", "/api/auth/phone_login", "/image-to-sound/api/login"]
)
def test_deeply_nested_json_is_a_client_error(client, path):
    response = client.post(path, data=DEEP, content_type="application/json")
    assert response.status_code in (400, 422), (response.status_code, response.get_data(as_text=True)[:200])
    assert response.mimetype == "application/json"


def test_deeply_nested_json_is_a_v4_parameter_error(client):
    response = client.post("/api/v4.0/login", data=DEEP, content_type="application/json")
    assert response.status_code == 200
    body = response.get_json()
    assert body["code"] == -1 and body["msg"].startswith("参数错误"), body
