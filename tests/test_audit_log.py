"""The audit log: security events written with what they record, never a secret, read by managers."""
from __future__ import annotations

import json
from typing import Any

import pytest

from helpers.staff import data
from lingo.extensions import db
from lingo.models import AuditEvent

PHONE = "13811112222"
OTHER = "13833334444"
PASSWORD = "audit-Pass-1"


def _rows(app) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.query(AuditEvent).order_by(AuditEvent.id))
        for row in rows:
            db.session.expunge(row)
        return rows


def _events(app) -> list[str]:
    return [row.event for row in _rows(app)]


@pytest.fixture
def manager(staff) -> dict[str, str]:
    return staff.make_manager()


def test_a_code_sign_in_records_the_send_the_code_and_the_sign_in(app, modern):
    response = modern.code_login(PHONE, headers={"X-Request-ID": "a" * 32, "User-Agent": "AuditTest/1"})
    assert response.status_code == 200
    assert _events(app) == ["code.sent", "code.verified", "sign_in.succeeded"]
    signed_in = _rows(app)[-1]
    assert signed_in.details["method"] == "code" and signed_in.details["new_user"] is True
    assert signed_in.user_id is not None and signed_in.dialect == "modern"
    assert signed_in.request_id == "a" * 32 and signed_in.ip == "127.0.0.1"
    sent = _rows(app)[0]
    assert sent.account == "+8613****22" and sent.user_id is None


def test_refusals_are_recorded_even_though_their_requests_roll_back(app, client, modern):
    modern.tokens(PHONE)
    wrong = client.post("/api/auth/phone_code_login", json={"phone": PHONE, "code": "000000"})
    assert wrong.status_code == 400
    unknown = client.post("/api/auth/phone_login", json={"phone": OTHER, "password": PASSWORD})
    assert unknown.get_json()["error"] == "not_registered"
    too_soon = client.post("/api/auth/send_code", json={"phone": PHONE})
    assert too_soon.status_code == 429
    events = _events(app)
    assert "code.failed" in events
    failed = [r for r in _rows(app) if r.event == "sign_in.failed"]
    assert failed and failed[-1].details == {"method": "password", "reason": "not_registered"}
    refused = [r for r in _rows(app) if r.event == "code.refused"]
    assert refused and refused[-1].details["reason"] == "send_too_frequent"


def test_password_reset_sign_out_and_token_reuse_are_recorded(app, client, modern, clock):
    tokens = modern.tokens(PHONE)
    response = client.post("/api/auth/set_password_by_code",
                           json={"phone": PHONE, "code": modern.code(PHONE), "new_password": PASSWORD})
    assert response.status_code == 200
    login = client.post("/api/auth/phone_login", json={"phone": PHONE, "password": PASSWORD}).get_json()["data"]
    first = client.post("/api/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert first.status_code == 200
    clock.advance(30)
    reused = client.post("/api/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert reused.status_code == 401
    second = modern.tokens(PHONE)
    assert modern.logout(second["access_token"]).status_code == 200
    events = _events(app)
    for name in ("password.reset", "token.reuse_detected", "session.revoked"):
        assert name in events, (name, events)
    assert tokens["access_token"]  # the first session was revoked by the reset, silently


def test_admin_disable_and_enable_record_the_manager_as_actor(app, staff, manager):
    staff.user(PHONE)
    user_id = staff.user_id(manager, PHONE)
    for active in (False, True):
        response = staff.admin("PUT", f"/users/{user_id}/active", manager, json={"is_active": active})
        assert response.status_code == 200, response.get_json()
    rows = [r for r in _rows(app) if r.event in ("account.disabled", "account.enabled")]
    assert [r.event for r in rows] == ["account.disabled", "account.enabled"]
    manager_id = staff.user_id(manager, "13900000001")
    assert {r.actor_id for r in rows} == {manager_id} and {r.user_id for r in rows} == {user_id}


def test_no_row_holds_a_password_a_code_or_a_token(app, client, modern, outbox):
    tokens = modern.tokens(PHONE)
    code = modern.code(PHONE)
    client.post("/api/auth/set_password_by_code", json={"phone": PHONE, "code": code, "new_password": PASSWORD})
    client.post("/api/auth/phone_login", json={"phone": PHONE, "password": "not-" + PASSWORD})
    login = client.post("/api/auth/phone_login", json={"phone": PHONE, "password": PASSWORD}).get_json()["data"]
    client.post("/api/auth/refresh", json={"refresh_token": login["refresh_token"]})
    modern.logout(login["access_token"])
    secrets = {PASSWORD, "not-" + PASSWORD, code, tokens["access_token"], tokens["refresh_token"],
               login["access_token"], login["refresh_token"], PHONE, "+86" + PHONE}
    secrets |= {sent_code for _to, sent_code in outbox.messages}
    dumped = json.dumps([{c.name: str(getattr(r, c.name)) for c in AuditEvent.__table__.columns}
                         for r in _rows(app)], ensure_ascii=False)
    assert len(_rows(app)) >= 8
    for secret in secrets:
        assert secret not in dumped, secret


def test_managers_filter_and_page_the_log(app, staff, manager, modern):
    staff.user(PHONE)
    staff.user(OTHER)
    user_id = staff.user_id(manager, PHONE)
    body = data(staff.admin("GET", f"/audit?user_id={user_id}&event=sign_in.succeeded", manager), 200)
    assert body["total"] == 1 and body["data"][0]["user_id"] == user_id
    assert body["data"][0]["event"] == "sign_in.succeeded" and body["data"][0]["at"].endswith("Z")
    everything = data(staff.admin("GET", "/audit?page_size=2", manager), 200)
    assert everything["total"] >= 6 and len(everything["data"]) == 2
    ids = [row["id"] for row in everything["data"]]
    assert ids == sorted(ids, reverse=True)
    later = data(staff.admin("GET", "/audit?since=2999-01-01T00:00:00Z", manager), 200)
    assert later["total"] == 0
    bad = staff.admin("GET", "/audit?event=not.an.event", manager)
    assert bad.status_code == 422


def test_the_log_is_for_managers_only(staff, manager):
    headers = staff.user(PHONE)
    bearer = {"Authorization": headers["Authorization"].replace("Token", "Bearer")}
    assert staff.admin("GET", "/audit", bearer).status_code == 403
    assert staff.admin("GET", "/audit", {}).status_code == 401


def test_flask_audit_export_writes_json_lines_from_since(app, modern):
    modern.tokens(PHONE)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "export", "--since", "2000-01-01"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["event"] for line in lines] == ["code.sent", "code.verified", "sign_in.succeeded"]
    assert all(set(line) >= {"id", "at", "event", "user_id", "account", "ip", "dialect", "details"} for line in lines)
    later = runner.invoke(args=["audit", "export", "--since", "2999-01-01"])
    assert later.exit_code == 0 and later.output == ""


def _count(app: Any, event: str) -> int:
    return sum(1 for row in _rows(app) if row.event == event)


def test_a_platform_sign_in_names_the_platform_dialect(app, platform_api):
    platform_api.register(PHONE)
    rows = [r for r in _rows(app) if r.event in ("code.sent", "sign_in.succeeded")]
    assert [r.event for r in rows] == ["code.sent", "sign_in.succeeded"]
    assert {r.dialect for r in rows} == {"platform"}  # send_code is shared with modern: the body chose
    assert _count(app, "code.verified") == 1


def test_admin_content_actions_record_the_manager(app, staff, manager):
    created = data(staff.admin("POST", "/faqs", manager, json={"title": "t", "content": "c"}), 200)
    data(staff.admin("PUT", f"/faqs/{created['id']}", manager, json={"title": "t2"}), 200)
    data(staff.admin("DELETE", f"/faqs/{created['id']}", manager), 200)
    data(staff.admin("POST", "/pushes", manager, json={"title": "hi", "body": "all"}), 200)
    manager_id = staff.user_id(manager, "13900000001")
    rows = [r for r in _rows(app) if r.event.startswith("admin.")]
    assert [(r.event, r.details.get("action")) for r in rows] == [
        ("admin.content_changed", "create"),
        ("admin.content_changed", "update"),
        ("admin.content_changed", "delete"),
        ("admin.push_sent", None),
    ]
    assert {r.actor_id for r in rows} == {manager_id}
    assert rows[0].details == {"action": "create", "table": "faqs", "id": created["id"]}
