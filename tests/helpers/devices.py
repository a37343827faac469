"""One person signed in through every dialect, and their device list (modern ``/api/auth/sessions``)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from helpers.staff import data

PASSWORD = "secret-pass1"  # 8-14 characters: good for the platform and for v4
SESSIONS = "/api/auth/sessions"
#: A User-Agent longer than the 255 characters a session keeps.
LONG_AGENT = "Mozilla/5.0 (Linux; Android 14) " + "".join(chr(ord("a") + n % 26) for n in range(300))


def iso(value: datetime) -> str:
    """How the modern API writes a time."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def from_(ip: str, agent: str) -> dict[str, Any]:
    """Request keywords for a client at ``ip`` sending ``User-Agent: agent``."""
    return {"headers": {"User-Agent": agent}, "environ_base": {"REMOTE_ADDR": ip}}


def listed(client: FlaskClient, token: str) -> list[dict[str, Any]]:
    """The device list of ``token``'s user, asked with ``token``."""
    return data(client.get(SESSIONS, headers=bearer(token)), 200)["sessions"]


def own_id(client: FlaskClient, token: str) -> int:
    """The id of the session ``token`` belongs to (the ``current`` one of its list)."""
    (current,) = [device for device in listed(client, token) if device["current"]]
    return current["id"]


def works(client: FlaskClient, token: str) -> bool:
    """Whether ``token`` is a live access token (a platform read, any dialect's token)."""
    status = client.get("/api/personal/info", headers={"Authorization": f"Token {token}"}).status_code
    assert status in (200, 401), status
    return status == 200


class Person:
    """One person's sign-ins through every dialect (``PASSWORD`` works in all of them)."""

    def __init__(self, client: FlaskClient, modern: Any, platform_api: Any, clock: Any, phone: str) -> None:
        self.client, self.modern, self.platform_api, self.clock, self.phone = client, modern, platform_api, clock, phone
        self.clock.advance(61)  # past any earlier code for this phone
        response = platform_api.register(phone, PASSWORD)
        assert response.status_code == 200, response.get_json()
        #: The platform registration's tokens.
        self.platform = {"access": response.get_json()["data"]["access_token"],
                         "refresh": response.get_json()["data"]["refresh_token"]}

    def platform_login(self, ip: str = "127.0.0.1", agent: str = "") -> dict[str, str]:
        response = self.client.post("/api/auth/access_token", json={"account": self.phone, "password": PASSWORD},
                                    **from_(ip, agent))
        body = response.get_json()
        assert body["code"] == 0, body
        return {"access": body["data"]["access_token"], "refresh": body["data"]["refresh_token"]}

    def modern_login(self, ip: str = "127.0.0.1", agent: str = "") -> dict[str, str]:
        response = self.client.post("/api/auth/phone_login", json={"phone": self.phone, "password": PASSWORD},
                                    **from_(ip, agent))
        body = data(response, 200)
        return {"access": body["access_token"], "refresh": body["refresh_token"]}

    def v4_login(self, ip: str, agent: str) -> dict[str, str]:
        response = self.client.get(f"/api/v4.0/login?phone={self.phone}&password={PASSWORD}&device_identifier=d1",
                                   **from_(ip, agent))
        body = response.get_json()
        assert body["code"] == 200, body
        return {"access": body["data"]["token"]}

    def its_login(self, ip: str, agent: str) -> dict[str, str]:
        code = self.modern.code(self.phone)
        response = self.client.post("/image-to-sound/api/login", json={"mobile": self.phone, "rawCode": code},
                                    **from_(ip, agent))
        body = response.get_json()
        assert body["code"] == 200, body
        return {"access": body["data"]["accessTokenRes"]["accessToken"],
                "refresh": body["data"]["refreshTokenRes"]["refreshToken"]}


def everywhere(person: Person, clock: Any) -> dict[str, dict[str, str]]:
    """A second sign-in through each of platform, v4, image-to-sound and modern, a minute apart.

    Returns the tokens by dialect and the sign-in times under ``"at"``.
    """
    tokens: dict[str, dict[str, str]] = {}
    at: dict[str, str] = {}
    clock.advance(60)
    at["platform"] = iso(clock())
    tokens["platform"] = person.platform_login("10.0.0.1", "PlatformApp/2.3 (iPhone; iOS 17.2)")
    clock.advance(60)
    at["v4"] = iso(clock())
    tokens["v4"] = person.v4_login("10.0.0.2", "okhttp/3.12.1")
    at["its"] = iso(clock() + timedelta(seconds=61))  # its_login waits out the code gap first
    tokens["its"] = person.its_login("2001:db8::7", "ImageToSound/1.0 Dalvik/2.1.0")
    clock.advance(60)
    at["modern"] = iso(clock())
    tokens["modern"] = person.modern_login("10.0.0.4", LONG_AGENT)
    tokens["at"] = at
    return tokens
