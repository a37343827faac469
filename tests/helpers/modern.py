"""Modern-dialect test actions (``/api/auth``): send a code, sign in, log out."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from helpers.clock import FakeClock


class ModernApi:
    """Modern-dialect actions used by many tests (like flaskr's ``AuthActions``)."""

    def __init__(self, client: FlaskClient, outbox: Any, clock: FakeClock) -> None:
        self.client = client
        self.outbox = outbox
        self.clock = clock

    def send_code(self, phone: str, **kw: Any) -> Any:
        return self.client.post("/api/auth/send_code", json={"phone": phone}, **kw)

    def code(self, phone: str) -> str:
        """Send a code (after waiting out the resend gap) and return it from the outbox."""
        self.clock.advance(61)
        response = self.send_code(phone)
        assert response.status_code == 200, response.get_json()
        key = phone if phone.startswith("+") else "+86" + phone
        return self.outbox.last_code(key)

    def code_login(self, phone: str, code: str | None = None, **kw: Any) -> Any:
        code = code if code is not None else self.code(phone)
        return self.client.post("/api/auth/phone_code_login", json={"phone": phone, "code": code}, **kw)

    def tokens(self, phone: str) -> dict[str, Any]:
        """Sign in by code (registering if new) and return the token data."""
        response = self.code_login(phone)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["data"]

    def logout(self, access_token: str, scheme: str = "Bearer") -> Any:
        return self.client.post("/api/auth/logout", headers={"Authorization": f"{scheme} {access_token}"})
