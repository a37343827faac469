"""The admin web console under /admin/ (issue 19): HTML pages, managers only, CSRF, cookie flags."""
from __future__ import annotations

import re

import pytest
from helpers.staff import MANAGER_PASSWORD, MANAGER_PHONE, data

MANAGER_E164 = "+86" + MANAGER_PHONE
ALICE = "13800000002"


def csrf(page) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)
    return match.group(1)


def sign_in(client, outbox, account=MANAGER_PHONE, password=MANAGER_PASSWORD, key=MANAGER_E164):
    """Both steps; returns the final answer (a redirect into the console)."""
    token = csrf(client.get("/admin/login"))
    r = client.post("/admin/login", data={"account": account, "password": password, "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/login/code"), r.get_data(as_text=True)
    page = client.get("/admin/login/code")
    r = client.post("/admin/login/code", data={"code": outbox.last_code(key), "csrf_token": csrf(page)})
    assert r.status_code == 302, r.get_data(as_text=True)
    return r


@pytest.fixture
def manager(staff):
    staff.app.test_cli_runner().invoke(args=["manager", "create", MANAGER_PHONE, "--password", MANAGER_PASSWORD])
    return staff


@pytest.fixture
def console(manager, client, outbox):
    """A client signed in to the console as the manager."""
    sign_in(client, outbox)
    return client


#: Every console page (GET); actions are POSTs listed in POSTS.
PAGES = ["/admin/", "/admin", "/admin/users", "/admin/users/1", "/admin/feedback", "/admin/feedback/1",
         "/admin/faqs", "/admin/faqs/new", "/admin/faqs/1", "/admin/categories", "/admin/categories/new",
         "/admin/categories/1", "/admin/pushes", "/admin/audit", "/admin/audit/export.jsonl"]
POSTS = ["/admin/logout", "/admin/users/1/active", "/admin/users/1/role", "/admin/users/1/sessions/1/revoke",
         "/admin/users/1/sessions/revoke", "/admin/users/1/deletion", "/admin/feedback/1/reply",
         "/admin/feedback/1/close", "/admin/feedback/1/reopen",
         "/admin/faqs/new", "/admin/faqs/1", "/admin/faqs/1/delete", "/admin/categories/new",
         "/admin/categories/1", "/admin/categories/1/delete", "/admin/pushes"]


def test_anonymous_is_sent_to_sign_in_from_every_page(client):
    for path in PAGES:
        r = client.get(path)
        assert r.status_code == 302 and "/admin/login" in r.headers["Location"], path
    for path in POSTS:
        r = client.post(path)
        assert r.status_code in (302, 400), path
        assert "lingo_console" not in (r.headers.get("Set-Cookie") or "") or r.status_code == 400


def test_sign_in_takes_password_then_code_and_sets_a_strict_cookie(manager, client, outbox, app):
    r = sign_in(client, outbox)
    assert r.headers["Location"].endswith("/admin/")
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("lingo_console=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # testing; production sets it (test_production_cookie_is_secure)
    page = client.get("/admin/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "概览" in page.get_data(as_text=True)


def test_production_cookie_is_secure():
    import config

    assert config.Production.SESSION_COOKIE_SECURE is True
    assert config.Config.SESSION_COOKIE_SAMESITE == "Lax" and config.Config.SESSION_COOKIE_HTTPONLY is True


def test_wrong_password_and_wrong_code_are_refused_in_words(manager, client, outbox):
    token = csrf(client.get("/admin/login"))
    r = client.post("/admin/login", data={"account": MANAGER_PHONE, "password": "wrong-password", "csrf_token": token})
    assert r.status_code == 200 and "账号或密码错误" in r.get_data(as_text=True)
    r = client.post("/admin/login", data={"account": MANAGER_PHONE, "password": MANAGER_PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    page = client.get("/admin/login/code")
    r = client.post("/admin/login/code", data={"code": "000000", "csrf_token": csrf(page)}, follow_redirects=True)
    assert "验证码错误或已失效" in r.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # not signed in


def test_a_user_who_is_not_a_manager_cannot_sign_in(staff, client, outbox):
    staff.user(ALICE)  # registers Alice by code
    from lingo.extensions import db
    from lingo.models import User

    with staff.app.app_context():
        alice = db.session.execute(db.select(User).filter_by(phone=ALICE)).scalar_one()
        from lingo.services import passwords

        alice.password_hash = passwords.hash_password("alice-Pass-2019")
        db.session.commit()
    token = csrf(client.get("/admin/login"))
    r = client.post("/admin/login", data={"account": ALICE, "password": "alice-Pass-2019", "csrf_token": token})
    assert r.status_code == 200 and "没有管理后台权限" in r.get_data(as_text=True)
    assert client.get("/admin/login/code").status_code == 302
    assert client.get("/admin/").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(manager, client, outbox):
    r = client.post("/admin/login", data={"account": MANAGER_PHONE, "password": MANAGER_PASSWORD})
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert "安全令牌" in r.get_data(as_text=True)
    assert outbox.last_code(MANAGER_E164) is None
    sign_in(client, outbox)
    r = client.post("/admin/logout")
    assert r.status_code == 400
    assert client.get("/admin/").status_code == 200  # still signed in


def test_the_json_apis_take_no_csrf_token(manager, client):
    r = client.post("/api/auth/phone_login", json={"phone": MANAGER_PHONE, "password": MANAGER_PASSWORD})
    assert r.status_code == 200 and r.get_json()["code"] == 200
    assert "Set-Cookie" not in r.headers


def test_idle_time_out_and_sign_out(console, clock, app):
    assert console.get("/admin/").status_code == 200
    clock.advance((app.config["ADMIN_CONSOLE_IDLE_MINUTES"] + 1) * 60)
    r = console.get("/admin/")
    assert r.status_code == 302 and "/admin/login" in r.headers["Location"]


def test_sign_out_is_audited(console, app):
    page = console.get("/admin/")
    console.post("/admin/logout", data={"csrf_token": csrf(page)})
    manager_id, session_id = console_session(app)
    assert audit_rows(app, "session.revoked") == [
        (manager_id, manager_id, "console", {"session_id": session_id, "reason": "console_sign_out"})]


def console_session(app) -> tuple[int, int]:
    """The manager's id and the console session of their (only) console sign-in, from the audit log."""
    (signed_in,) = [r for r in audit_rows(app, "sign_in.succeeded") if r[2] == "console"]
    return signed_in[0], signed_in[3]["session_id"]


def assert_signed_out(client) -> None:
    r = client.get("/admin/")
    assert r.status_code == 302 and "/admin/login" in r.headers["Location"]


def test_a_copy_of_the_cookie_dies_with_the_sign_out(console, app):
    # Whoever kept a copy of the cookie (a shared computer, a stolen cookie) is signed
    # out on the server too: the cookie names a session that sign-out revoked.
    copy = app.test_client()
    copy.set_cookie("lingo_console", console.get_cookie("lingo_console", path="/admin").value, path="/admin")
    assert copy.get("/admin/").status_code == 200
    console.post("/admin/logout", data={"csrf_token": csrf(console.get("/admin/"))})
    assert_signed_out(copy)
    assert_signed_out(console)


def test_an_idle_time_out_ends_every_copy_of_the_cookie(console, app, clock):
    # The copy is in use, the original idles out: the sign-in ends on the server,
    # and with it the copy (as the original's 退出 would have ended it).
    copy = app.test_client()
    copy.set_cookie("lingo_console", console.get_cookie("lingo_console", path="/admin").value, path="/admin")
    idle = app.config["ADMIN_CONSOLE_IDLE_MINUTES"] * 60
    clock.advance(idle * 2 // 3)
    assert copy.get("/admin/").status_code == 200
    clock.advance(idle * 2 // 3)
    assert_signed_out(console)
    assert_signed_out(copy)
    manager_id, session_id = console_session(app)
    assert audit_rows(app, "session.revoked") == [
        (manager_id, None, "console", {"session_id": session_id, "reason": "console_idle"})]


def test_a_demoted_manager_s_console_session_is_revoked(console, app):
    manager_id, session_id = console_session(app)
    cli = app.test_cli_runner()
    cli.invoke(args=["manager", "create", "13900000009", "--password", MANAGER_PASSWORD])  # not the last manager
    result = cli.invoke(args=["manager", "set-role", MANAGER_PHONE, "0"])
    assert result.exit_code == 0, result.output
    assert_signed_out(console)
    revoked = [r for r in audit_rows(app, "session.revoked") if r[3].get("session_id") == session_id]
    assert revoked == [(manager_id, None, "console", {"session_id": session_id, "reason": "console_not_manager"})]


@pytest.mark.parametrize("key", ["ADMIN_CONSOLE_IDLE_MINUTES", "ADMIN_CONSOLE_SESSION_HOURS"])
@pytest.mark.parametrize("value", [0, -1, "soon", float("inf"), 10**8])
def test_console_time_limits_must_be_positive(database_url, key, value):
    from helpers.apps import app_config

    from lingo import create_app

    with pytest.raises(RuntimeError, match=key):
        create_app(app_config(database_url, **{key: value}))


def test_a_console_sign_in_is_a_session_a_revocation_ends(console, staff, app):
    other = staff.make_manager("13900000009")
    manager_id, session_id = console_session(app)
    (listed,) = data(staff.admin("GET", f"/users/{manager_id}/sessions", other), 200)["data"]
    assert listed["id"] == session_id and listed["client"] == "console"
    assert console.get("/admin/").status_code == 200
    data(staff.admin("POST", f"/users/{manager_id}/sessions/revoke", other), 200)
    r = console.get("/admin/", follow_redirects=True)
    assert "登录已失效" in r.get_data(as_text=True)
    assert_signed_out(console)


@pytest.mark.parametrize("app_overrides", [{"ADMIN_CONSOLE_SESSION_HOURS": 1}])
def test_a_busy_console_sign_in_still_ends_after_its_lifetime(console, clock, app):
    for _ in range(2):  # 50 minutes, never idle for long
        clock.advance(25 * 60)
        assert console.get("/admin/").status_code == 200
    clock.advance(11 * 60)
    assert_signed_out(console)


def test_sign_out_ends_the_session(console):
    page = console.get("/admin/")
    r = console.post("/admin/logout", data={"csrf_token": csrf(page)})
    assert r.status_code == 302
    assert console.get("/admin/").status_code == 302


def test_console_errors_are_html_and_the_api_stays_json(console, client):
    r = client.get("/admin/nothing-here")
    assert r.status_code == 404 and r.mimetype == "text/html"
    body = r.get_data(as_text=True)
    assert "没有这个页面" in body and "Traceback" not in body
    r = client.put("/admin/login")
    assert r.status_code == 405 and r.mimetype == "text/html"
    for path in ["/api/admin/nothing", "/adminx", "/api/admin"]:
        r = client.get(path)
        assert r.status_code in (401, 404) and r.mimetype == "application/json", path
    r = client.get("/api/admin/faqs")
    assert r.status_code == 401 and r.get_json()["error"] == "invalid_token"


def test_server_faults_are_a_page_in_words(console, app, monkeypatch):
    from lingo.console import auth

    def boom():
        raise RuntimeError("kaput")

    monkeypatch.setattr(auth, "render_template", lambda *a, **k: boom())
    r = console.get("/admin/")
    assert r.status_code == 500 and r.mimetype == "text/html"
    body = r.get_data(as_text=True)
    assert "服务器出了点问题" in body and "kaput" not in body and "Traceback" not in body


def test_the_stylesheet_is_served_without_signing_in(client):
    r = client.get("/admin/static/console.css")
    assert r.status_code == 200 and r.mimetype == "text/css"


def audit_rows(app, event):
    from lingo.extensions import db
    from lingo.models import AuditEvent

    with app.app_context():
        return [(r.user_id, r.actor_id, r.dialect, r.details) for r in
                db.session.execute(db.select(AuditEvent).filter_by(event=event)).scalars()]


def test_every_action_needs_its_csrf_token_and_a_manager(console, client):
    for path in POSTS:
        assert client.post(path).status_code == 400, path
    client.post("/admin/logout", data={"csrf_token": csrf(client.get("/admin/"))})
    for path in PAGES:
        r = client.get(path)
        assert r.status_code == 302 and "/admin/login" in r.headers["Location"], path


def test_sign_in_is_audited_with_the_console_as_dialect(console, app):
    (row,) = audit_rows(app, "sign_in.succeeded")[-1:]
    assert row[2] == "console" and row[3]["method"] == "password+code"


def alice_id(staff, console):
    staff.user(ALICE)
    page = console.get(f"/admin/users?q={ALICE}")
    assert page.status_code == 200 and ALICE in page.get_data(as_text=True)
    return int(re.search(r'/admin/users/(\d+)"', page.get_data(as_text=True)).group(1))


def test_users_search_page_and_actions_are_audited_with_the_manager(console, staff, app, client):
    uid = alice_id(staff, console)
    page = console.get(f"/admin/users/{uid}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and ALICE in body and "登录中的设备" in body
    token = csrf(page)
    # Alice's session is live: revoke all of them.
    r = console.post(f"/admin/users/{uid}/sessions/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert "已注销该用户的所有登录" in r.get_data(as_text=True)
    r = console.post(f"/admin/users/{uid}/active", data={"active": "0", "csrf_token": token}, follow_redirects=True)
    assert "已停用该用户" in r.get_data(as_text=True)
    r = console.post(f"/admin/users/{uid}/active", data={"active": "1", "csrf_token": token}, follow_redirects=True)
    r = console.post(f"/admin/users/{uid}/role", data={"role": "1", "csrf_token": token}, follow_redirects=True)
    assert "已设为管理员" in r.get_data(as_text=True)
    r = console.post(f"/admin/users/{uid}/role", data={"role": "0", "csrf_token": token}, follow_redirects=True)
    r = console.post(f"/admin/users/{uid}/deletion", data={"action": "start", "csrf_token": token},
                     follow_redirects=True)
    assert "已发起注销" in r.get_data(as_text=True) and "注销中" in r.get_data(as_text=True)
    r = console.post(f"/admin/users/{uid}/deletion", data={"action": "cancel", "csrf_token": token},
                     follow_redirects=True)
    assert "已撤销注销" in r.get_data(as_text=True)
    manager_id = next(r[0] for r in audit_rows(app, "sign_in.succeeded") if r[2] == "console")
    for event in ["session.revoked", "account.disabled", "account.enabled", "admin.role_changed",
                  "account.delete_requested", "account.delete_cancelled"]:
        rows = [row for row in audit_rows(app, event) if row[0] == uid]
        assert rows and all(row[1] == manager_id and row[2] == "console" for row in rows), event


def test_refusals_are_shown_in_words(console, app):
    page = console.get("/admin/")
    token = csrf(page)
    manager_id = next(r[0] for r in audit_rows(app, "sign_in.succeeded") if r[2] == "console")
    r = console.post(f"/admin/users/{manager_id}/active", data={"active": "0", "csrf_token": token},
                     follow_redirects=True)
    assert r.status_code == 200 and "不能停用或启用自己的账号" in r.get_data(as_text=True)
    r = console.get("/admin/users/999999")
    assert r.status_code == 404 and "记录不存在" in r.get_data(as_text=True)
    r = console.get("/admin/users?page=abc&q=%25")
    assert r.status_code == 200


def test_feedback_inbox_reply_reaches_the_user(console, staff, app):
    from helpers.staff import data

    alice, bob = staff.user(ALICE), staff.user("13800000003")
    a1 = data(staff.api("POST", "/api/feedback", alice, json={"feedback_content": "第一条 <b>反馈</b>"}))
    b1 = data(staff.api("POST", "/api/feedback", bob, json={"feedback_content": "b1"}))
    assert data(staff.api("GET", "/api/message/count", alice))["feedback_count"] == 0
    inbox = console.get("/admin/feedback")
    body = inbox.get_data(as_text=True)
    assert inbox.status_code == 200 and "&lt;b&gt;" in body and "<b>反馈" not in body  # escaped
    thread = console.get(f"/admin/feedback/{a1['id']}")
    r = console.post(f"/admin/feedback/{a1['id']}/reply", data={"reply_content": "已处理", "csrf_token": csrf(thread)},
                     follow_redirects=True)
    assert "已回复。" in r.get_data(as_text=True) and "已处理" in r.get_data(as_text=True)
    assert data(staff.api("GET", "/api/message/count", alice))["feedback_count"] == 1
    # Unanswered first: Bob's open feedback comes before Alice's replied one, even though older ids differ.
    body = console.get("/admin/feedback").get_data(as_text=True)
    assert body.index(f'feedback/{b1["id"]}"') < body.index(f'feedback/{a1["id"]}"')
    assert f'feedback/{a1["id"]}"' not in console.get("/admin/feedback?status=0").get_data(as_text=True)
    (row,) = [r for r in audit_rows(app, "admin.feedback_replied")]
    assert row[2] == "console" and row[1] is not None
    r = console.post(f"/admin/feedback/{a1['id']}/reply", data={"reply_content": " ", "csrf_token": csrf(thread)},
                     follow_redirects=True)
    assert "请填写回复内容" in r.get_data(as_text=True)
    assert console.get("/admin/feedback/999999").status_code == 404


def open_count(console) -> int:
    """The dashboard's open feedback count."""
    return int(re.search(r'id="open-feedback">(\d+)<', console.get("/admin/").get_data(as_text=True)).group(1))


def test_feedback_close_and_reopen(console, staff, app):
    from helpers.staff import data

    alice, bob = staff.user(ALICE), staff.user("13800000003")
    a1 = data(staff.api("POST", "/api/feedback", alice, json={"feedback_content": "a1"}))
    b1 = data(staff.api("POST", "/api/feedback", bob, json={"feedback_content": "b1"}))
    a1_link, b1_link = f'feedback/{a1["id"]}"', f'feedback/{b1["id"]}"'
    before = data(staff.api("GET", "/api/feedback", alice))
    assert open_count(console) == 2
    thread = console.get(f"/admin/feedback/{a1['id']}")
    assert ">关闭</button>" in thread.get_data(as_text=True)
    r = console.post(f"/admin/feedback/{a1['id']}/close", data={"csrf_token": csrf(thread)}, follow_redirects=True)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "已关闭。" in body and 'class="tag closed">已关闭' in body
    assert ">重新打开</button>" in body and ">关闭</button>" not in body
    # Leaves the open count, the default view and 待回复; the 已关闭 and 全部 filters find it.
    assert open_count(console) == 1
    inbox = console.get("/admin/feedback").get_data(as_text=True)
    assert a1_link not in inbox and b1_link in inbox
    assert a1_link not in console.get("/admin/feedback?status=0").get_data(as_text=True)
    closed = console.get("/admin/feedback?status=closed").get_data(as_text=True)
    assert a1_link in closed and b1_link not in closed and '<option value="closed" selected>' in closed
    everything = console.get("/admin/feedback?status=all").get_data(as_text=True)
    assert everything.index(b1_link) < everything.index(a1_link)  # closed after the rest
    assert console.get("/admin/feedback?status=bogus").status_code == 200  # the default view
    # The platform API's fields do not change: feedback_status stays 0 (not replied), updated_at as it was.
    assert data(staff.api("GET", "/api/feedback", alice)) == before
    # Closing twice changes nothing and says so.
    r = console.post(f"/admin/feedback/{a1['id']}/close", data={"csrf_token": csrf(thread)}, follow_redirects=True)
    assert "这条反馈已经关闭了" in r.get_data(as_text=True)
    manager_id = next(row[0] for row in audit_rows(app, "sign_in.succeeded") if row[2] == "console")
    closed_row = (a1["user_id"], manager_id, "console", {"feedback_id": a1["id"]})
    assert audit_rows(app, "admin.feedback_closed") == [closed_row]
    # Reopen: back in the default view and the open count.
    r = console.post(f"/admin/feedback/{a1['id']}/reopen", data={"csrf_token": csrf(thread)}, follow_redirects=True)
    body = r.get_data(as_text=True)
    assert "已重新打开。" in body and 'class="tag closed"' not in body and ">关闭</button>" in body
    assert open_count(console) == 2 and a1_link in console.get("/admin/feedback?status=0").get_data(as_text=True)
    r = console.post(f"/admin/feedback/{a1['id']}/reopen", data={"csrf_token": csrf(thread)}, follow_redirects=True)
    assert "没有关闭" in r.get_data(as_text=True)
    assert audit_rows(app, "admin.feedback_reopened") == [closed_row]  # the same user, actor and details
    # A replied feedback keeps feedback_status 1 when closed; an unknown one is refused in words.
    console.post(f"/admin/feedback/{b1['id']}/reply", data={"reply_content": "ok", "csrf_token": csrf(thread)})
    console.post(f"/admin/feedback/{b1['id']}/close", data={"csrf_token": csrf(thread)})
    (b1_now,) = [f for f in data(staff.api("GET", "/api/feedback", bob))["data"] if f["id"] == b1["id"]]
    assert b1_now["feedback_status"] == 1
    assert b1_link in console.get("/admin/feedback?status=closed").get_data(as_text=True)
    r = console.post("/admin/feedback/999999/close", data={"csrf_token": csrf(thread)}, follow_redirects=True)
    assert "记录不存在" in r.get_data(as_text=True) and "Traceback" not in r.get_data(as_text=True)


def test_feedback_close_needs_its_csrf_token_and_a_manager(console, staff, app):
    from helpers.staff import data

    from lingo.extensions import db
    from lingo.models import Feedback, User

    alice = staff.user(ALICE)
    a1 = data(staff.api("POST", "/api/feedback", alice, json={"feedback_content": "a1"}))
    thread = console.get(f"/admin/feedback/{a1['id']}")
    r = console.post(f"/admin/feedback/{a1['id']}/close")
    assert r.status_code == 400 and "安全令牌" in r.get_data(as_text=True)
    # The signed-in manager is demoted: the next request is refused and closes nothing.
    manager_id = next(row[0] for row in audit_rows(app, "sign_in.succeeded") if row[2] == "console")
    with app.app_context():
        db.session.get(User, manager_id).role = 0
        db.session.commit()
    r = console.post(f"/admin/feedback/{a1['id']}/close", data={"csrf_token": csrf(thread)})
    assert r.status_code == 302 and "/admin/login" in r.headers["Location"]
    with app.app_context():
        assert db.session.get(Feedback, a1["id"]).closed_at is None
    assert audit_rows(app, "admin.feedback_closed") == []


def test_faq_create_preview_edit_delete_reach_the_api_and_are_audited(console, staff, app):
    page = console.get("/admin/faqs/new")
    assert page.status_code == 200
    token = csrf(page)
    form = {"title": "如何改密码", "content": "在设置里 <script>x</script>", "category": "账号", "external_link": "",
            "csrf_token": token}
    r = console.post("/admin/faqs/new", data={**form, "preview": "1"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "预览" in body and "&lt;script&gt;" in body and "<script>x" not in body
    assert audit_rows(app, "admin.content_changed") == []  # a preview saves nothing
    r = console.post("/admin/faqs/new", data={**form, "external_link": "javascript:alert(1)"})
    assert r.status_code == 200 and "外部链接" in r.get_data(as_text=True)
    r = console.post("/admin/faqs/new", data=form)
    assert r.status_code == 302
    faq_id = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    alice = staff.user(ALICE)
    from helpers.staff import data

    assert data(staff.api("GET", f"/api/faq/{faq_id}", alice))["title"] == "如何改密码"
    r = console.post(f"/admin/faqs/{faq_id}", data={**form, "title": "如何修改密码"}, follow_redirects=True)
    assert "已保存" in r.get_data(as_text=True)
    assert data(staff.api("GET", f"/api/faq/{faq_id}", alice))["title"] == "如何修改密码"
    listing = console.get("/admin/faqs").get_data(as_text=True)
    assert "如何修改密码" in listing
    r = console.post(f"/admin/faqs/{faq_id}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "已删除" in r.get_data(as_text=True)
    assert staff.api("GET", f"/api/faq/{faq_id}", alice).get_json()["code"] != 0
    rows = audit_rows(app, "admin.content_changed")
    assert [r[3]["action"] for r in rows] == ["create", "update", "delete"]
    assert all(r[1] is not None and r[2] == "console" for r in rows)
    assert console.get(f"/admin/faqs/{faq_id}").status_code == 404


def test_feedback_categories_are_edited_and_offered_to_users(console, staff, app):
    token = csrf(console.get("/admin/categories/new"))
    r = console.post("/admin/categories/new", data={"name": " ", "description": "", "csrf_token": token})
    assert r.status_code == 200 and "名称: 不能为空" in r.get_data(as_text=True)
    r = console.post("/admin/categories/new", data={"name": "账号问题", "description": "", "csrf_token": token},
                     follow_redirects=True)
    assert "已创建" in r.get_data(as_text=True)
    assert "账号问题" in console.get("/admin/categories").get_data(as_text=True)
    assert "账号问题" in console.get("/admin/feedback").get_data(as_text=True)  # the inbox's filter
    (row,) = audit_rows(app, "admin.content_changed")
    assert row[3]["table"] == "feedback_categories" and row[2] == "console"


def test_push_compose_preview_send_and_history(console, staff, app):
    from helpers.staff import data

    alice, bob = staff.user(ALICE), staff.user("13800000003")
    uid = alice_id(staff, console)
    page = console.get("/admin/pushes")
    assert page.status_code == 200 and "还没有推送" in page.get_data(as_text=True)
    form = {"title": "维护通知", "body": "今晚 <b>22:00</b> 维护", "audience": "users", "user_ids": f"{uid}",
            "csrf_token": csrf(page)}
    r = console.post("/admin/pushes", data={**form, "preview": "1"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "预览" in body and "1 位用户" in body and "&lt;b&gt;" in body
    assert data(staff.api("GET", "/api/push/log", alice))["total"] == 0  # a preview sends nothing
    r = console.post("/admin/pushes", data={**form, "user_ids": "12, abc"})
    assert "请填写用户 ID" in r.get_data(as_text=True)
    r = console.post("/admin/pushes", data={**form, "user_ids": "999999"})
    assert r.status_code == 200 and "flash error" in r.get_data(as_text=True)  # no such user, said on the page
    r = console.post("/admin/pushes", data=form, follow_redirects=True)
    body = r.get_data(as_text=True)
    assert "已发送" in body and "维护通知" in body
    assert data(staff.api("GET", "/api/push/log", alice))["total"] == 1
    assert data(staff.api("GET", "/api/push/log", bob))["total"] == 0
    (row,) = audit_rows(app, "admin.push_sent")
    assert row[2] == "console" and row[1] is not None and row[3]["recipients"] == 1

    class Broken:
        def send(self, notice):
            raise RuntimeError("provider down")

    app.extensions["lingo.push"] = Broken()
    r = console.post("/admin/pushes", data={**form, "audience": "all"}, follow_redirects=True)
    body = r.get_data(as_text=True)
    assert "推送服务发送失败" in body and "发送失败</span>" in body and "所有用户" in body
    assert data(staff.api("GET", "/api/push/log", bob))["total"] == 1


def test_audit_log_filters_pages_and_exports_jsonl(console, staff, app, clock):
    import json

    staff.user(ALICE)
    uid = alice_id(staff, console)
    page = console.get("/admin/audit")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "sign_in.succeeded" in body and "code.sent" in body
    only = console.get(f"/admin/audit?user_id={uid}&event=code.sent").get_data(as_text=True)
    assert "code.sent" in only and "<td>sign_in.succeeded</td>" not in only
    later = clock().replace(microsecond=0)
    empty = console.get(f"/admin/audit?since={(later.replace(year=later.year + 1)).isoformat()}")
    assert "没有符合条件的事件" in empty.get_data(as_text=True)
    bad = console.get("/admin/audit?since=yesterday")
    assert bad.status_code == 422 and "时间格式" in bad.get_data(as_text=True)
    assert console.get("/admin/audit?event=nope").status_code == 422
    r = console.get(f"/admin/audit/export.jsonl?user_id={uid}")
    assert r.status_code == 200 and r.mimetype == "application/x-ndjson"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    rows = [json.loads(line) for line in r.get_data(as_text=True).splitlines()]
    assert rows and all(row["user_id"] == uid for row in rows)
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)
    everything = console.get("/admin/audit/export.jsonl").get_data(as_text=True).splitlines()
    assert len(everything) > len(rows)
    until = console.get(f"/admin/audit/export.jsonl?until={rows[0]['at'][:19]}").get_data(as_text=True)
    assert all(json.loads(line)["at"] < rows[0]["at"] for line in until.splitlines())


def test_dashboard_counts_the_last_30_days_on_every_backend(console, staff, app, clock, modern, outbox):
    from helpers.staff import data

    from lingo.services import dashboard

    alice = staff.user(ALICE)  # a sign-up, a code sent, a modern sign-in
    assert modern.send_code(ALICE).get_json()["code"] != 200  # too soon: code.refused
    data(staff.api("POST", "/api/feedback", alice, json={"feedback_content": "hi"}))
    clock.advance(86400)
    staff.user("13800000003")
    with app.app_context():
        board = dashboard.summary(now=clock())
    assert len(board.days) == 30 and board.days[-1] == clock().date()
    assert board.sign_ups[-2:] == [2, 1] and sum(board.sign_ups) == 3  # the manager and Alice, then Bob
    assert board.sign_ins["modern"][-2:] == [1, 1] and board.sign_ins["console"][-2] == 1
    assert board.codes["sent"][-2:] == [2, 1]  # the manager's console code and Alice's
    (reason,) = [name for name in board.codes if name != "sent"]
    assert board.codes[reason][-2] == 1 and reason == "send_too_frequent"
    assert board.open_feedback == 1
    with app.app_context():
        later = dashboard.summary(now=clock().replace(year=clock().year + 1))
    assert sum(later.sign_ups) == 0 and later.sign_ins == {} and later.codes == {}
    sign_in(console, outbox)  # the day's wait ended the console session
    page = console.get("/admin/")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and body.count("<svg") == 3 and 'id="open-feedback">1<' in body
    assert "send_too_frequent" in body and "<td>modern</td>" not in body  # a column, not a row


def test_a_failed_record_of_use_does_not_fail_the_page(console, clock, monkeypatch):
    # The session's "last used" is written after the page, as for API tokens: a
    # database hiccup there is logged, the page still answers.
    from sqlalchemy.exc import OperationalError

    from lingo.services import devices

    def broken(*_args, **_kwargs):
        raise OperationalError("UPDATE sessions", {}, Exception("Lock wait timeout exceeded"))

    monkeypatch.setattr(devices, "touch", broken)
    clock.advance(120)  # a use is due
    assert console.get("/admin/").status_code == 200


@pytest.mark.parametrize("app_overrides", [{"ADMIN_CONSOLE_IDLE_MINUTES": 0.5}])
def test_an_idle_time_of_half_a_minute_is_half_a_minute(console, clock):
    clock.advance(20)
    assert console.get("/admin/").status_code == 200
    clock.advance(31)
    assert_signed_out(console)


def test_a_database_failure_while_ending_a_sign_in_still_signs_the_browser_out(console, app, clock, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from lingo.services import console as console_service

    def broken(*_args, **_kwargs):
        raise OperationalError("UPDATE sessions", {}, Exception("Lost connection"))

    monkeypatch.setattr(console_service, "end_sign_in", broken)
    clock.advance((app.config["ADMIN_CONSOLE_IDLE_MINUTES"] + 1) * 60)
    r = console.get("/admin/")
    assert r.status_code == 302 and "/admin/login" in r.headers["Location"]
    assert_signed_out(console)
