"""Console users: search, a user's page, and what a manager does to them (each audited, the manager as actor)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .. import clock
from ..errors import DomainError
from ..extensions import db
from ..models import User
from ..models.user import ROLE_MANAGER, ROLE_USER
from ..services import devices, lifecycle, managers
from ..services.pages import Page, PageRequest
from . import bp, page_message
from .auth import manager

#: Items on a page of every console list.
PAGE_SIZE = 20


def page_request() -> PageRequest:
    """The ``page`` query argument (bad or missing: 1)."""
    raw = request.args.get("page", "1")
    number = int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1
    return PageRequest(max(number, 1), PAGE_SIZE)


def pager_args() -> dict[str, str]:
    """The query arguments a pager link keeps (all but ``page``)."""
    return {k: v for k, v in request.args.items() if k != "page"}


@bp.get("/users")
def users() -> str:
    """Search by phone, email, nickname (``q``), or an id (``q`` = ``#123`` or digits)."""
    q = request.args.get("q", "").strip()[:100]
    found: Page[User] = managers.users_page(q, page_request())
    by_id = None
    if q.lstrip("#").isdigit() and len(q) < 12:
        by_id = db.session.get(User, int(q.lstrip("#")))
    return render_template("console/users.html", q=q, page=found, by_id=by_id, args=pager_args())


@bp.get("/users/<int:user_id>")
def user(user_id: int) -> str:
    """A user's page: profile, enterprise, live sessions, state, and the forms that change them."""
    target = managers.get_user(user_id)
    sessions = devices.user_sessions_page(user_id, page_request(), now=clock.now())
    return render_template(
        "console/user.html", user=target, sessions=sessions, args=pager_args(), ROLE_MANAGER=ROLE_MANAGER
    )


def _act(user_id: int, action: Callable[[], Any], done: str) -> Response:
    """Run ``action``; show ``done`` or the refusal in words on the user's page."""
    try:
        action()
    except DomainError as exc:
        flash(page_message(exc), "error")
    else:
        flash(done, "info")
    return redirect(url_for("console.user", user_id=user_id))


@bp.post("/users/<int:user_id>/active")
def user_active(user_id: int) -> Response:
    """Enable (``active=1``) or disable (``active=0``: every session ends) a user."""
    active = request.form.get("active") == "1"
    return _act(
        user_id,
        lambda: managers.manage_user(manager(), user_id, active=active, now=clock.now()),
        "已启用该用户。" if active else "已停用该用户, 其所有登录已失效。",
    )


@bp.post("/users/<int:user_id>/role")
def user_role(user_id: int) -> Response:
    """Make the user a manager (``role=1``) or a plain user (``role=0``)."""
    role = ROLE_MANAGER if request.form.get("role") == "1" else ROLE_USER
    return _act(
        user_id,
        lambda: managers.manage_role(manager(), user_id, role, now=clock.now()),
        "已设为管理员。" if role == ROLE_MANAGER else "已设为普通用户。",
    )


@bp.post("/users/<int:user_id>/sessions/<int:session_id>/revoke")
def user_session_revoke(user_id: int, session_id: int) -> Response:
    """Sign one live session of the user out."""
    return _act(
        user_id,
        lambda: devices.revoke(
            session_id, user_id=user_id, now=clock.now(), reason=devices.REVOKED_BY_MANAGER, actor_id=manager().id
        ),
        "已注销该登录。",
    )


@bp.post("/users/<int:user_id>/sessions/revoke")
def user_sessions_revoke(user_id: int) -> Response:
    """Sign every live session of the user out."""
    return _act(
        user_id, lambda: devices.revoke_all(user_id, actor_id=manager().id, now=clock.now()), "已注销该用户的所有登录。"
    )


@bp.post("/users/<int:user_id>/deletion")
def user_deletion(user_id: int) -> Response:
    """Start (``action=start``) or cancel (``action=cancel``) the user's account deletion."""
    if request.form.get("action") == "cancel":
        undo = "已撤销注销, 用户需重新登录。"
        return _act(user_id, lambda: lifecycle.cancel_by_manager(manager(), user_id, now=clock.now()), undo)
    return _act(
        user_id,
        lambda: lifecycle.delete_by_manager(manager(), user_id, now=clock.now()),
        "已发起注销: 该用户的所有登录已失效, 到期后账号将被清除。",
    )
