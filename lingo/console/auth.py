"""Console sign-in (password, then a code sent to the same phone or email), idle time-out, sign-out.

The session cookie holds the manager's id, the id of their console session
(a server-side session, :func:`lingo.services.sessions.open_console_session`)
and the time of their last request (``seen``); between the two steps it holds
the account being proven (``pending``). Every request reloads the manager and
checks the session: a manager disabled, demoted or pending deletion, or a
session revoked (sign-out, "sign out everywhere", a manager's revocation, a
password change) or past ``ADMIN_CONSOLE_SESSION_HOURS``, is signed out at
once, whoever holds a copy of the cookie.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from .. import clock
from ..errors import DomainError, Error
from ..extensions import db
from ..models import User
from ..models.user import ROLE_MANAGER
from ..senders import email_sender, sms_sender
from ..services import codes, console, dashboard, devices
from ..services.identity import EMAIL, Account
from ..web import guard, limits
from ..web.parsing import client_ip
from . import bp, page_message

log = logging.getLogger(__name__)

#: Views anyone may open.
PUBLIC = frozenset({"console.static", "console.sign_in", "console.sign_in_post", "console.code", "console.code_post"})
#: How long the second step waits for its code.
PENDING_MINUTES = 10
#: Longest password the API accepts (docs/contract.md: 8–128 characters).
MAX_PASSWORD = 128


def _idle() -> timedelta:
    return timedelta(minutes=float(current_app.config["ADMIN_CONSOLE_IDLE_MINUTES"]))


def _lifetime() -> timedelta:
    return timedelta(hours=float(current_app.config["ADMIN_CONSOLE_SESSION_HOURS"]))


def _stamp(now: datetime) -> str:
    return now.isoformat()


def _older_than(stamp: Any, now: datetime, limit: timedelta) -> bool:
    try:
        return now - datetime.fromisoformat(str(stamp)) > limit
    except ValueError:
        return True


def manager() -> User:
    """The signed-in manager (after :func:`require_manager`)."""
    user: User = g.console_manager
    return user


def require_manager() -> Response | None:
    """Before every console view: the signed-in active manager, else the sign-in page."""
    if request.endpoint in PUBLIC:
        return None
    now = clock.now()
    manager_id = session.get("manager_id")
    if manager_id is not None and _older_than(session.get("seen"), now, _idle()):
        _end(console.IDLE_REASON, now)
        flash("长时间未操作，已自动退出，请重新登录。", "error")
        manager_id = None
    user = db.session.get(User, manager_id) if manager_id is not None else None
    if manager_id is not None and (
        user is None or user.role != ROLE_MANAGER or not user.is_active or user.delete_after is not None
    ):
        _end(console.NOT_MANAGER_REASON, now)
        flash("该账号已没有管理后台权限。", "error")
        user = None
    elif user is not None and not _session_live(session.get("console_session"), user.id, now):
        session.clear()
        flash("登录已失效，请重新登录。", "error")
        user = None
    if user is None:
        if request.method == "GET":
            return redirect(url_for("console.sign_in", next=request.full_path.rstrip("?")))
        return redirect(url_for("console.sign_in"))
    session["seen"] = _stamp(now)
    g.console_manager = user
    return None


def _session_live(session_id: Any, manager_id: int, now: datetime) -> bool:
    """Whether the cookie's console session is the manager's and live (a cookie from
    before console sessions existed names none: signed out); its use is recorded when
    the request ends."""
    live = devices.live_session(session_id, user_id=manager_id, now=now) if isinstance(session_id, int) else None
    if live is None:
        return False
    guard.record_use(session_id, live.last_used_at, now)
    return True


def _end(reason: str, now: datetime) -> None:
    """End the cookie's sign-in: clear the cookie and revoke the session it names, so that
    no copy of the cookie outlives it (``reason``: :data:`lingo.services.console.SIGN_OUT_REASON` …)."""
    manager_id, session_id = session.get("manager_id"), session.get("console_session")
    session.clear()
    if isinstance(manager_id, int) and isinstance(session_id, int):
        try:
            console.end_sign_in(manager_id, session_id, reason=reason, now=now)
        except SQLAlchemyError:  # the browser is signed out all the same; the session ends at its expiry
            log.error("could not revoke console session %s (%s)", session_id, reason, exc_info=True)


def _account(kind: str, key: str) -> Account:
    return Account(kind, key)


def _parse_account(raw: str) -> Account:
    from ..dialects.platform.schemas import platform_account

    return platform_account("86", raw.strip())


def _safe_next(raw: str | None) -> str:
    """Only a path inside the console (no open redirect)."""
    if raw and raw.startswith("/admin") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return url_for("console.home")


@bp.get("/login")
def sign_in() -> str:
    """The first step's form."""
    return render_template("console/sign_in.html", next=request.args.get("next", ""))


@bp.post("/login")
@limits.password_login
def sign_in_post() -> Response | str:
    """Check the password, then send a code to the same phone or email."""
    raw, password = request.form.get("account", ""), request.form.get("password", "")

    def again() -> str:
        return render_template("console/sign_in.html", next=request.form.get("next", ""), account=raw)

    try:
        account = _parse_account(raw)
    except ValueError:
        flash("请输入正确的手机号或邮箱。", "error")
        return again()
    if not 1 <= len(password) <= MAX_PASSWORD:
        flash("请输入密码, 最多 128 个字符。", "error")
        return again()
    now = clock.now()
    try:
        manager_id = console.check_password(account, password, now=now)
    except DomainError as exc:
        flash(_sign_in_error(exc), "error")
        return again()
    session.clear()
    session["pending"] = {"manager_id": manager_id, "kind": account.kind, "key": account.key, "at": _stamp(now)}
    session["next"] = _safe_next(request.form.get("next"))
    _send_code(account)
    return redirect(url_for("console.code"))


def _sign_in_error(exc: DomainError) -> str:
    if exc.error in (Error.NOT_REGISTERED, Error.WRONG_PASSWORD, Error.PASSWORD_NOT_SET):
        return "账号或密码错误。"
    if exc.error is Error.FORBIDDEN:
        return "该账号没有管理后台权限。"
    return page_message(exc)


def _send_code(account: Account) -> bool:
    sender = email_sender() if account.kind == EMAIL else sms_sender()
    try:
        codes.send(account, ip=client_ip(), now=clock.now(), sender=sender)
    except DomainError as exc:
        flash(f"验证码发送失败, {page_message(exc)}", "error")
        return False
    flash("验证码已发送到" + ("邮箱" if account.kind == EMAIL else "手机") + "，请查收。", "info")
    return True


def _pending() -> tuple[Account, int] | None:
    pending = session.get("pending")
    if not isinstance(pending, dict) or _older_than(pending.get("at"), clock.now(), timedelta(minutes=PENDING_MINUTES)):
        return None
    return _account(str(pending["kind"]), str(pending["key"])), int(pending["manager_id"])


@bp.get("/login/code")
def code() -> Response | str:
    """The second step's form."""
    pending = _pending()
    if pending is None:
        return redirect(url_for("console.sign_in"))
    return render_template("console/sign_in_code.html", kind=pending[0].kind)


@bp.post("/login/code")
@limits.password_login
def code_post() -> Response | str:
    """Check the code; sign in. ``resend`` sends a new code instead."""
    pending = _pending()
    if pending is None:
        session.clear()
        flash("登录已超时，请重新输入密码。", "error")
        return redirect(url_for("console.sign_in"))
    account, manager_id = pending
    if request.form.get("resend"):
        _send_code(account)
        return redirect(url_for("console.code"))
    entered = request.form.get("code", "").strip()
    if not entered or len(entered) > 16:
        flash("请输入收到的验证码。", "error")
        return redirect(url_for("console.code"))
    now = clock.now()
    try:
        signed_in = console.check_code(account, entered, manager_id, ip=client_ip(), lifetime=_lifetime(), now=now)
    except DomainError as exc:
        flash("验证码错误或已失效。" if exc.error is Error.INVALID_CODE else page_message(exc), "error")
        return redirect(url_for("console.code"))
    target = _safe_next(session.get("next"))
    session.clear()
    session["manager_id"] = signed_in.user.id
    session["console_session"] = signed_in.session_id
    session["seen"] = _stamp(now)
    return redirect(target)


@bp.post("/logout")
def sign_out() -> Response:
    """Sign out (a form: POST with its CSRF token); audited."""
    _end(console.SIGN_OUT_REASON, clock.now())
    flash("已退出登录。", "info")
    return redirect(url_for("console.sign_in"))


@bp.get("/", strict_slashes=False)
def home() -> str:
    """The dashboard: the last 30 days (UTC) in charts and tables, and the open feedback."""
    from . import charts

    return render_template("console/home.html", board=dashboard.summary(now=clock.now()), charts=charts)
