"""The admin web console in a real browser (issue 19): Debian's chromium driven by Playwright.

The app is served by werkzeug's WSGI server in a thread on a free loopback
port, over the test's own database (the ``app`` fixture: SQLite and, in CI,
MariaDB). The browser signs in with both steps (the code is read from the
outbox sender), acts through the pages, and what users see is checked through
their APIs with the test client. Each test saves a screenshot under its
``tmp_path`` (and under ``$LINGO_CONSOLE_SCREENSHOTS`` when set: that is how
docs/console/*.png are made). Chromium is not downloaded: ``/usr/bin/chromium``
(``apt-get install chromium``; ``.ci/run`` installs it) or ``$LINGO_CHROMIUM``;
a missing browser is an error, never a skip.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.devices import Person, everywhere, own_id, works
from helpers.staff import MANAGER_PASSWORD, MANAGER_PHONE, data
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import func, select
from werkzeug.serving import make_server

from deploy.ports import free_port
from lingo.extensions import db
from lingo.models import PushMessage

CHROMIUM = os.environ.get("LINGO_CHROMIUM", "/usr/bin/chromium")
MANAGER_E164 = "+86" + MANAGER_PHONE
ALICE = "13800000002"
PERSON = "13800000021"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: apt-get install -y chromium (or set LINGO_CHROMIUM)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def live(app) -> Iterator[str]:
    """The app served over HTTP on 127.0.0.1 (one request at a time) while the test runs."""
    server = make_server("127.0.0.1", free_port(), app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture
def page(browser: Browser, live: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live, locale="zh-CN", viewport={"width": 1200, "height": 860})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def manager(staff):
    staff.app.test_cli_runner().invoke(args=["manager", "create", MANAGER_PHONE, "--password", MANAGER_PASSWORD])
    return staff


def shot(page: Page, tmp_path: Path, name: str) -> Path:
    """Save a screenshot of the whole page under ``tmp_path`` (and ``$LINGO_CONSOLE_SCREENSHOTS``)."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000
    keep = os.environ.get("LINGO_CONSOLE_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
    return path


def sign_in(page: Page, outbox: Any, tmp_path: Path | None = None) -> None:
    """Both steps through the pages: password, then the code the outbox sender got."""
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login"))
    page.get_by_label("手机号或邮箱").fill(MANAGER_PHONE)
    page.get_by_label("密码").fill(MANAGER_PASSWORD)
    if tmp_path is not None:
        shot(page, tmp_path, "sign-in")
    page.get_by_role("button", name="下一步：发送验证码").click()  # noqa: RUF001 (the page's own label)
    expect(page).to_have_url(re.compile(r"/admin/login/code$"))
    page.get_by_label("验证码").fill(outbox.last_code(MANAGER_E164))
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="概览")).to_be_visible()


def open_user(page: Page, phone: str) -> int:
    """Search a user by phone and open their page; their id."""
    page.get_by_role("link", name="用户", exact=True).click()
    page.get_by_label("手机号、邮箱、昵称或 ID").fill(phone)
    page.get_by_role("button", name="搜索").click()
    page.locator("tbody tr").filter(has_text=phone).locator("a").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^用户 \d+"))).to_be_visible()
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def flash(page: Page, text: str) -> None:
    expect(page.locator(".flash").first).to_contain_text(text)


def test_sign_in_reply_to_feedback_and_the_user_reads_it(manager, staff, page, outbox, tmp_path, client):
    alice = staff.user(ALICE)
    filed = data(staff.api("POST", "/api/feedback", alice, json={"feedback_content": "无法上传头像"}))
    sign_in(page, outbox, tmp_path)
    expect(page.locator("#open-feedback")).to_have_text("1")
    expect(page.locator("svg")).to_have_count(3)
    shot(page, tmp_path, "dashboard")
    page.get_by_role("link", name="反馈", exact=True).click()
    page.get_by_role("link", name="无法上传头像").click()
    page.get_by_label("回复内容").fill("请更新到最新版本后再试。")
    page.get_by_role("button", name="发送回复").click()
    flash(page, "已回复。")
    expect(page.get_by_text("用户未读")).to_be_visible()
    shot(page, tmp_path, "feedback-thread")

    assert data(staff.api("GET", "/api/message/count", alice))["feedback_count"] == 1
    reply = data(staff.api("GET", f"/api/feedback/reply/{filed['id']}", alice))
    assert reply["reply_content"] == "请更新到最新版本后再试。"
    assert data(staff.api("GET", "/api/message/count", alice))["feedback_count"] == 0
    page.reload()
    expect(page.get_by_text("用户已读")).to_be_visible()

    # Close it: it leaves the default inbox and the open count; the 已关闭 filter finds it; the user sees no change.
    page.get_by_role("button", name="关闭", exact=True).click()
    flash(page, "已关闭。")
    expect(page.locator("h1 .tag.closed")).to_have_text("已关闭")
    expect(page.get_by_role("button", name="重新打开")).to_be_visible()
    shot(page, tmp_path, "feedback-closed")
    page.get_by_role("link", name="← 反馈列表").click()
    expect(page.get_by_text("没有反馈。")).to_be_visible()
    page.get_by_label("状态").select_option(label="已关闭")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("link", name="无法上传头像")).to_be_visible()
    (mine,) = data(staff.api("GET", "/api/feedback", alice))["data"]
    assert mine["feedback_status"] == 1
    page.get_by_role("link", name="无法上传头像").click()
    page.get_by_role("button", name="重新打开").click()
    flash(page, "已重新打开。")
    expect(page.locator("h1 .tag.closed")).to_have_count(0)


def test_edit_an_faq_and_read_it_through_the_api(manager, staff, page, outbox, tmp_path):
    sign_in(page, outbox)
    page.get_by_role("link", name="常见问题", exact=True).click()
    page.get_by_role("link", name="新建").click()
    page.get_by_label("标题").fill("如何修改密码")
    page.get_by_label("内容").fill("在「设置 → 账号」里修改。")
    page.get_by_role("button", name="保存").click()
    flash(page, "已创建。")
    faq_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    page.get_by_label("标题").fill("如何修改或找回密码")
    page.get_by_label("外部链接 (http/https, 可留空)").fill("https://help.example.com/password")
    page.get_by_role("button", name="预览").click()
    expect(page.locator(".preview h2")).to_have_text("如何修改或找回密码")
    shot(page, tmp_path, "faq-preview")
    alice = staff.user(ALICE)
    assert data(staff.api("GET", f"/api/faq/{faq_id}", alice))["title"] == "如何修改密码"  # a preview saves nothing
    page.get_by_role("button", name="保存").click()
    flash(page, "已保存。")
    faq = data(staff.api("GET", f"/api/faq/{faq_id}", alice))
    assert faq["title"] == "如何修改或找回密码" and faq["external_link"] == "https://help.example.com/password"


def test_disable_a_user_and_every_dialect_token_fails(manager, staff, page, outbox, tmp_path, client, modern,
                                                      platform_api, clock):
    person = Person(client, modern, platform_api, clock, PERSON)
    signed = everywhere(person, clock)
    tokens = {dialect: signed[dialect]["access"] for dialect in ("platform", "v4", "its", "modern")}
    assert all(works(client, token) for token in tokens.values())
    sign_in(page, outbox)
    open_user(page, PERSON)
    page.get_by_role("button", name="停用").click()
    flash(page, "已停用该用户")
    expect(page.get_by_text("已停用", exact=True)).to_be_visible()
    shot(page, tmp_path, "user-disabled")
    for dialect, token in tokens.items():
        assert not works(client, token), dialect
    response = client.post("/api/auth/phone_login", json={"phone": PERSON, "password": "secret-pass1"})
    assert response.get_json()["code"] != 200


def test_revoke_one_session(manager, staff, page, outbox, tmp_path, client, modern, platform_api, clock):
    person = Person(client, modern, platform_api, clock, PERSON)
    kept, dropped = person.modern_login(), person.modern_login()
    session_id = own_id(client, dropped["access"])
    sign_in(page, outbox)
    open_user(page, PERSON)
    shot(page, tmp_path, "user")
    page.locator(f'form[action$="/sessions/{session_id}/revoke"] button').click()
    flash(page, "已注销该登录。")
    assert not works(client, dropped["access"]) and works(client, kept["access"])


def test_send_a_push_and_the_user_sees_it(manager, staff, page, outbox, tmp_path):
    alice, bob = staff.user(ALICE), staff.user("13800000003")
    sign_in(page, outbox)
    alice_id = open_user(page, ALICE)
    page.get_by_role("link", name="推送", exact=True).click()
    page.get_by_label("标题").fill("系统维护")
    page.get_by_label("内容").fill("今晚 22:00 起维护一小时。")
    page.get_by_label("指定用户").check()
    page.get_by_label("用户 ID (用逗号或空格分隔)").fill(str(alice_id))
    page.get_by_role("button", name="预览").click()
    expect(page.locator(".preview")).to_contain_text("1 位用户")
    shot(page, tmp_path, "push-preview")
    page.get_by_role("button", name="发送").click()
    flash(page, "已发送。")
    expect(page.locator("tbody tr").first).to_contain_text("已发送")
    shot(page, tmp_path, "pushes")
    log = data(staff.api("GET", "/api/push/log", alice))
    assert log["total"] == 1 and log["data"][0]["push_title"] == "系统维护"
    assert data(staff.api("GET", "/api/push/log", bob))["total"] == 0


def test_a_push_on_its_way_shows_progress_and_cannot_be_sent_twice(manager, staff, page, outbox, tmp_path):
    # The POST is held back while the page is checked (as a slow push sender would hold
    # it), then let through: one push, sent.
    sign_in(page, outbox)
    page.get_by_role("link", name="推送", exact=True).click()
    # console.js is deferred and the click returns once the new page is committed: wait
    # for its load, or the form may be submitted before the script can say it is busy.
    page.wait_for_url("**/admin/pushes", wait_until="load")
    page.get_by_label("标题").fill("系统维护")
    page.get_by_label("内容").fill("今晚 22:00 起维护一小时。")
    held: list[Any] = []
    page.route("**/admin/pushes", lambda route: held.append(route) if route.request.method == "POST"
               else route.continue_())
    # Clicked and read from the page itself: Playwright's own click and expect would wait for
    # the held navigation to finish.
    state = page.evaluate("""async () => {
        const button = document.querySelector('button[data-busy]');
        button.click();
        await new Promise((done) => setTimeout(done, 100));
        const form = button.form;
        return {text: button.textContent, disabled: button.disabled, busy: form.getAttribute('aria-busy'),
                preview: form.querySelector('button[name=preview]').disabled};
    }""")
    assert state == {"text": "正在发送…", "disabled": True, "busy": "true", "preview": True}
    for _ in range(100):  # the held POST reaches this process through the browser's driver
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    with staff.app.app_context():
        assert db.session.execute(select(func.count()).select_from(PushMessage)).scalar_one() == 0
    held[0].continue_()
    flash(page, "已发送。")
    shot(page, tmp_path, "push-sent")
    page.unroute("**/admin/pushes")
    with staff.app.app_context():
        assert db.session.execute(select(func.count()).select_from(PushMessage)).scalar_one() == 1


def test_audit_log_page(manager, staff, page, outbox, tmp_path):
    sign_in(page, outbox)
    page.get_by_role("link", name="审计日志").click()
    page.get_by_label("事件").select_option("sign_in.succeeded")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("tbody tr").first).to_contain_text("console")
    shot(page, tmp_path, "audit")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 JSONL").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines and all('"event": "sign_in.succeeded"' in line for line in lines)
