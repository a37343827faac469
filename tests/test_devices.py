"""Signed-in devices (issue 16): the caller's live sessions, signing them out, the admin view.

Everything goes through HTTP: one person signs in through all four dialects
and sees, revokes and outlives those sessions through the modern API; managers
do the same for anyone through the admin API.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from helpers.devices import bearer, everywhere, iso, listed, LONG_AGENT, own_id, Person, SESSIONS, works
from helpers.staff import MANAGER_PHONE, data
from lingo.extensions import db
from lingo.models import AuditEvent, Session

PHONE = "13800000021"
OTHER = "13800000022"


def shanghai(value: datetime) -> str:
    """How the admin API writes a time: ``TIMEZONE`` (Asia/Shanghai, UTC+8) to the second."""
    return (value + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")


def revoked_events(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent).where(AuditEvent.event == "session.revoked").order_by(AuditEvent.id)
        ).scalars().all()
        db.session.expunge_all()
        return list(events)


def stored_session(app: Flask, session_id: int) -> Session:
    with app.app_context():
        row = db.session.get(Session, session_id)
        assert row is not None
        db.session.expunge(row)
        return row


@pytest.fixture
def person(client, modern, platform_api, clock) -> Person:
    return Person(client, modern, platform_api, clock, PHONE)



# --- the owner's list -------------------------------------------------------------------------


def test_list_shows_the_sessions_of_every_dialect(app, client, person, clock):
    signed = everywhere(person, clock)
    devices = listed(client, signed["modern"]["access"])

    assert [d["client"] for d in devices] == ["modern", "its", "v4", "platform", "platform"]  # newest first
    assert [list(d) for d in devices] == [
        ["id", "client", "ip", "user_agent", "created_at", "last_used_at", "current"]] * 5
    modern, its, v4, platform, registration = devices
    assert modern == {"id": modern["id"], "client": "modern", "ip": "10.0.0.4", "user_agent": LONG_AGENT[:255],
                      "created_at": signed["at"]["modern"], "last_used_at": iso(clock()), "current": True}
    assert len(modern["user_agent"]) == 255
    assert its == {"id": its["id"], "client": "its", "ip": "2001:db8::7",
                   "user_agent": "ImageToSound/1.0 Dalvik/2.1.0", "created_at": signed["at"]["its"],
                   "last_used_at": None, "current": False}
    assert v4 == {"id": v4["id"], "client": "v4", "ip": "10.0.0.2", "user_agent": "okhttp/3.12.1",
                  "created_at": signed["at"]["v4"], "last_used_at": None, "current": False}
    assert platform == {"id": platform["id"], "client": "platform", "ip": "10.0.0.1",
                        "user_agent": "PlatformApp/2.3 (iPhone; iOS 17.2)", "created_at": signed["at"]["platform"],
                        "last_used_at": None, "current": False}
    assert registration["created_at"] == iso(stored_session(app, registration["id"]).created_at)
    assert registration["user_agent"].startswith("Werkzeug/")  # the test client's own
    assert registration["last_used_at"] is None
    assert len({d["id"] for d in devices}) == 5

    # Each token sees the same list with its own session as the current one.
    for dialect, device in (("its", its), ("v4", v4), ("platform", platform)):
        assert own_id(client, signed[dialect]["access"]) == device["id"]
    assert [d["id"] for d in listed(client, signed["platform"]["access"])] == [d["id"] for d in devices]


def test_list_leaves_out_revoked_and_expired_sessions_and_needs_a_token(app, client, person, clock):
    kept = person.modern_login()
    logged_out = person.modern_login()
    logged_out_id = own_id(client, logged_out["access"])
    assert client.post("/api/auth/logout", headers=bearer(logged_out["access"])).status_code == 200
    ids = [d["id"] for d in listed(client, kept["access"])]
    assert len(ids) == 2 and logged_out_id not in ids  # the registration and ``kept``
    # A session lives as long as its refresh token (30 days for both), past its access token.
    clock.advance(29 * 86400)
    fresh = person.modern_login()
    assert client.get(SESSIONS, headers=bearer(kept["access"])).status_code == 401  # access: 2 h
    fresh_id, *older = [d["id"] for d in listed(client, fresh["access"])]
    assert older == ids
    clock.advance(86400 + 1)  # now the first two are past their 30 days
    newest = person.modern_login()
    assert [(d["id"], d["current"]) for d in listed(client, newest["access"])][1:] == [(fresh_id, False)]

    for method, path in (("GET", SESSIONS), ("DELETE", f"{SESSIONS}/1"), ("POST", f"{SESSIONS}/revoke_others")):
        response = client.open(path, method=method)
        assert response.status_code == 401, path
        assert response.get_json() == {"code": 401, "msg": response.get_json()["msg"], "data": None,
                                       "error": "invalid_token"}


def test_list_is_bounded_to_the_newest_100(app, client, person, clock):
    registration = own_id(client, person.platform["access"])
    user_id = stored_session(app, registration).user_id
    with app.app_context():  # 104 more sign-ins, written directly: argon2 a hundred times is slow
        for n in range(104):
            db.session.add(Session(user_id=user_id, client="platform", ip="10.9.0.1", user_agent=f"agent {n}",
                                   created_at=clock(), expires_at=clock() + timedelta(days=30)))
        db.session.commit()
    tokens = person.modern_login()
    devices = listed(client, tokens["access"])
    assert len(devices) == 100
    assert devices[0]["current"] and devices[0]["client"] == "modern"
    assert [d["id"] for d in devices] == sorted((d["id"] for d in devices), reverse=True)
    assert devices[-1]["user_agent"] == "agent 5"  # the registration and "agent 0" … "agent 4" are left out
    assert registration not in [d["id"] for d in devices]


# --- signing out ------------------------------------------------------------------------------


def test_a_session_signed_out_from_the_list_fails_at_once_in_every_dialect(app, client, person, clock):
    signed = everywhere(person, clock)
    caller = signed["modern"]["access"]
    control = person.modern_login()  # stays signed in throughout
    ids = {dialect: own_id(client, signed[dialect]["access"]) for dialect in ("platform", "v4", "its", "modern")}
    refresh_paths = {
        "platform": ("/api/auth/refresh_token", "refresh_token"),
        "its": ("/image-to-sound/api/refresh", "refreshToken"),
        "modern": ("/api/auth/refresh", "refresh_token"),
    }

    for dialect in ("platform", "v4", "its", "modern"):  # the caller's own session last
        access = signed[dialect]["access"]
        assert works(client, access), dialect
        response = client.delete(f"{SESSIONS}/{ids[dialect]}", headers=bearer(caller))
        assert response.status_code == 200 and data(response, 200) == {}, dialect
        # The access token is dead for every dialect's endpoints that take a user.
        assert not works(client, access), dialect
        assert client.get(SESSIONS, headers=bearer(access)).status_code == 401, dialect
        assert client.post("/api/auth/logout", headers=bearer(access)).status_code == 401, dialect
        assert client.get("/api/admin/faqs", headers=bearer(access)).status_code == 401, dialect
        # So is its refresh token (v4 hands out none).
        if dialect in refresh_paths:
            path, field = refresh_paths[dialect]
            response = client.post(path, json={field: signed[dialect]["refresh"]})
            assert response.status_code == 401, (dialect, response.get_json())
        assert ids[dialect] not in [d["id"] for d in listed(client, control["access"])], dialect

    # The control session was never touched: its tokens still work, refresh included.
    assert works(client, control["access"])
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": control["refresh"]})
    assert refreshed.status_code == 200, refreshed.get_json()
    user_id = stored_session(app, ids["modern"]).user_id
    events = revoked_events(app)
    assert [(e.user_id, e.actor_id, e.details) for e in events] == [
        (user_id, None, {"session_id": ids[dialect], "reason": "signed_out_by_owner"})
        for dialect in ("platform", "v4", "its", "modern")
    ]
    assert all(e.dialect == "modern" for e in events)


def test_revoke_others_leaves_only_the_current_session(app, client, person, clock):
    signed = everywhere(person, clock)  # with the registration: five sessions
    other_modern = person.modern_login()
    caller = signed["v4"]["access"]  # any dialect's token may ask
    current = own_id(client, caller)

    response = client.post(f"{SESSIONS}/revoke_others", headers=bearer(caller))
    assert data(response, 200) == {"count": 5}
    devices = listed(client, caller)
    assert [(d["id"], d["current"]) for d in devices] == [(current, True)]
    for tokens in (signed["platform"], signed["its"], signed["modern"], other_modern, person.platform):
        assert not works(client, tokens["access"])
    assert works(client, caller)
    user_id = stored_session(app, current).user_id
    (event,) = revoked_events(app)
    assert (event.user_id, event.actor_id) == (user_id, None)
    assert event.details == {"count": 5, "reason": "revoke_others", "kept_session_id": current}

    # Nothing left to sign out: count 0 and nothing recorded.
    assert data(client.post(f"{SESSIONS}/revoke_others", headers=bearer(caller)), 200) == {"count": 0}
    assert len(revoked_events(app)) == 1


def test_someone_elses_session_is_not_found_and_stays_signed_in(app, client, modern, platform_api, clock, person):
    other = Person(client, modern, platform_api, clock, OTHER)
    mine = person.modern_login()
    theirs = other.modern_login()
    their_id = own_id(client, theirs["access"])
    their_list = listed(client, theirs["access"])

    for target in (str(their_id), "999999", "0", "abc", "-1", "1.5"):
        response = client.delete(f"{SESSIONS}/{target}", headers=bearer(mine["access"]))
        assert response.status_code == 404, target
        assert response.get_json() == {"code": 404, "msg": response.get_json()["msg"], "data": None,
                                       "error": "not_found"}, target
    assert works(client, theirs["access"])
    assert [d["id"] for d in listed(client, theirs["access"])] == [d["id"] for d in their_list]
    assert stored_session(app, their_id).revoked_at is None
    assert revoked_events(app) == []

    # revoke_others signs out only the caller's own sessions.
    assert data(client.post(f"{SESSIONS}/revoke_others", headers=bearer(mine["access"])), 200) == {"count": 1}
    assert works(client, theirs["access"]) and works(client, other.platform["access"])

    # A session already signed out is not found either.
    my_id = own_id(client, mine["access"])
    registration = [d["id"] for d in listed(client, other.platform["access"]) if d["id"] != their_id][0]
    assert client.delete(f"{SESSIONS}/{registration}", headers=bearer(theirs["access"])).status_code == 200
    again = client.delete(f"{SESSIONS}/{registration}", headers=bearer(theirs["access"]))
    assert again.status_code == 404 and again.get_json()["error"] == "not_found"
    assert works(client, mine["access"]) and own_id(client, mine["access"]) == my_id


def test_signing_out_the_current_session_ends_its_token(app, client, person):
    tokens = person.modern_login()
    current = own_id(client, tokens["access"])
    assert data(client.delete(f"{SESSIONS}/{current}", headers=bearer(tokens["access"])), 200) == {}
    assert client.get(SESSIONS, headers=bearer(tokens["access"])).status_code == 401
    assert client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh"]}).status_code == 401
    assert works(client, person.platform["access"])


# --- last used --------------------------------------------------------------------------------


def test_last_used_at_is_written_at_most_once_a_minute(app, client, person, clock):
    viewer = person.modern_login()
    used = person.platform_login()  # the session whose use we watch
    used_id = own_id(client, used["access"])  # its first use: recorded now

    def seen() -> str | None:
        (device,) = [d for d in listed(client, viewer["access"]) if d["id"] == used_id]
        return device["last_used_at"]

    first = clock()
    assert seen() == iso(first)
    assert stored_session(app, used_id).last_used_at == first
    for step in (30, 30):  # 30 s, then exactly 60 s after the recorded use: not written again
        clock.advance(step)
        assert works(client, used["access"])
        assert seen() == iso(first)
        assert stored_session(app, used_id).last_used_at == first
    clock.advance(1)  # 61 s
    assert works(client, used["access"])
    assert seen() == iso(first + timedelta(seconds=61))
    assert stored_session(app, used_id).last_used_at == first + timedelta(seconds=61)

    # A failed request still counts as a use of a live token (here: a 404 after the guard).
    clock.advance(120)
    assert client.delete(f"{SESSIONS}/999999", headers=bearer(used["access"])).status_code == 404
    assert stored_session(app, used_id).last_used_at == first + timedelta(seconds=181)
    # Sessions nobody used since signing in show null.
    before = {d["id"] for d in listed(client, viewer["access"])}
    person.modern_login()
    devices = {d["id"]: d for d in listed(client, viewer["access"])}
    (unused_id,) = set(devices) - before
    registration = own_id(client, person.platform["access"])
    assert devices[unused_id]["last_used_at"] is None and devices[registration]["last_used_at"] is None


def test_the_current_session_shows_this_request_as_its_last_use(app, client, person, clock):
    tokens = person.modern_login()
    current = own_id(client, tokens["access"])
    first = clock()
    clock.advance(30)
    (device,) = [d for d in listed(client, tokens["access"]) if d["current"]]
    assert device["id"] == current and device["last_used_at"] == iso(first)  # inside the minute: as stored
    clock.advance(31)
    (device,) = [d for d in listed(client, tokens["access"]) if d["current"]]
    assert device["last_used_at"] == iso(first + timedelta(seconds=61))
    assert stored_session(app, current).last_used_at == first + timedelta(seconds=61)


def test_a_failed_touch_is_logged_and_the_answer_stands(app, client, person, monkeypatch, caplog):
    from sqlalchemy.exc import OperationalError

    from lingo.services import devices

    def broken(session_id: int, now: datetime) -> bool:
        raise OperationalError("UPDATE sessions", {}, Exception("lock wait timeout"))

    tokens = person.modern_login()
    monkeypatch.setattr(devices, "touch", broken)
    response = client.get(SESSIONS, headers=bearer(tokens["access"]))
    assert response.status_code == 200 and len(data(response, 200)["sessions"]) == 2
    assert "could not record the use of session" in caplog.text
    monkeypatch.undo()
    assert stored_session(app, own_id(client, tokens["access"])).last_used_at is not None


# --- the admin API ----------------------------------------------------------------------------


def test_managers_list_and_revoke_a_users_sessions(app, client, staff, person, clock):
    manager = staff.make_manager()
    manager_id = staff.user_id(manager, MANAGER_PHONE)
    user_id = staff.user_id(manager, PHONE)
    signed_in_at = clock()
    first = person.modern_login("10.0.0.9", "Admin-Test/1")
    clock.advance(1)
    second = person.modern_login()
    first_id, second_id = own_id(client, first["access"]), own_id(client, second["access"])
    manager_session = own_id(client, manager["Authorization"].split()[1])
    registration = [d["id"] for d in listed(client, first["access"]) if d["id"] not in (first_id, second_id)][0]

    page = data(staff.admin("GET", f"/users/{user_id}/sessions", manager), 200)
    assert (page["total"], page["pages"], page["current_page"], page["page_size"]) == (3, 1, 1, 20)
    assert [s["id"] for s in page["data"]] == [second_id, first_id, registration]
    record = page["data"][1]
    expires = stored_session(app, first_id).expires_at
    assert record == {"id": first_id, "user_id": user_id, "client": "modern", "ip": "10.0.0.9",
                      "user_agent": "Admin-Test/1", "created_at": shanghai(signed_in_at),
                      "last_used_at": shanghai(clock()), "expires_at": shanghai(expires)}
    assert list(record) == ["id", "user_id", "client", "ip", "user_agent", "created_at", "last_used_at",
                            "expires_at"]
    assert expires == signed_in_at + timedelta(days=30)
    assert page["data"][2]["last_used_at"] == ""  # the registration: never used
    paged = data(staff.admin("GET", f"/users/{user_id}/sessions?page_no=2&page_size=2", manager), 200)
    assert (paged["total"], paged["pages"], [s["id"] for s in paged["data"]]) == (3, 2, [registration])

    # One session: someone else's id (the manager's own) is not found and stays live.
    response = staff.admin("DELETE", f"/users/{user_id}/sessions/{manager_session}", manager)
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert data(staff.admin("DELETE", f"/users/{user_id}/sessions/{first_id}", manager), 200) == {}
    assert not works(client, first["access"]) and works(client, second["access"])
    assert client.post("/api/auth/refresh", json={"refresh_token": first["refresh"]}).status_code == 401
    again = staff.admin("DELETE", f"/users/{user_id}/sessions/{first_id}", manager)
    assert again.status_code == 404
    assert data(staff.admin("GET", f"/users/{user_id}/sessions", manager), 200)["total"] == 2

    # All of them.
    assert data(staff.admin("POST", f"/users/{user_id}/sessions/revoke", manager), 200) == {"count": 2}
    assert not works(client, second["access"]) and not works(client, person.platform["access"])
    assert data(staff.admin("GET", f"/users/{user_id}/sessions", manager), 200) == {
        "total": 0, "pages": 0, "current_page": 1, "page_size": 20, "data": []}
    assert data(staff.admin("POST", f"/users/{user_id}/sessions/revoke", manager), 200) == {"count": 0}
    assert works(client, manager["Authorization"].split()[1])

    events = revoked_events(app)
    assert [(e.user_id, e.actor_id, e.details) for e in events] == [
        (user_id, manager_id, {"session_id": first_id, "reason": "revoked_by_manager"}),
        (user_id, manager_id, {"count": 2, "reason": "revoked_by_manager"}),
    ]
    assert all(e.dialect == "admin" for e in events)


def test_admin_session_routes_for_an_unknown_user_are_not_found(staff, person):
    manager = staff.make_manager()
    for method, path in (("GET", "/users/999999/sessions"), ("POST", "/users/999999/sessions/revoke"),
                         ("DELETE", "/users/999999/sessions/1"), ("GET", "/users/abc/sessions"),
                         ("POST", "/users/0/sessions/revoke")):
        response = staff.admin(method, path, manager)
        assert response.status_code == 404, path
        assert response.get_json()["error"] == "not_found", path


def test_admin_session_routes_need_a_manager(app, client, staff, person):
    manager_headers = staff.make_manager()
    user = person.modern_login()
    user_id = stored_session(app, own_id(client, user["access"])).user_id
    session_id = own_id(client, user["access"])
    for headers, status in (({}, 401), (bearer("not-a-token"), 401), (bearer(user["access"]), 403)):
        for method, path in (("GET", f"/users/{user_id}/sessions"), ("POST", f"/users/{user_id}/sessions/revoke"),
                             ("DELETE", f"/users/{user_id}/sessions/{session_id}")):
            response = staff.admin(method, path, headers)
            assert response.status_code == status, (method, path, headers)
    assert works(client, user["access"]) and stored_session(app, session_id).revoked_at is None
    assert revoked_events(app) == []
    assert data(staff.admin("GET", f"/users/{user_id}/sessions", manager_headers), 200)["total"] == 2
