"""Console feedback inbox: unanswered first, filters by status and category, a thread, a reply."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .. import clock
from ..errors import DomainError
from ..services import console, feedback
from . import bp, page_message
from .auth import manager
from .users import page_request, pager_args

#: Longest reply (the admin API's limit).
MAX_REPLY = 2000


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.get("/feedback")
def inbox() -> str:
    """Everyone's feedback, unanswered first; ``status`` (0 open, 1 replied) and ``category`` filters."""
    status, category = _int_arg("status"), _int_arg("category")
    found = console.inbox_page(page_request(), status=status, category_id=category)
    return render_template(
        "console/inbox.html",
        page=found,
        status=status,
        category=category,
        categories=console.categories(),
        args=pager_args(),
    )


@bp.get("/feedback/<int:feedback_id>")
def thread(feedback_id: int) -> str:
    """One feedback with its replies, and the reply form."""
    item, replies = console.thread(feedback_id)
    return render_template("console/thread.html", item=item, replies=replies, max_reply=MAX_REPLY)


@bp.post("/feedback/<int:feedback_id>/reply")
def reply(feedback_id: int) -> Response:
    """Answer the feedback (it becomes replied; the user sees it in ``/api/message/count``)."""
    content = request.form.get("reply_content", "").strip()
    if not content or len(content) > MAX_REPLY:
        flash(f"请填写回复内容, 最多 {MAX_REPLY} 个字。", "error")
    else:
        try:
            feedback.reply(feedback_id, manager().id, content, now=clock.now())
        except DomainError as exc:
            flash(page_message(exc), "error")
        else:
            flash("已回复。", "info")
    return redirect(url_for("console.thread", feedback_id=feedback_id))
