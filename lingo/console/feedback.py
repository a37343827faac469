"""Console feedback inbox: unanswered first, filters by status and category, a thread, a reply, close / reopen."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .. import clock
from ..errors import DomainError
from ..models.content import FEEDBACK_OPEN, FEEDBACK_REPLIED
from ..services import console, feedback
from . import bp, page_message
from .auth import manager
from .users import page_request, pager_args

#: Longest reply (the admin API's limit).
MAX_REPLY = 2000


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


#: The inbox's ``status`` choices: ``(feedback_status, closed)`` for :func:`lingo.services.console.inbox_page`.
#: No ``status`` (the default view): everything but closed feedback, unanswered first.
STATUS_FILTERS: dict[str, tuple[int | None, bool | None]] = {
    "": (None, False),
    "0": (FEEDBACK_OPEN, False),
    "1": (FEEDBACK_REPLIED, False),
    "closed": (None, True),
    "all": (None, None),
}


@bp.get("/feedback")
def inbox() -> str:
    """Everyone's feedback, unanswered first; ``status`` (:data:`STATUS_FILTERS`) and ``category`` filters."""
    status = request.args.get("status", "")
    if status not in STATUS_FILTERS:
        status = ""
    feedback_status, closed = STATUS_FILTERS[status]
    category = _int_arg("category")
    found = console.inbox_page(page_request(), status=feedback_status, closed=closed, category_id=category)
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


def _close_or_reopen(feedback_id: int, closing: bool) -> Response:
    """Close or reopen the feedback; say what happened (or why not) on its page."""
    action = feedback.close if closing else feedback.reopen
    try:
        done = action(feedback_id, manager().id, now=clock.now())
    except DomainError as exc:
        flash(page_message(exc), "error")
    else:
        if closing:
            flash("已关闭。" if done else "这条反馈已经关闭了。", "info")
        else:
            flash("已重新打开。" if done else "这条反馈没有关闭, 无需重新打开。", "info")
    return redirect(url_for("console.thread", feedback_id=feedback_id))


@bp.post("/feedback/<int:feedback_id>/close")
def close(feedback_id: int) -> Response:
    """Close the feedback: it leaves the open count and the default inbox (the user sees no change)."""
    return _close_or_reopen(feedback_id, closing=True)


@bp.post("/feedback/<int:feedback_id>/reopen")
def reopen(feedback_id: int) -> Response:
    """Reopen a closed feedback."""
    return _close_or_reopen(feedback_id, closing=False)
