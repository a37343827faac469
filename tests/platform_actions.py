"""Platform-dialect test actions and fixtures (like ``ModernApi`` in conftest).

Test modules import the fixtures: ``from platform_actions import email_outbox, platform_api``.
"""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lingo.services.identity import area_phone


@pytest.fixture
def email_outbox(app: Flask) -> Any:
    """The in-memory email outbox (``MAIL_BACKEND = "outbox"`` in Testing)."""
    return app.extensions["lingo.email"]


class PlatformApi:
    """Platform-dialect actions: codes, registration and tokens for a phone or an email."""

    def __init__(self, client: FlaskClient, outbox: Any, email_outbox: Any) -> None:
        self.client = client
        self.outbox = outbox
        self.email_outbox = email_outbox

    def send_code(self, account: str, area: str | None = None, **kw: Any) -> Any:
        body = {"account": account} if area is None else {"area": area, "account": account}
        return self.client.post("/api/auth/send_code", json=body, **kw)

    def code(self, account: str, area: str = "86") -> str:
        """Send a code to a phone (national digits) or an email and return it."""
        response = self.send_code(account, area)
        assert response.status_code == 200, response.get_json()
        if "@" in account:
            return self.email_outbox.last_code(account.lower())
        return self.outbox.last_code(area_phone(area, account).key)

    def register(self, account: str, password: str = "secret-pass-1", code: str | None = None, **kw: Any) -> Any:
        code = code if code is not None else self.code(account)
        body = {"account": account, "code": code, "password": password}
        return self.client.post("/api/auth/register", json=body, **kw)

    def tokens(self, account: str, password: str = "secret-pass-1") -> dict[str, Any]:
        """Register ``account`` and return the token data."""
        response = self.register(account, password)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["data"]

    def info(self, access_token: str, scheme: str = "Token") -> Any:
        return self.client.get("/api/personal/info", headers={"Authorization": f"{scheme} {access_token}"})


@pytest.fixture
def platform_api(client: FlaskClient, outbox: Any, email_outbox: Any) -> PlatformApi:
    """Platform-dialect helper actions."""
    return PlatformApi(client, outbox, email_outbox)
