"""Account deletion (issue 16): request with proof, the grace, cancel, ``flask purge``, the admin API.

Everything goes through HTTP (and the CLI for the purge); the database is read
only to check what was stored or erased.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from helpers.staff import Staff, data
from helpers.v4 import V4Api, unique_ip
from lingo.extensions import db
from lingo.senders.sms import mask
from lingo.models import (
    AuditEvent,
    Enterprise,
    EnterpriseApplication,
    Feedback,
    PasswordResetGrant,
    PushBinding,
    PushHidden,
    PushMessage,
    RateCounter,
    Session,
    SessionToken,
    User,
    VerificationCode,
)

PHONE = "13800138000"
E164 = "+86" + PHONE
PASSWORD = "secret-pass1"  # fits every dialect: modern 8-128, v4 6-14
GRACE = timedelta(days=15)  # ACCOUNT_DELETE_GRACE's default
ITS_LOGIN = "/image-to-sound/api/login"
ITS_REFRESH = "/image-to-sound/api/refresh"
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


@pytest.fixture(autouse=True)
def client_ip(client) -> str:
    """A client address of this test's own: the per-IP limits (password logins) start empty."""
    client.environ_base["REMOTE_ADDR"] = unique_ip()
    return client.environ_base["REMOTE_ADDR"]


@pytest.fixture
def v4(app, client, outbox, clock) -> V4Api:
    return V4Api(app, client, outbox, clock)


# --- helpers ----------------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def iso(value: datetime) -> str:
    return value.strftime(ISO_UTC)


def register_with_password(client, modern, phone: str = PHONE, password: str = PASSWORD) -> None:
    """Register through modern by code, then choose a password (which revokes that first session)."""
    modern.tokens(phone)
    code = modern.code(phone)
    response = client.post("/api/auth/set_password_by_code",
                           json={"phone": phone, "code": code, "new_password": password})
    assert response.status_code == 200, response.get_json()


def modern_login(client, phone: str = PHONE, password: str = PASSWORD) -> Any:
    return client.post("/api/auth/phone_login", json={"phone": phone, "password": password})


def platform_login(client, phone: str = PHONE, password: str = PASSWORD) -> Any:
    return client.post("/api/auth/access_token", json={"area": "86", "account": phone, "password": password})


def its_login(client, modern, phone: str = PHONE) -> Any:
    return client.post(ITS_LOGIN, json={"mobile": phone, "rawCode": modern.code(phone)})


def sign_in_everywhere(client, modern, v4) -> dict[str, dict[str, str]]:
    """The same person signed in through all four dialects: each dialect's access and refresh tokens."""
    modern_data = modern_login(client).get_json()["data"]
    platform_data = platform_login(client).get_json()["data"]
    v4_body = v4.login(PHONE, PASSWORD)
    assert v4_body["code"] == 200, v4_body
    its_data = its_login(client, modern).get_json()["data"]
    return {
        "modern": {"access": modern_data["access_token"], "refresh": modern_data["refresh_token"]},
        "platform": {"access": platform_data["access_token"], "refresh": platform_data["refresh_token"]},
        "v4": {"access": v4_body["data"]["token"]},
        "its": {"access": its_data["accessTokenRes"]["accessToken"],
                "refresh": its_data["refreshTokenRes"]["refreshToken"]},
    }


def request_deletion(client, token: str, **proof: str) -> Any:
    return client.post("/api/auth/account/delete", json=proof, headers=bearer(token))


def cancel(client, modern, phone: str = PHONE, code: str | None = None) -> Any:
    code = code if code is not None else modern.code(phone)
    return client.post("/api/auth/account/delete/cancel", json={"phone": phone, "code": code})


def purge(app) -> str:
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    return result.output


def erased_count(output: str) -> int:
    match = re.search(r"(\d+) accounts erased", output)
    assert match, output
    return int(match.group(1))


def stored_user(app, user_id: int | None = None, e164: str | None = E164) -> User | None:
    with app.app_context():
        query = select(User).where(User.id == user_id) if user_id is not None else select(User).where(User.e164 == e164)
        user = db.session.execute(query).scalar_one_or_none()
        if user is not None:
            db.session.expunge(user)
        return user


def audit_rows(app, event: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if event:
            query = query.where(AuditEvent.event == event)
        rows = list(db.session.execute(query).scalars())
        for row in rows:
            db.session.expunge(row)
        return rows


def shanghai(value: datetime) -> str:
    """A UTC time as the admin API shows it (``TIMEZONE`` Asia/Shanghai, UTC+8)."""
    return (value + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")


def modern_error(response: Any, status: int, key: str) -> None:
    body = response.get_json()
    assert response.status_code == status, body
    assert body["code"] == status and body["data"] is None and body["error"] == key, body


def assert_refused_everywhere(client, modern, v4) -> None:
    """Sign-in refused in every dialect, each in its own rendering of ``account_pending_deletion``."""
    modern_error(modern_login(client), 403, "account_pending_deletion")
    modern_error(modern.code_login(PHONE), 403, "account_pending_deletion")
    platform = platform_login(client)
    assert platform.status_code == 403
    assert platform.get_json()["code"] == 10003, platform.get_json()
    assert v4.login(PHONE, PASSWORD) == {"code": -1, "data": "", "msg": "账号已被禁用"}
    its = its_login(client, modern)
    assert its.status_code == 403
    assert its.get_json() == {"code": 403, "msg": "Account disabled", "identifier": False}


def live_sessions(app, user_id: int) -> int:
    with app.app_context():
        return db.session.execute(
            select(func.count()).select_from(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None))
        ).scalar_one()


# --- the account and the request --------------------------------------------------------------


def test_account_shows_identifiers_and_no_pending_deletion(client, modern, app, clock):
    tokens = modern.tokens(PHONE)
    response = client.get("/api/auth/account", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200
    user = stored_user(app)
    assert response.get_json() == {"code": 200, "msg": "success", "data": {
        "id": user.id, "phone": E164, "email": None, "username": PHONE,
        "created_at": iso(user.created_at), "pending_deletion": None,
    }}
    assert client.get("/api/auth/account").status_code == 401


def test_delete_with_a_code(client, modern, app, clock):
    tokens = modern.tokens(PHONE)
    code = modern.code(PHONE)
    now = clock()
    response = request_deletion(client, tokens["access_token"], code=code)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"code": 200, "msg": "success", "data": {"delete_after": iso(now + GRACE)}}
    user = stored_user(app)
    assert (user.delete_requested_at, user.delete_after, user.deleted_at) == (now, now + GRACE, None)
    assert user.is_active and user.e164 == E164  # nothing erased before the grace ends
    assert client.get("/api/auth/account", headers=bearer(tokens["access_token"])).status_code == 401
    # the code was used up
    modern_error(modern.code_login(PHONE, code), 400, "invalid_code")


def test_delete_with_the_password(client, modern, app, clock):
    register_with_password(client, modern)
    token = modern_login(client).get_json()["data"]["access_token"]
    now = clock()
    response = request_deletion(client, token, password=PASSWORD)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"] == {"delete_after": iso(now + GRACE)}
    assert stored_user(app).delete_after == now + GRACE
    assert client.get("/api/auth/account", headers=bearer(token)).status_code == 401


def test_wrong_proof_is_refused_and_changes_nothing(client, modern, app, clock):
    register_with_password(client, modern)
    token = modern_login(client).get_json()["data"]["access_token"]
    user_id = stored_user(app).id
    modern.code(PHONE)  # a live code the wrong guesses are counted against

    modern_error(request_deletion(client, token, code="000000"), 400, "invalid_code")
    modern_error(request_deletion(client, token, password="not-the-password"), 401, "wrong_password")
    for body in ({}, {"code": "123456", "password": PASSWORD}, {"code": None, "password": None}):
        response = client.post("/api/auth/account/delete", json=body, headers=bearer(token))
        assert response.status_code == 422, response.get_json()
        assert response.get_json()["detail"][0]["loc"] == ["body"]
    modern_error(client.post("/api/auth/account/delete", json={"password": PASSWORD}), 401, "invalid_token")

    user = stored_user(app)
    assert (user.delete_requested_at, user.delete_after, user.deleted_at) == (None, None, None)
    assert live_sessions(app, user_id) == 1
    assert client.get("/api/auth/account", headers=bearer(token)).status_code == 200
    assert audit_rows(app, "account.delete_requested") == []
    # the wrong guess was counted against the code
    with app.app_context():
        attempts = db.session.execute(
            select(VerificationCode.attempts).where(VerificationCode.account == E164, VerificationCode.active)
        ).scalar_one()
    assert attempts == 1


def test_a_code_only_account_cannot_prove_itself_with_a_password(client, modern, app):
    token = modern.tokens(PHONE)["access_token"]
    modern_error(request_deletion(client, token, password=PASSWORD), 400, "password_not_set")
    assert stored_user(app).delete_after is None


@pytest.mark.parametrize("app_overrides", [{"PASSWORD_FAILURES_BEFORE_LOCK": 3}])
def test_the_password_proof_shares_the_accounts_lock_out(client, modern, app):
    register_with_password(client, modern)
    token = modern_login(client).get_json()["data"]["access_token"]
    # two wrong passwords here and one at sign-in: one count, one lock
    for _ in range(2):
        modern_error(request_deletion(client, token, password="wrong-password"), 401, "wrong_password")
    modern_error(modern_login(client, password="wrong-password"), 401, "wrong_password")
    # locked now: the right password is refused before it is looked at, here and at sign-in
    modern_error(request_deletion(client, token, password=PASSWORD), 429, "password_locked")
    modern_error(modern_login(client), 429, "password_locked")
    assert stored_user(app).delete_after is None
    failed = [row for row in audit_rows(app, "sign_in.failed") if row.details.get("purpose") == "account_delete"]
    assert len(failed) == 2
    assert [row.details.get("purpose") for row in audit_rows(app, "sign_in.locked")] == ["account_delete", None]

    # a code still works, and cancelling with a code lifts the lock as a code sign-in does
    assert request_deletion(client, token, code=modern.code(PHONE)).status_code == 200
    assert cancel(client, modern).get_json()["data"] == {"cancelled": True}
    assert modern_login(client).status_code == 200


def test_deletion_revokes_every_dialects_tokens_at_once(client, modern, v4, app):
    register_with_password(client, modern)
    tokens = sign_in_everywhere(client, modern, v4)
    # every token works before
    for dialect in ("modern", "platform", "v4", "its"):
        assert client.get("/api/auth/account", headers=bearer(tokens[dialect]["access"])).status_code == 200
    assert client.get("/api/personal/info", headers={"Authorization": f"Token {tokens['platform']['access']}"}
                      ).status_code == 200
    assert live_sessions(app, stored_user(app).id) == 4

    assert request_deletion(client, tokens["modern"]["access"], password=PASSWORD).status_code == 200

    assert live_sessions(app, stored_user(app).id) == 0
    # modern: its access token and its refresh token
    modern_error(client.get("/api/auth/account", headers=bearer(tokens["modern"]["access"])), 401, "invalid_token")
    modern_error(client.post("/api/auth/refresh", json={"refresh_token": tokens["modern"]["refresh"]}),
                 401, "invalid_token")
    # platform: its Token header on a platform endpoint, and its refresh token
    info = client.get("/api/personal/info", headers={"Authorization": f"Token {tokens['platform']['access']}"})
    assert (info.status_code, info.get_json()["code"]) == (401, 10004)
    refreshed = client.post("/api/auth/refresh_token", json={"refresh_token": tokens["platform"]["refresh"]})
    assert (refreshed.status_code, refreshed.get_json()["code"]) == (401, 10004)
    # v4 has no endpoint that takes its token: it is refused wherever a token is taken
    modern_error(client.get("/api/auth/account", headers={"Authorization": f"Token {tokens['v4']['access']}"}),
                 401, "invalid_token")
    v4_info = client.get("/api/personal/info", headers={"Authorization": f"Token {tokens['v4']['access']}"})
    assert v4_info.status_code == 401
    # image-to-sound: its refresh JWT on its refresh endpoint, its access JWT wherever a token is taken
    its = client.post(ITS_REFRESH, json={"refreshToken": tokens["its"]["refresh"]})
    assert (its.status_code, its.get_json()) == (401, {"code": 401, "msg": "Invalid token", "identifier": False})
    modern_error(client.get("/api/auth/account", headers=bearer(tokens["its"]["access"])), 401, "invalid_token")


def test_sign_in_is_refused_in_every_dialect_during_the_grace(client, modern, v4, app, clock):
    register_with_password(client, modern)
    # every sign-in works before the request (so the refusals below are the deletion's)
    tokens = sign_in_everywhere(client, modern, v4)
    assert request_deletion(client, tokens["modern"]["access"], password=PASSWORD).status_code == 200

    assert_refused_everywhere(client, modern, v4)
    clock.advance(GRACE.total_seconds() - 3600)  # still within the grace
    assert_refused_everywhere(client, modern, v4)
    assert live_sessions(app, stored_user(app).id) == 0


# --- cancelling -------------------------------------------------------------------------------


def test_cancel_restores_sign_in(client, modern, v4, app):
    register_with_password(client, modern)
    old = modern_login(client).get_json()["data"]["access_token"]
    assert request_deletion(client, old, password=PASSWORD).status_code == 200
    assert_refused_everywhere(client, modern, v4)

    response = cancel(client, modern)
    assert response.status_code == 200
    assert response.get_json() == {"code": 200, "msg": "success", "data": {"cancelled": True}}
    user = stored_user(app)
    assert (user.delete_requested_at, user.delete_after, user.deleted_at) == (None, None, None)

    # everyone signs in as before; the tokens revoked by the request stay dead
    assert modern_login(client).status_code == 200
    assert platform_login(client).status_code == 200
    assert v4.login(PHONE, PASSWORD)["code"] == 200
    assert its_login(client, modern).status_code == 200
    assert client.get("/api/auth/account", headers=bearer(old)).status_code == 401
    # and nothing is purged later
    modern.clock.advance(GRACE.total_seconds() + 60)
    assert erased_count(purge(app)) == 0
    assert stored_user(app).e164 == E164

    # cancelling again: nothing pending, nothing changes
    again = cancel(client, modern)
    assert again.status_code == 200
    assert again.get_json()["data"] == {"cancelled": False}
    assert len(audit_rows(app, "account.delete_cancelled")) == 1


def test_cancel_needs_the_right_code_and_does_not_reveal_registration(client, modern, app, clock):
    token = modern.tokens(PHONE)["access_token"]
    assert request_deletion(client, token, code=modern.code(PHONE)).status_code == 200

    modern.code(PHONE)
    modern_error(cancel(client, modern, code="000000"), 400, "invalid_code")
    assert stored_user(app).delete_after is not None

    stranger = "13900139000"  # never registered: a right code still answers invalid_code
    modern_error(cancel(client, modern, phone=stranger), 400, "invalid_code")
    assert stored_user(app, e164="+86" + stranger) is None
    response = client.post("/api/auth/account/delete/cancel", json={"phone": "12"})
    assert response.status_code == 422


# --- purge ------------------------------------------------------------------------------------

#: Every column of ``users``: what the purge writes over it (checked by ``check``) ...
ERASED = {
    "user_id": "fresh 32 hex", "openid": "fresh 40 alnum", "area": "", "phone": "", "e164": None,
    "email": None, "username": "tombstone", "nickname": "", "avatar": "", "gender": 2, "birthday": None,
    "address": "", "role": 0, "is_active": False, "permissions": [], "enterprise_id": None,
    "device_identifier": "", "password_hash": None, "updated_at": "now", "deleted_at": "now",
    "delete_after": None,
}
#: ... and what it keeps (nothing here identifies the person).
KEPT = {"id", "app_id", "created_at", "delete_requested_at"}


def personal_details(app, user_id: int, other_id: int, clock) -> dict[str, Any]:
    """Give the user a value in every personal column and a record in every table that names them."""
    now = clock()
    with app.app_context():
        enterprise = Enterprise(name="Acme", created_at=now)
        db.session.add(enterprise)
        db.session.flush()
        user = db.session.get(User, user_id)
        user.email = "someone@example.com"
        user.nickname, user.avatar, user.gender = "Someone", "https://img.example.com/a.png", 1
        user.birthday, user.address = date(1990, 5, 17), "1 Long Street"
        user.permissions, user.device_identifier = ["inventory"], "device-42"
        user.role = db.session.get(User, other_id).role = 1  # two managers: the user may go
        user.enterprise_id = enterprise.id
        db.session.add(EnterpriseApplication(user_id=user_id, enterprise_id=enterprise.id, state=1,
                                             created_at=now, updated_at=now))
        db.session.add(PushBinding(user_id=user_id, client_id="cid-someone", client_type="ios", switch=True,
                                   app_id="", created_at=now, updated_at=now))
        push = PushMessage(push_title="t", push_body="b", push_scope=0, manager_id=other_id, push_status=1,
                           app_id="", created_at=now, updated_at=now)
        db.session.add(push)
        db.session.flush()
        db.session.add(PushHidden(push_id=push.id, user_id=user_id))
        db.session.add(Feedback(user_id=user_id, feedback_content="it broke", contact_phone=PHONE,
                                app_id="", created_at=now, updated_at=now))
        db.session.add(PasswordResetGrant(user_id=user_id, ip="10.0.0.1", expires_at=now + timedelta(minutes=10),
                                          created_at=now))
        db.session.commit()
        before = {column.key: getattr(user, column.key) for column in User.__table__.columns}
    return before


def test_purge_erases_every_personal_field_after_the_grace(client, modern, app, clock):
    register_with_password(client, modern)
    other_id = (modern.tokens("13900139000"), stored_user(app, e164="+8613900139000").id)[1]
    user_id = stored_user(app).id
    before = personal_details(app, user_id, other_id, clock)
    token = modern_login(client).get_json()["data"]["access_token"]
    modern_error(modern.code_login(PHONE, "000000"), 400, "invalid_code")  # failure counters name the phone
    modern_error(modern_login(client, password="wrong-password"), 401, "wrong_password")  # and the lock-out's
    with app.app_context():
        own_sessions = list(db.session.execute(select(Session.id).where(Session.user_id == user_id)).scalars())
        assert db.session.execute(select(func.count()).select_from(RateCounter)
                                  .where(RateCounter.key.contains(E164))).scalar_one() >= 4
    code = modern.code(PHONE)
    asked = clock()
    assert request_deletion(client, token, code=code).status_code == 200
    modern.code(PHONE)  # a code sent during the grace

    clock.advance(GRACE.total_seconds() - 120)
    assert erased_count(purge(app)) == 0  # not yet
    pending = stored_user(app)
    assert (pending.e164, pending.delete_after) == (E164, asked + GRACE)

    clock.advance(120)
    now = clock()
    output = purge(app)
    assert erased_count(output) == 1
    assert "0 audit events deleted" in output

    tombstone = stored_user(app, user_id=user_id)
    columns = {column.key for column in User.__table__.columns}
    assert columns == set(ERASED) | KEPT, "classify every new column of users as ERASED or KEPT"
    for name, expected in ERASED.items():
        value = getattr(tombstone, name)
        if expected == "fresh 32 hex":
            assert re.fullmatch(r"[0-9a-f]{32}", value) and value != before[name], name
        elif expected == "fresh 40 alnum":
            assert re.fullmatch(r"[A-Za-z0-9]{40}", value) and value != before[name], name
        elif expected == "tombstone":
            assert value == f"deleted:{user_id}", name
        elif expected == "now":
            assert value == now, name
        else:
            assert value == expected, (name, value)
            if name != "delete_after":  # set by the request, checked before the purge
                assert before[name] != expected, f"{name} was not given a value to erase"
    for name in KEPT - {"delete_requested_at"}:
        assert getattr(tombstone, name) == before[name], name
    assert tombstone.delete_requested_at == asked

    with app.app_context():
        def count(model: Any, *where: Any) -> int:
            return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()

        assert count(Session, Session.user_id == user_id) == 0
        assert count(SessionToken, SessionToken.session_id.in_(own_sessions)) == 0
        assert count(Session, Session.user_id == other_id) == 1  # someone else's stays
        assert count(PushBinding, PushBinding.user_id == user_id) == 0
        assert count(PushHidden, PushHidden.user_id == user_id) == 0
        assert count(VerificationCode, VerificationCode.account == E164) == 0
        assert count(VerificationCode, VerificationCode.account == "someone@example.com") == 0
        assert count(PasswordResetGrant, PasswordResetGrant.user_id == user_id) == 0
        assert count(EnterpriseApplication, EnterpriseApplication.user_id == user_id) == 0
        assert count(RateCounter, RateCounter.key.contains(E164)) == 0
        feedback = db.session.execute(select(Feedback).where(Feedback.user_id == user_id)).scalar_one()
        assert feedback.contact_phone == "" and feedback.feedback_content == "it broke"
        assert count(Enterprise) == 1 and count(PushMessage) == 1  # not theirs
    (purged,) = audit_rows(app, "account.purged")
    assert (purged.user_id, purged.account, purged.dialect, purged.details) == (user_id, "", "cli", {})


def test_purge_keeps_everyone_else(client, modern, app, clock):
    modern.tokens("13900139000")
    token = modern.tokens(PHONE)["access_token"]
    assert request_deletion(client, token, code=modern.code(PHONE)).status_code == 200
    clock.advance(GRACE.total_seconds())
    assert erased_count(purge(app)) == 1
    kept = stored_user(app, e164="+8613900139000")
    assert kept.deleted_at is None and kept.is_active
    assert live_sessions(app, kept.id) == 1
    assert modern.tokens("13900139000")["is_new_user"] is False


def test_purge_is_idempotent(client, modern, app, clock):
    for phone in (PHONE, "13900139000", "13700137000"):
        token = modern.tokens(phone)["access_token"]
        assert request_deletion(client, token, code=modern.code(phone)).status_code == 200
    clock.advance(GRACE.total_seconds())
    result = app.test_cli_runner().invoke(args=["purge", "--batch", "2"])  # two batches
    assert result.exit_code == 0, result.output
    assert erased_count(result.output) == 3
    with app.app_context():
        first = [tuple(row) for row in db.session.execute(select(User).order_by(User.id)).scalars().all()
                 for row in [[getattr(row, c.key) for c in User.__table__.columns]]]
    clock.advance(60)
    assert erased_count(purge(app)) == 0
    with app.app_context():
        second = [tuple(row) for row in db.session.execute(select(User).order_by(User.id)).scalars().all()
                  for row in [[getattr(row, c.key) for c in User.__table__.columns]]]
    assert first == second
    assert len(audit_rows(app, "account.purged")) == 3
    bad = app.test_cli_runner().invoke(args=["purge", "--batch", "0"])
    assert bad.exit_code != 0


def test_a_deleted_phone_registers_again_with_a_new_id(client, modern, app, clock):
    token = modern.tokens(PHONE)["access_token"]
    old = stored_user(app)
    assert request_deletion(client, token, code=modern.code(PHONE)).status_code == 200
    clock.advance(GRACE.total_seconds())
    assert erased_count(purge(app)) == 1

    again = modern.tokens(PHONE)
    assert again["is_new_user"] is True
    new = stored_user(app)
    assert new.id != old.id and new.user_id != old.user_id and new.openid != old.openid
    account = client.get("/api/auth/account", headers=bearer(again["access_token"])).get_json()["data"]
    assert (account["id"], account["phone"], account["pending_deletion"]) == (new.id, E164, None)
    # the tombstone cannot cancel or sign in: the phone is someone else's now
    assert stored_user(app, user_id=old.id).deleted_at is not None


def test_audit_retention_runs_with_the_purge(client, modern, app, clock):
    modern.tokens(PHONE)
    assert len(audit_rows(app)) > 0
    clock.advance(timedelta(days=181).total_seconds())
    output = purge(app)
    assert erased_count(output) == 0
    deleted = int(re.search(r"(\d+) audit events deleted", output).group(1))
    assert deleted > 0 and audit_rows(app) == []


@pytest.mark.parametrize("app_overrides", [{"ACCOUNT_DELETE_GRACE": 0}])
def test_a_grace_of_zero_erases_at_once(client, modern, app, clock):
    token = modern.tokens(PHONE)["access_token"]
    user_id = stored_user(app).id
    code = modern.code(PHONE)
    now = clock()
    response = request_deletion(client, token, code=code)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"] == {"delete_after": iso(now)}
    tombstone = stored_user(app, user_id=user_id)
    assert (tombstone.e164, tombstone.username, tombstone.is_active) == (None, f"deleted:{user_id}", False)
    assert (tombstone.deleted_at, tombstone.delete_after) == (now, None)
    assert [row.event for row in audit_rows(app) if row.event.startswith("account.")] == [
        "account.delete_requested", "account.purged"]
    assert erased_count(purge(app)) == 0
    again = modern.tokens(PHONE)
    assert again["is_new_user"] is True and stored_user(app).id != user_id


# --- the admin API ----------------------------------------------------------------------------


def test_admin_deletes_and_lists_pending_deletions(app, client, modern, staff: Staff, clock):
    manager = staff.make_manager()
    user_token = modern.tokens(PHONE)["access_token"]
    user_id = staff.user_id(manager, PHONE)

    empty = data(staff.admin("GET", "/deletions", manager), 200)
    assert (empty["total"], empty["data"]) == (0, [])
    assert staff.admin("POST", f"/users/{user_id}/delete", bearer(user_token)).status_code == 403

    now = clock()
    record = data(staff.admin("POST", f"/users/{user_id}/delete", manager), 200)
    assert record["id"] == user_id and record["phone"] == PHONE
    assert record["delete_after"] == shanghai(now + GRACE)
    assert record["deleted_at"] == "" and record["delete_requested_at"] != ""
    assert stored_user(app).delete_after == now + GRACE
    modern_error(client.get("/api/auth/account", headers=bearer(user_token)), 401, "invalid_token")
    modern_error(modern.code_login(PHONE), 403, "account_pending_deletion")

    (event,) = audit_rows(app, "account.delete_requested")
    manager_id = stored_user(app, e164="+8613900000001").id
    assert (event.user_id, event.actor_id, event.details["method"]) == (user_id, manager_id, "manager")

    # asking again changes nothing
    clock.advance(60)
    again = data(staff.admin("POST", f"/users/{user_id}/delete", manager), 200)
    assert again["delete_after"] == record["delete_after"]
    assert len(audit_rows(app, "account.delete_requested")) == 1

    listing = data(staff.admin("GET", "/deletions?page_no=1&page_size=10", manager), 200)
    assert (listing["total"], listing["pages"], listing["current_page"], listing["page_size"]) == (1, 1, 1, 10)
    assert [row["id"] for row in listing["data"]] == [user_id]
    assert listing["data"][0]["delete_after"] == record["delete_after"]
    bad = staff.admin("GET", "/deletions?page_size=0", manager)
    assert bad.status_code == 422

    # not themselves, not unknown users
    modern_error(staff.admin("POST", f"/users/{manager_id}/delete", manager), 403, "forbidden")
    modern_error(staff.admin("POST", "/users/999999/delete", manager), 404, "not_found")
    modern_error(staff.admin("POST", "/users/abc/delete", manager), 404, "not_found")

    # cancelled: off the list; purged: off the list, and then unknown to the admin delete
    assert cancel(client, modern).get_json()["data"] == {"cancelled": True}
    assert data(staff.admin("GET", "/deletions", manager), 200)["total"] == 0
    assert data(staff.admin("POST", f"/users/{user_id}/delete", manager), 200)["delete_after"] != ""
    clock.advance(GRACE.total_seconds())
    assert erased_count(purge(app)) == 1
    manager = bearer(modern_login(client, "13900000001", "manager-Pass-2019").get_json()["data"]["access_token"])
    assert data(staff.admin("GET", "/deletions", manager), 200)["total"] == 0
    modern_error(staff.admin("POST", f"/users/{user_id}/delete", manager), 404, "not_found")


def test_the_last_manager_cannot_delete_their_account(app, client, modern, staff: Staff):
    manager = staff.make_manager()
    token = manager["Authorization"].split()[1]
    modern_error(request_deletion(client, token, password="manager-Pass-2019"), 403, "forbidden")
    assert stored_user(app, e164="+8613900000001").delete_after is None
    # with a second manager, the first may go
    second = staff.make_manager("13900000002")
    assert request_deletion(client, token, password="manager-Pass-2019").status_code == 200
    # and the second, now the last one able to sign in, may not
    second_token = second["Authorization"].split()[1]
    modern_error(request_deletion(client, second_token, password="manager-Pass-2019"), 403, "forbidden")


# --- the audit log ----------------------------------------------------------------------------


def test_audit_rows_for_request_cancel_and_purge_hold_no_secrets(client, modern, app, clock):
    register_with_password(client, modern)
    login = modern_login(client).get_json()["data"]
    code = modern.code(PHONE)
    assert request_deletion(client, login["access_token"], code=code).status_code == 200
    cancel_code = modern.code(PHONE)
    assert cancel(client, modern, code=cancel_code).status_code == 200
    second = modern_login(client).get_json()["data"]
    assert request_deletion(client, second["access_token"], password=PASSWORD).status_code == 200
    clock.advance(GRACE.total_seconds())
    assert erased_count(purge(app)) == 1

    rows = [row for row in audit_rows(app) if row.event.startswith("account.")]
    assert [row.event for row in rows] == [
        "account.delete_requested", "account.delete_cancelled", "account.delete_requested", "account.purged"]
    requested, cancelled, requested_again, purged = rows
    assert requested.details["method"] == "code" and requested_again.details["method"] == "password"
    assert requested.dialect == cancelled.dialect == "modern" and purged.dialect == "cli"
    assert requested.account == cancelled.account == mask(E164) != E164
    secrets = [PHONE, E164, code, cancel_code, PASSWORD, login["access_token"], login["refresh_token"],
               second["access_token"], second["refresh_token"]]
    for row in audit_rows(app):
        text = json.dumps([row.event, row.account, row.details, row.ip, row.request_id], ensure_ascii=False)
        for secret in secrets:
            assert secret not in text, (row.event, secret)


def test_a_session_that_raced_the_deletion_is_dead_too(client, modern, app, clock):
    """A sign-in that loaded the user just before the deletion committed may still
    write its session; the token checks refuse users with a pending deletion."""
    tokens = modern.tokens(PHONE)
    with app.app_context():
        db.session.execute(
            User.__table__.update()
            .where(User.__table__.c.e164 == E164)
            .values(delete_requested_at=datetime(2026, 1, 5), delete_after=datetime(2026, 1, 20))
        )
        db.session.commit()
    response = client.get("/api/auth/sessions", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_token"
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401 and refreshed.get_json()["error"] == "invalid_token"
