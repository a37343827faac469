"""Platform-dialect test actions (like :class:`helpers.modern.ModernApi`).

The ``platform_api`` and ``email_outbox`` fixtures (in ``conftest.py``) build on them.
"""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from lingo.services.identity import area_phone


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
