"""Audit: input that used to reach a server fault, on every dialect in the auth scope."""
from __future__ import annotations

import pytest

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
