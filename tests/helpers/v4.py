"""Helpers for tests of the legacy v4 and image-to-sound dialects."""
from __future__ import annotations

import re
import secrets
import uuid
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from lingo.extensions import db
from lingo.models import User

HEX32 = re.compile(r"^[0-9a-f]{32}$")
V4 = "/api/v4.0"


def unique_ip() -> str:
    """A random address in 10.0.0.0/8."""
    return "10." + ".".join(str(b) for b in secrets.token_bytes(3))


class V4Api:
    """v4 actions: send codes, register and sign in, the way the old app does (GET URLs)."""

    def __init__(self, app: Flask, client: FlaskClient, outbox: Any, clock: Any) -> None:
        self.app = app
        self.client = client
        self.outbox = outbox
        self.clock = clock

    def get(self, path: str, **params: str) -> Any:
        """GET ``/api/v4.0/<path>?<params>``; asserts the v4 rule that every answer is HTTP 200 JSON."""
        url = f"{V4}/{path}" + (f"?{urlencode(params)}" if params else "")
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.data[:200])
        return response

    def code(self, phone: str, expect: str) -> str:
        """``sendsms`` and the code from the outbox (moves the clock past the resend gap first)."""
        self.clock.advance(61)
        body = self.get(f"sendsms/{phone}", expect=expect).get_json()
        assert body == {"code": "200", "msg": "发送成功"}, body
        code = self.outbox.last_code("+86" + phone)
        assert code is not None
        return code

    def register(self, phone: str, password: str = "111111", name: str = "asdasd",
                 device: str = "uuid") -> dict[str, Any]:
        """Register through v4 and return the response ``data``."""
        code = self.code(phone, "0")
        body = self.get("register", phone=phone, name=name, password=password,
                        device_identifier=device, code=code).get_json()
        assert body["code"] == 200, body
        return body["data"]

    def login(self, phone: str, password: str = "111111", device: str = "uuid") -> Any:
        """``login`` by GET; returns the JSON body."""
        return self.get("login", phone=phone, password=password, device_identifier=device).get_json()

    def grant(self, phone: str, ip: str | None = None) -> None:
        """``sendsms?expect=1`` then ``verify_code`` from ``ip`` (default: the client's address)."""
        code = self.code(phone, "1")
        response = self.client.get(f"{V4}/verify_code?phone={phone}&code={code}",
                                   environ_base={"REMOTE_ADDR": ip} if ip else {})
        assert response.get_json() == {"code": 200, "data": "", "msg": "验证码正确"}

    def user(self, phone: str) -> User | None:
        """The stored user with a mainland ``phone``."""
        with self.app.app_context():
            user = db.session.execute(select(User).where(User.e164 == "+86" + phone)).scalar_one_or_none()
            if user is not None:
                db.session.expunge(user)
            return user


def insert_user(app: Flask, phone: str) -> None:
    """Write a user for a mainland ``phone`` straight into the table (no code, no password)."""
    with app.app_context():
        now = app.extensions["lingo.clock"]()
        db.session.add(User(
            user_id=uuid.uuid4().hex, openid=uuid.uuid4().hex + "abcdefgh", area="86", phone=phone,
            e164="+86" + phone, username=phone, permissions=[], created_at=now, updated_at=now,
        ))
        db.session.commit()


def snapshot(app: Flask, *, counters: bool = True) -> dict[str, Any]:
    """Row counts of every table plus every user's mutable fields: "nothing changed" checks.

    :param counters: include the rate counters (leave them out where a refused
        request is meant to count against a limit).
    """
    with app.app_context():
        counts = {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in db.metadata.sorted_tables if counters or t.name != "rate_counters"}
        users = db.session.execute(
            select(User.id, User.password_hash, User.device_identifier, User.nickname, User.updated_at)
        ).all()
        codes = db.session.execute(db.text(
            "SELECT id, attempts, active, used_at FROM verification_codes ORDER BY id")).all()
        grants = db.session.execute(db.text("SELECT id, used_at FROM password_reset_grants ORDER BY id")).all()
        sessions = db.session.execute(db.text("SELECT id, revoked_at FROM sessions ORDER BY id")).all()
        return {"counts": counts, "users": [tuple(u) for u in users], "codes": [tuple(c) for c in codes],
                "grants": [tuple(g) for g in grants], "sessions": [tuple(s) for s in sessions]}
