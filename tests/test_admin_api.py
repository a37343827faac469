"""The admin API (/api/admin, modern envelope): managers only; content, feedback, pushes, users."""
from __future__ import annotations

import pytest

from helpers.staff import data

ALICE = "13800000002"
BOB = "13800000003"


def test_admin_needs_a_manager(staff, client):
    r = client.get("/api/admin/faqs")
    assert r.status_code == 401 and r.get_json()["error"] == "invalid_token"
    user = staff.user(ALICE)
    for method, path in [("GET", "/faqs"), ("POST", "/faqs"), ("GET", "/users"), ("POST", "/pushes"),
                         ("GET", "/feedbacks"), ("PUT", "/users/1/active"), ("DELETE", "/faqs/1")]:
        r = staff.admin(method, path, user, json={"title": "t", "content": "c"})
        assert r.status_code == 403, path
        assert r.get_json() == {"code": 403, "msg": "没有访问或操作权限", "data": None, "error": "forbidden"}
    bearer = {"Authorization": user["Authorization"].replace("Token", "Bearer")}
    assert staff.admin("GET", "/faqs", bearer).status_code == 403
    manager = staff.make_manager()
    assert data(staff.admin("GET", "/faqs", manager), 200)["total"] == 0


def test_unknown_admin_paths_and_methods_use_modern_envelope(staff):
    manager = staff.make_manager()
    r = staff.admin("GET", "/nothing", manager)
    assert r.status_code == 404 and r.get_json()["error"] == "no_such_path"
    r = staff.admin("PATCH", "/pushes", manager)
    assert r.status_code == 405 and r.get_json()["error"] == "method_not_allowed"


def test_faq_crud(staff):
    manager = staff.make_manager()
    faq = data(staff.admin("POST", "/faqs", manager, json={"title": "Q", "content": "A"}), 200)
    assert faq["category"] == "" and faq["external_link"] == ""
    changed = data(staff.admin("PUT", f"/faqs/{faq['id']}", manager, json={"content": "A2", "category": "c"}), 200)
    assert changed["title"] == "Q" and changed["content"] == "A2" and changed["category"] == "c"
    assert data(staff.admin("GET", f"/faqs/{faq['id']}", manager), 200) == changed
    assert data(staff.admin("DELETE", f"/faqs/{faq['id']}", manager), 200) == {}
    r = staff.admin("GET", f"/faqs/{faq['id']}", manager)
    assert r.status_code == 404 and r.get_json()["error"] == "not_found"
    assert staff.admin("PUT", f"/faqs/{faq['id']}", manager, json={"title": "x"}).status_code == 404
    assert staff.admin("DELETE", "/faqs/abc", manager).status_code == 404


@pytest.mark.parametrize("body", [
    {}, {"title": "t"}, {"title": "", "content": "c"}, {"title": "t", "content": 3},
    {"title": "x" * 256, "content": "c"}, {"title": "t", "content": "c", "external_link": "javascript:alert(1)"},
    {"title": "t", "content": "c", "category": None},
])
def test_faq_validation_is_422(staff, body):
    manager = staff.make_manager()
    r = staff.admin("POST", "/faqs", manager, json=body)
    assert r.status_code == 422, body
    detail = r.get_json()["detail"]
    assert detail and all(set(d) == {"loc", "msg", "type"} for d in detail)
    assert data(staff.admin("GET", "/faqs", manager), 200)["total"] == 0


def test_malformed_json_is_422(staff):
    manager = staff.make_manager()
    for raw in (b"{", b"[]", b"\xff\xfe"):
        r = staff.admin("POST", "/feedback_categories", manager, data=raw, content_type="application/json")
        assert r.status_code == 422 and "detail" in r.get_json(), raw
    r = staff.admin("PUT", "/faqs/1", manager, json={"title": ""})
    assert r.status_code == 422  # validated before the record is looked up


def test_feedback_categories_crud(staff):
    manager = staff.make_manager()
    cat = data(staff.admin("POST", "/feedback_categories", manager, json={"name": "app"}), 200)
    assert cat["description"] == ""
    assert data(staff.admin("PATCH", f"/feedback_categories/{cat['id']}", manager,
                            json={"description": "d"}), 200)["description"] == "d"
    user = staff.user(ALICE)
    filed = data(staff.api("POST", "/api/feedback", user,
                           json={"feedback_content": "x", "feedback_category_id": cat["id"]}))
    assert data(staff.admin("DELETE", f"/feedback_categories/{cat['id']}", manager), 200) == {}
    (mine,) = data(staff.api("GET", "/api/feedback", user))["data"]
    assert mine["id"] == filed["id"] and mine["feedback_category_id"] == 0


def test_feedback_listing_filters_and_reply(staff):
    manager = staff.make_manager()
    cat = data(staff.admin("POST", "/feedback_categories", manager, json={"name": "app"}), 200)
    alice, bob = staff.user(ALICE), staff.user(BOB)
    a1 = data(staff.api("POST", "/api/feedback", alice, json={"feedback_content": "a1",
                                                               "feedback_category_id": cat["id"]}))
    a2 = data(staff.api("POST", "/api/feedback", alice, json={"feedback_content": "a2"}))
    b1 = data(staff.api("POST", "/api/feedback", bob, json={"feedback_content": "b1"}))
    alice_id = staff.user_id(manager, ALICE)

    ids = lambda q: [f["id"] for f in data(staff.admin("GET", f"/feedbacks{q}", manager), 200)["data"]]  # noqa: E731
    assert ids("") == [b1["id"], a2["id"], a1["id"]]
    assert ids(f"?user_id={alice_id}") == [a2["id"], a1["id"]]
    assert ids(f"?category_id={cat['id']}") == [a1["id"]]
    assert ids("?status=1") == []
    reply = data(staff.admin("POST", f"/feedbacks/{a2['id']}/reply", manager, json={"reply_content": "thanks"}), 200)
    assert reply["is_read"] is False and reply["feedback_id"] == a2["id"]
    assert ids("?status=1") == [a2["id"]]
    assert ids(f"?status=0&user_id={alice_id}") == [a1["id"]]
    for bad in ("status=2", "status=x", "user_id=-1", "category_id=1.5"):
        r = staff.admin("GET", f"/feedbacks?{bad}", manager)
        assert r.status_code == 422 and r.get_json()["detail"][0]["loc"][0] == "query", bad
    assert staff.admin("GET", "/feedbacks?page_size=101", manager).status_code == 422
    r = staff.admin("POST", "/feedbacks/999999/reply", manager, json={"reply_content": "x"})
    assert r.status_code == 404
    r = staff.admin("POST", f"/feedbacks/{a1['id']}/reply", manager, json={"reply_content": ""})
    assert r.status_code == 422
    assert ids("?status=1") == [a2["id"]]


def test_push_to_listed_users_only(staff, app):
    manager = staff.make_manager()
    alice, bob = staff.user(ALICE), staff.user(BOB)
    alice_id = staff.user_id(manager, ALICE)
    push = data(staff.admin("POST", "/pushes", manager, json={"title": "hi", "body": "you",
                                                               "user_ids": [alice_id]}), 200)
    assert push["push_scope"] == 1 and push["push_status"] == 1
    assert data(staff.api("GET", "/api/push/log", alice))["total"] == 1
    assert data(staff.api("GET", "/api/push/log", bob))["total"] == 0
    (logged,) = data(staff.admin("GET", "/pushes", manager), 200)["data"]
    assert logged["id"] == push["id"]
    for body in ({"title": "t", "body": "b", "user_ids": []}, {"title": "t", "body": "b", "user_ids": [999999]},
                 {"title": "t", "body": "b", "user_ids": "all"}, {"title": "", "body": "b"}, {"title": "t"}):
        r = staff.admin("POST", "/pushes", manager, json=body)
        assert r.status_code == 422, body
    assert data(staff.admin("GET", "/pushes", manager), 200)["total"] == 1


def test_user_listing_and_search(staff):
    manager = staff.make_manager()
    staff.user(ALICE)
    staff.user(BOB)
    users = data(staff.admin("GET", "/users", manager), 200)
    assert users["total"] == 3
    assert {u["phone"] for u in users["data"]} == {"13900000001", ALICE, BOB}
    (alice,) = data(staff.admin("GET", f"/users?q={ALICE[-4:]}", manager), 200)["data"]
    assert alice["phone"] == ALICE and alice["role"] == 0 and alice["is_active"] is True
    assert data(staff.admin("GET", "/users?q=%25", manager), 200)["total"] == 0  # LIKE wildcards are literal
    assert data(staff.admin("GET", "/users?q=nobody@example.com", manager), 200)["total"] == 0
    assert data(staff.admin("GET", f"/users/{alice['id']}", manager), 200) == alice
    assert staff.admin("GET", "/users?q=" + "x" * 192, manager).status_code == 422
    assert staff.admin("GET", "/users?q=%00", manager).status_code == 422


def test_manager_cannot_disable_self_and_bad_input(staff):
    manager = staff.make_manager()
    me = staff.user_id(manager, "13900000001")
    r = staff.admin("PUT", f"/users/{me}/active", manager, json={"is_active": False})
    assert r.status_code == 403
    assert data(staff.admin("GET", "/faqs", manager), 200)["total"] == 0
    for body in ({}, {"is_active": "no"}, {"is_active": 0}):
        assert staff.admin("PUT", f"/users/{me}/active", manager, json=body).status_code == 422
    assert staff.admin("PUT", "/users/999999/active", manager, json={"is_active": False}).status_code == 404


def test_demoted_manager_loses_admin_at_once(staff, app):
    manager = staff.make_manager()
    staff.make_manager("13900000002")  # another active manager: the last one cannot be demoted
    result = app.test_cli_runner().invoke(args=["manager", "set-role", "13900000001", "0"])
    assert result.exit_code == 0, result.output
    assert staff.admin("GET", "/faqs", manager).status_code == 403
