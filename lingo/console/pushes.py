"""Console pushes: compose (everyone or listed user ids), preview, send through the push sender, history."""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .. import clock
from ..errors import DomainError
from ..models.content import PUSH_SENT
from ..senders import push_sender
from ..services import pushes
from . import bp, page_message
from .auth import manager
from .users import page_request, pager_args

#: The admin API's limits (``PushSchema``).
MAX_TITLE, MAX_BODY, MAX_IDS = 255, 2000, 1000
#: Ids are separated by commas, spaces or new lines.
_SEPARATORS = re.compile("[\\s,;\uff0c\uff1b]+")  # also the full-width comma and semicolon


def parse_ids(raw: str) -> list[int]:
    """The user ids typed in the form.

    :raises ValueError: when something is not an id, or there are none or too many.
    """
    parts = [part.lstrip("#") for part in _SEPARATORS.split(raw.strip()) if part]
    if not parts or len(parts) > MAX_IDS or not all(p.isdigit() and 0 < len(p) < 10 and int(p) > 0 for p in parts):
        raise ValueError(raw)
    return sorted({int(p) for p in parts})


def _compose(values: dict[str, str], preview: dict[str, object] | None = None) -> str:
    return render_template(
        "console/pushes.html",
        values=values,
        preview=preview,
        page=pushes.all_page(page_request()),
        args=pager_args(),
        max_title=MAX_TITLE,
        max_body=MAX_BODY,
    )


@bp.get("/pushes")
def pushes_page() -> str:
    """The compose form and every push sent, newest first, with its status."""
    return _compose({"title": "", "body": "", "audience": "all", "user_ids": ""})


@bp.post("/pushes")
def push_send() -> Response | str:
    """Check the form; ``preview`` shows the push and its audience, else send it through the push sender."""
    values = {name: request.form.get(name, "").strip() for name in ("title", "body", "audience", "user_ids")}
    title, body = values["title"], values["body"]
    user_ids: list[int] | None = None
    if not title or len(title) > MAX_TITLE or not body or len(body) > MAX_BODY:
        flash(f"请填写标题 (最多 {MAX_TITLE} 个字) 和内容 (最多 {MAX_BODY} 个字)。", "error")
        return _compose(values)
    if values["audience"] == "users":
        try:
            user_ids = parse_ids(values["user_ids"])
        except ValueError:
            flash(f"请填写用户 ID (数字, 用逗号或空格分隔, 最多 {MAX_IDS} 个)。", "error")
            return _compose(values)
    if request.form.get("preview"):
        return _compose(values, preview={"title": title, "body": body, "user_ids": user_ids})
    try:
        push = pushes.send(manager().id, title, body, user_ids, now=clock.now(), sender=push_sender())
    except DomainError as exc:
        flash(page_message(exc), "error")
        return _compose(values)
    if push.push_status == PUSH_SENT:
        flash(f"推送 {push.id} 已发送。", "info")
    else:
        flash(f"推送 {push.id} 已记录, 但推送服务发送失败。", "error")
    return redirect(url_for("console.pushes_page"))
