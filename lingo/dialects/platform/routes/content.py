"""Platform FAQ and feedback routes (``docs/dialects/platform.md``); Token auth on every one."""

from __future__ import annotations

from flask import Response

from .... import clock
from ....services import content, feedback
from ....web import guard, pagination, records
from ....web.parsing import json_body, load
from ....web.query import record_id
from .. import bp
from ..render import ok
from ..schemas import FeedbackSchema


@bp.get("/api/faq")
def faq_list() -> Response:
    """``GET /api/faq?page_no&page_size``: a page of FAQ entries."""
    guard.current_user_id()
    return ok(pagination.render(content.faq_page(pagination.page_request()), records.faq))


@bp.get("/api/faq/<raw_id>")
def faq_detail(raw_id: str) -> Response:
    """``GET /api/faq/{id}``: one FAQ entry (10001 when there is none)."""
    guard.current_user_id()
    return ok(records.faq(content.faq(record_id(raw_id))))


@bp.get("/api/feedback_category")
def feedback_categories() -> Response:
    """``GET /api/feedback_category?page_no&page_size``: a page of feedback categories."""
    guard.current_user_id()
    return ok(pagination.render(content.category_page(pagination.page_request()), records.category))


@bp.post("/api/feedback")
def feedback_file() -> Response:
    """``POST /api/feedback {feedback_content, feedback_category_id?, contact_phone?}``: the new feedback.

    A user has at most ``FEEDBACK_PER_USER_MAX`` feedback items; past it, 10003 (403).
    """
    user_id = guard.current_user_id()
    args = load(FeedbackSchema, json_body())
    filed = feedback.file_feedback(
        user_id,
        args["feedback_content"],
        category_id=args["feedback_category_id"],
        contact_phone=args["contact_phone"],
        now=clock.now(),
    )
    return ok(records.feedback(filed))


@bp.get("/api/feedback")
def feedback_list() -> Response:
    """``GET /api/feedback?page_no&page_size``: the user's own feedback, newest first."""
    user_id = guard.current_user_id()
    return ok(pagination.render(feedback.own_page(user_id, pagination.page_request()), records.feedback))


@bp.delete("/api/feedback/<raw_id>")
def feedback_delete(raw_id: str) -> Response:
    """``DELETE /api/feedback/{id}``: delete one's own feedback (10001 for anyone else's)."""
    user_id = guard.current_user_id()
    feedback.delete_own_feedback(user_id, record_id(raw_id))
    return ok()


@bp.get("/api/feedback/reply/<raw_id>")
def feedback_reply(raw_id: str) -> Response:
    """``GET /api/feedback/reply/{feedback_id}``: the latest reply, shown as it was, then marked read."""
    user_id = guard.current_user_id()
    feedback_id = record_id(raw_id)
    data = records.reply(feedback.latest_reply(user_id, feedback_id))
    feedback.mark_replies_read(user_id, feedback_id, now=clock.now())
    return ok(data)
