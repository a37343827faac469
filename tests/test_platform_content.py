"""Platform part 2 through the HTTP API: push bindings, FAQ, feedback, messages, push log."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from helpers.staff import data

ALICE = "13800000002"
BOB = "13800000003"

FAQ_FIELDS = ["id", "app_id", "created_at", "updated_at", "title", "content", "category", "external_link"]
FEEDBACK_FIELDS = ["id", "app_id", "created_at", "updated_at", "feedback_content", "feedback_status",
                   "feedback_category_id", "contact_phone", "user_id"]
REPLY_FIELDS = ["id", "app_id", "created_at", "updated_at", "reply_content", "manager_id", "feedback_id", "is_read"]
PUSH_FIELDS = ["id", "app_id", "created_at", "updated_at", "push_title", "push_body", "push_scope", "manager_id",
               "push_status"]
BINDING_FIELDS = ["id", "app_id", "created_at", "updated_at", "user_id", "client_id", "client_type", "switch"]


def error_code(response) -> int:
    body = response.get_json()
    assert body is not None and body["data"] == {}, response.data
    return body["code"]


def test_manager_writes_faq_and_user_reads_it(staff):
    manager = staff.make_manager()
    r = staff.admin("POST", "/faqs", manager, json={"title": "标题", "content": "内容", "category": "app",
                                                     "external_link": "https://example.com/faq"})
    created = data(r, 200)
    user = staff.user(ALICE)

    page = data(staff.api("GET", "/api/faq", user))
    assert {k: page[k] for k in ("total", "pages", "current_page", "page_size")} == {
        "total": 1, "pages": 1, "current_page": 1, "page_size": 20}
    (entry,) = page["data"]
    assert list(entry) == FAQ_FIELDS
    assert entry["id"] == created["id"] and entry["title"] == "标题" and entry["content"] == "内容"
    assert entry["category"] == "app" and entry["external_link"] == "https://example.com/faq"
    assert entry["app_id"] == "" and entry["created_at"] == "2026-01-05 16:00:00"  # 08:00 UTC in Asia/Shanghai

    assert data(staff.api("GET", f"/api/faq/{created['id']}", user)) == entry
    r = staff.api("GET", f"/api/faq/{created['id'] + 1}", user)
    assert r.status_code == 404 and error_code(r) == 10001
    for odd in ("abc", "-1", "0", "99999999999999999999", "1.5", "%C2%B2"):
        r = staff.api("GET", f"/api/faq/{odd}", user)
        assert r.status_code == 404 and error_code(r) == 10001, odd


def test_content_needs_a_token(client):
    for method, path in [("GET", "/api/faq"), ("GET", "/api/feedback"), ("POST", "/api/feedback"),
                         ("GET", "/api/push/log"), ("GET", "/api/message/count"), ("POST", "/api/push/bind"),
                         ("DELETE", "/api/push/log/delete"), ("GET", "/api/feedback_category")]:
        r = client.open(path, method=method, headers={"Authorization": "Token not-a-token"})
        assert r.status_code == 401 and error_code(r) == 10004, path


def test_feedback_reply_story(staff, clock):
    manager = staff.make_manager()
    category = data(staff.admin("POST", "/feedback_categories", manager,
                                json={"name": "app", "description": "app"}), 200)
    user = staff.user(ALICE)
    (listed,) = data(staff.api("GET", "/api/feedback_category", user))["data"]
    assert listed == category and list(listed) == ["id", "app_id", "created_at", "updated_at", "name", "description"]

    r = staff.api("POST", "/api/feedback", user, json={
        "feedback_content": " 反馈内容 ", "feedback_category_id": category["id"], "contact_phone": "18656660930"})
    filed = data(r)
    assert list(filed) == FEEDBACK_FIELDS
    assert filed["feedback_content"] == "反馈内容" and filed["feedback_status"] == 0
    assert filed["feedback_category_id"] == category["id"] and filed["contact_phone"] == "18656660930"
    counts = data(staff.api("GET", "/api/message/count", user))
    assert counts == {"push_count": 0, "feedback_count": 0}
    r = staff.api("GET", f"/api/feedback/reply/{filed['id']}", user)
    assert r.status_code == 404 and error_code(r) == 10001  # no reply yet

    clock.advance(3600)
    answer = data(staff.admin("POST", f"/feedbacks/{filed['id']}/reply", manager,
                              json={"reply_content": "回复内容"}), 200)
    assert data(staff.api("GET", "/api/message/count", user))["feedback_count"] == 1
    (mine,) = data(staff.api("GET", "/api/feedback", user))["data"]
    assert mine["feedback_status"] == 1
    # Changed by the reply an hour later: created_at stays, updated_at moves.
    assert filed["created_at"] == filed["updated_at"] == mine["created_at"]
    later = datetime.strptime(filed["created_at"], "%Y-%m-%d %H:%M:%S") + timedelta(hours=1)
    assert mine["updated_at"] == later.strftime("%Y-%m-%d %H:%M:%S")

    reply = data(staff.api("GET", f"/api/feedback/reply/{filed['id']}", user))
    assert list(reply) == REPLY_FIELDS
    assert reply["id"] == answer["id"] and reply["reply_content"] == "回复内容"
    assert reply["feedback_id"] == filed["id"] and reply["is_read"] is False  # as it was before this read
    assert data(staff.api("GET", "/api/message/count", user))["feedback_count"] == 0
    assert data(staff.api("GET", f"/api/feedback/reply/{filed['id']}", user))["is_read"] is True


def test_feedback_list_is_own_and_newest_first_and_deletable(staff, clock):
    alice, bob = staff.user(ALICE), staff.user(BOB)
    first = data(staff.api("POST", "/api/feedback", alice, json={"feedback_content": "one"}))
    clock.advance(60)
    second = data(staff.api("POST", "/api/feedback", alice, json={"feedback_content": "two"}))
    data(staff.api("POST", "/api/feedback", bob, json={"feedback_content": "bob's"}))
    assert first["feedback_category_id"] == 0 and first["contact_phone"] == ""

    page = data(staff.api("GET", "/api/feedback", alice))
    assert page["total"] == 2 and [f["id"] for f in page["data"]] == [second["id"], first["id"]]
    assert data(staff.api("DELETE", f"/api/feedback/{first['id']}", alice)) == {}
    assert [f["id"] for f in data(staff.api("GET", "/api/feedback", alice))["data"]] == [second["id"]]
    r = staff.api("DELETE", f"/api/feedback/{first['id']}", alice)
    assert r.status_code == 404 and error_code(r) == 10001


def test_feedback_list_shows_what_filing_answered(staff, clock):
    # The list reads each item as one JSON object from the database; filing renders
    # the ORM object. Text JSON must escape and sub-second times come back the same.
    alice = staff.user(ALICE)
    clock.advance(0.75)
    odd = {"feedback_content": 'a "quote" \\ 😀 </script> \'; -- é', "contact_phone": "+86 138-0013-8000"}
    filed = data(staff.api("POST", "/api/feedback", alice, json=odd))
    plain = data(staff.api("POST", "/api/feedback", alice, json={"feedback_content": "plain"}))
    page = data(staff.api("GET", "/api/feedback", alice))
    assert page["data"] == [plain, filed]


def test_one_user_cannot_touch_anothers_records(staff):
    manager = staff.make_manager()
    alice, bob = staff.user(ALICE), staff.user(BOB)
    filed = data(staff.api("POST", "/api/feedback", alice, json={"feedback_content": "mine"}))
    data(staff.admin("POST", f"/feedbacks/{filed['id']}/reply", manager, json={"reply_content": "ok"}), 200)
    data(staff.api("POST", "/api/push/bind", alice, json={"client_id": "alice-device", "client_type": "ios"}))
    alice_id = staff.user_id(manager, ALICE)
    private = data(staff.admin("POST", "/pushes", manager, json={"title": "t", "body": "b", "user_ids": [alice_id]}),
                   200)

    assert data(staff.api("GET", "/api/feedback", bob))["total"] == 0
    for method, path, body in [
        ("GET", f"/api/feedback/reply/{filed['id']}", None),
        ("DELETE", f"/api/feedback/{filed['id']}", None),
        ("GET", "/api/push/switch/alice-device", None),
        ("PUT", "/api/push/switch/alice-device", {"switch": False}),
        ("GET", f"/api/push/log/{private['id']}", None),
    ]:
        r = staff.api(method, path, bob, json=body)
        assert r.status_code == 404 and error_code(r) == 10001, path
    assert data(staff.api("GET", "/api/push/log", bob))["total"] == 0
    assert data(staff.api("GET", "/api/message/count", bob)) == {"push_count": 0, "feedback_count": 0}
    data(staff.api("DELETE", "/api/push/log/delete", bob, json={"ids": [private["id"]]}))

    # nothing of Alice's changed
    assert data(staff.api("GET", "/api/message/count", alice)) == {"push_count": 1, "feedback_count": 1}
    assert data(staff.api("GET", "/api/push/switch/alice-device", alice))["switch"] is True
    assert data(staff.api("GET", "/api/feedback", alice))["total"] == 1
    assert data(staff.api("GET", f"/api/push/log/{private['id']}", alice))["push_title"] == "t"


def test_feedback_validation(staff):
    user = staff.user(ALICE)
    bad = [
        {},
        {"feedback_content": ""},
        {"feedback_content": "   "},
        {"feedback_content": "x" * 2001},
        {"feedback_content": 5},
        {"feedback_content": "ok", "feedback_category_id": 999},
        {"feedback_content": "ok", "feedback_category_id": "1"},
        {"feedback_content": "ok", "feedback_category_id": True},
        {"feedback_content": "ok", "contact_phone": "12345"},
        {"feedback_content": "ok", "contact_phone": 18656660930},
        {"feedback_content": "a\u0000b"},
    ]
    for body in bad:
        r = staff.api("POST", "/api/feedback", user, json=body)
        assert r.status_code == 400 and error_code(r) == 10005, body
    for raw in (b"{not json", b"[1,2]", b'"text"'):
        r = staff.api("POST", "/api/feedback", user, data=raw, content_type="application/json")
        assert r.status_code == 400 and error_code(r) == 10005, raw
    assert data(staff.api("GET", "/api/feedback", user))["total"] == 0
    ok = data(staff.api("POST", "/api/feedback", user, json={"feedback_content": "x" * 2000,
                                                              "contact_phone": "+85291234567"}))
    assert ok["contact_phone"] == "+85291234567"


def test_push_bind_and_switch(staff):
    alice, bob = staff.user(ALICE), staff.user(BOB)
    bound = data(staff.api("POST", "/api/push/bind", alice, json={"client_id": "xxxxxxx", "client_type": "android"}))
    assert list(bound) == BINDING_FIELDS
    assert bound["client_id"] == "xxxxxxx" and bound["client_type"] == "android" and bound["switch"] is True
    assert data(staff.api("GET", "/api/push/switch/xxxxxxx", alice)) == bound

    assert data(staff.api("PUT", "/api/push/switch/xxxxxxx", alice, json={"switch": False})) == {}
    assert data(staff.api("GET", "/api/push/switch/xxxxxxx", alice))["switch"] is False
    for body in ({}, {"switch": "false"}, {"switch": 0}, {"switch": None}):
        r = staff.api("PUT", "/api/push/switch/xxxxxxx", alice, json=body)
        assert r.status_code == 400 and error_code(r) == 10005, body

    # binding the same device again as another user moves it
    moved = data(staff.api("POST", "/api/push/bind", bob, json={"client_id": "xxxxxxx", "client_type": "ios"}))
    assert moved["id"] == bound["id"] and moved["user_id"] != bound["user_id"] and moved["client_type"] == "ios"
    r = staff.api("GET", "/api/push/switch/xxxxxxx", alice)
    assert r.status_code == 404 and error_code(r) == 10001

    for body in ({"client_id": "a"}, {"client_id": "a", "client_type": "windows"},
                 {"client_id": "", "client_type": "ios"}, {"client_id": "x" * 129, "client_type": "ios"},
                 {"client_id": 1, "client_type": "ios"}):
        r = staff.api("POST", "/api/push/bind", alice, json=body)
        assert r.status_code == 400 and error_code(r) == 10005, body



def test_client_ids_differing_only_in_case_are_different_devices(staff):
    """MariaDB's default collation compares case-insensitively: Bob binding ``abcdef``
    must not take over Alice's ``ABCdef`` (push client ids are case-sensitive)."""
    alice, bob = staff.user(ALICE), staff.user(BOB)
    mine = data(staff.api("POST", "/api/push/bind", alice, json={"client_id": "ABCdef", "client_type": "android"}))
    his = data(staff.api("POST", "/api/push/bind", bob, json={"client_id": "abcdef", "client_type": "ios"}))
    assert his["id"] != mine["id"] and his["client_id"] == "abcdef"

    assert data(staff.api("GET", "/api/push/switch/ABCdef", alice)) == mine
    assert data(staff.api("GET", "/api/push/switch/abcdef", bob)) == his
    r = staff.api("GET", "/api/push/switch/abcdef", alice)
    assert r.status_code == 404 and error_code(r) == 10001
    r = staff.api("PUT", "/api/push/switch/ABCDEF", alice, json={"switch": False})
    assert r.status_code == 404 and error_code(r) == 10001
    assert data(staff.api("GET", "/api/push/switch/ABCdef", alice))["switch"] is True


def test_client_ids_with_slashes_can_be_switched(staff):
    """MiPush regIds are base64 (``/``, ``+``, ``=``, even ``//``): a device one can bind
    must be reachable by the switch endpoints."""
    alice, bob = staff.user(ALICE), staff.user(BOB)
    reg_id = "d//igwEhgBGCI2TG6lWqlK5PtvMoSF+dY/r9JULmYHY="
    bound = data(staff.api("POST", "/api/push/bind", alice, json={"client_id": reg_id, "client_type": "android"}))
    path = "/api/push/switch/" + reg_id.replace("/", "%2F").replace("+", "%2B")
    assert data(staff.api("GET", path, alice)) == bound
    assert data(staff.api("PUT", path, alice, json={"switch": False})) == {}
    assert data(staff.api("GET", path, alice))["switch"] is False
    r = staff.api("GET", path, bob)
    assert r.status_code == 404 and error_code(r) == 10001

def test_push_to_all_shows_in_log_and_count_excludes_ids(staff, clock):
    manager = staff.make_manager()
    user = staff.user(ALICE)
    pushed = [data(staff.admin("POST", "/pushes", manager, json={"title": f"推送{i}", "body": "推送测试内容"}), 200)
              for i in range(3)]
    ids = [p["id"] for p in pushed]

    page = data(staff.api("GET", "/api/push/log", user))
    assert page["total"] == 3 and [p["id"] for p in page["data"]] == ids[::-1]
    first = page["data"][-1]
    assert list(first) == PUSH_FIELDS
    assert first["push_title"] == "推送0" and first["push_scope"] == 0 and first["push_status"] == 1
    detail = data(staff.api("GET", f"/api/push/log/{ids[0]}", user))
    assert detail == {k: v for k, v in first.items() if k != "push_status"}

    count = lambda q: data(staff.api("GET", f"/api/message/count{q}", user))["push_count"]  # noqa: E731
    assert count("") == 3
    assert count(f"?push_ids={ids[0]}&push_ids={ids[1]}") == 1
    assert count(f"?push_ids={ids[0]},{ids[1]},{ids[2]}") == 0
    assert count(f"?push_ids=[{ids[0]},{ids[2]}]") == 1
    assert count(f"?push_ids=%5B{ids[0]}%2C%20{ids[1]}%5D") == 1
    assert count("?push_ids=[]") == 3
    assert count("?push_ids=999999") == 3
    for bad in ("abc", "1,x", "-1", "1.5", "[1,2", "0", "99999999999999999999", ",,"):
        r = staff.api("GET", f"/api/message/count?push_ids={bad}", user)
        assert r.status_code == 400 and error_code(r) == 10005, bad


def test_push_log_delete_hides_for_this_user_only(staff):
    manager = staff.make_manager()
    alice, bob = staff.user(ALICE), staff.user(BOB)
    ids = [data(staff.admin("POST", "/pushes", manager, json={"title": str(i), "body": "b"}), 200)["id"]
           for i in range(4)]

    assert data(staff.api("DELETE", "/api/push/log/delete", alice, json={"ids": [ids[0]]})) == {}
    assert data(staff.api("DELETE", f"/api/push/log/delete?ids={ids[1]}", alice)) == {}
    assert [p["id"] for p in data(staff.api("GET", "/api/push/log", alice))["data"]] == [ids[3], ids[2]]
    r = staff.api("GET", f"/api/push/log/{ids[0]}", alice)
    assert r.status_code == 404 and error_code(r) == 10001
    assert data(staff.api("GET", "/api/message/count", alice))["push_count"] == 2
    assert data(staff.api("DELETE", "/api/push/log/delete", alice, json={"ids": []})) == {}
    assert data(staff.api("GET", "/api/push/log", alice))["total"] == 2
    for body in ({"ids": "1"}, {"ids": ["a"]}, {"ids": [0]}, {"ids": [True]}):
        r = staff.api("DELETE", "/api/push/log/delete", alice, json=body)
        assert r.status_code == 400 and error_code(r) == 10005, body

    assert data(staff.api("DELETE", "/api/push/log/delete", alice)) == {}  # no ids: all
    assert data(staff.api("GET", "/api/push/log", alice))["total"] == 0
    assert data(staff.api("GET", "/api/push/log", bob))["total"] == 4


@pytest.mark.parametrize("query", ["page_no=0", "page_no=-1", "page_size=0", "page_size=101", "page_no=x",
                                   "page_size=1.5", "page_no=%C2%B2", "page_no=--5", "page_size=99999999999999999999"])
def test_pagination_bounds(staff, query):
    user = staff.user(ALICE)
    for path in ("/api/faq", "/api/feedback", "/api/feedback_category", "/api/push/log"):
        r = staff.api("GET", f"{path}?{query}", user)
        assert r.status_code == 400 and error_code(r) == 10005, (path, query)


def test_pagination_pages(staff):
    user = staff.user(ALICE)
    for i in range(5):
        data(staff.api("POST", "/api/feedback", user, json={"feedback_content": f"f{i}"}))
    page = data(staff.api("GET", "/api/feedback?page_no=2&page_size=2", user))
    assert {k: page[k] for k in ("total", "pages", "current_page", "page_size")} == {
        "total": 5, "pages": 3, "current_page": 2, "page_size": 2}
    assert [f["feedback_content"] for f in page["data"]] == ["f2", "f1"]
    assert data(staff.api("GET", "/api/feedback?page_no=9&page_size=100", user))["data"] == []


def test_disabled_user_token_stops_at_once(staff, clock):
    manager = staff.make_manager()
    user = staff.user(ALICE)
    assert data(staff.api("GET", "/api/faq", user))["total"] == 0
    user_id = staff.user_id(manager, ALICE)
    disabled = data(staff.admin("PUT", f"/users/{user_id}/active", manager, json={"is_active": False}), 200)
    assert disabled["is_active"] is False
    r = staff.api("GET", "/api/faq", user)
    assert r.status_code == 401 and error_code(r) == 10004  # disabling revoked every session
    clock.advance(61)
    r = staff.client.post("/api/auth/phone_code_login", json={"phone": ALICE, "code": staff.modern.code(ALICE)})
    assert r.status_code == 403
    # enabling again does not bring the old token back
    data(staff.admin("PUT", f"/users/{user_id}/active", manager, json={"is_active": True}), 200)
    r = staff.api("GET", "/api/faq", user)
    assert r.status_code == 401 and error_code(r) == 10004
    clock.advance(61)
    assert data(staff.api("GET", "/api/faq", staff.user(ALICE)))["total"] == 0


def test_wrong_methods_and_paths_answer_in_platform_envelope(staff):
    user = staff.user(ALICE)
    r = staff.api("PATCH", "/api/faq", user)
    assert r.status_code == 405 and error_code(r) == 10000
    r = staff.api("GET", "/api/push/nothing", user)
    assert r.status_code == 404 and error_code(r) == 10002
