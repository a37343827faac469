"""Helpers for the content and admin tests: managers made through the CLI, users signed in through modern."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

MANAGER_PHONE = "13900000001"
MANAGER_PASSWORD = "manager-Pass-2019"


class Staff:
    """A manager and users, and the admin/platform calls the stories need."""

    def __init__(self, app: Flask, client: FlaskClient, modern: Any) -> None:
        self.app = app
        self.client = client
        self.modern = modern

    def make_manager(self, phone: str = MANAGER_PHONE, password: str = MANAGER_PASSWORD) -> dict[str, str]:
        """Create a manager with ``flask manager create`` and sign in; returns Bearer headers."""
        result = self.app.test_cli_runner().invoke(args=["manager", "create", phone, "--password", password])
        assert result.exit_code == 0, result.output
        response = self.client.post("/api/auth/phone_login", json={"phone": phone, "password": password})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['data']['access_token']}"}

    def user(self, phone: str) -> dict[str, str]:
        """Sign a user in (registering if new); returns platform ``Token`` headers."""
        return {"Authorization": f"Token {self.modern.tokens(phone)['access_token']}"}

    def user_id(self, manager: dict[str, str], phone: str) -> int:
        """A user's id, found by phone through the admin user search."""
        response = self.admin("GET", f"/users?q={phone}", manager)
        (user,) = data(response, 200)["data"]
        return user["id"]

    def admin(self, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
        """Call ``/api/admin<path>``."""
        return self.client.open("/api/admin" + path, method=method, headers=headers, **kw)

    def api(self, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
        """Call a platform path."""
        return self.client.open(path, method=method, headers=headers, **kw)


def data(response: Any, code: int = 0) -> Any:
    """The ``data`` of a platform success (or of a modern one with ``code=200``), checked."""
    body = response.get_json()
    assert body is not None, response.data
    assert body["code"] == code, body
    return body["data"]
