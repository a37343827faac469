"""Feedback: users file it and read replies; managers list it and reply."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import Select, bindparam, delete, func, select, update

from ..errors import DomainError, Error, invalid
from ..extensions import db
from ..models import Feedback, FeedbackCategory, FeedbackReply, User
from ..models.content import FEEDBACK_REPLIED
from .content import get_or_404, stamps


def lock_user(user_id: int) -> None:
    """Lock the user's row until the transaction ends.

    A per-user cap is a count followed by an insert: without the lock,
    parallel requests of one user would all count the same number and all
    insert. The count must be a statement of its own after this one, so that
    it reads what the request that held the lock committed.
    """
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def file_feedback(
    user_id: int, content: str, *, category_id: int | None, contact_phone: str, now: datetime, limit: int
) -> Feedback:
    """File a user's feedback; a user has at most ``limit`` feedback items at once. Commits.

    :raises DomainError: ``INVALID_INPUT`` when ``category_id`` names no category;
        ``FORBIDDEN`` when the user already has ``limit`` items (deleting one
        frees a place).
    """
    if category_id is not None and db.session.get(FeedbackCategory, category_id) is None:
        raise invalid(["body", "feedback_category_id"], "Feedback category does not exist")
    lock_user(user_id)
    filed = db.session.execute(select(func.count(Feedback.id)).where(Feedback.user_id == user_id)).scalar_one()
    if filed >= limit:
        db.session.rollback()
        # FORBIDDEN: the platform table has no quota code; 10003 (403) says
        # "this user may not do this" and is not retried like a 429 would be.
        raise DomainError(Error.FORBIDDEN, f"反馈数量已达上限 ({limit} 条), 请先删除不需要的反馈")
    feedback = Feedback(
        user_id=user_id,
        feedback_content=content,
        feedback_status=0,
        feedback_category_id=category_id,
        contact_phone=contact_phone,
        **stamps(now),
    )
    db.session.add(feedback)
    db.session.commit()
    return feedback


@lru_cache(maxsize=1)
def own_feedback_query() -> Select:
    """The feedback of the user ``:user_id``, newest first, as rows of the table's columns.

    Built once (a bind parameter for the user); rows, not ORM objects.
    """
    table = Feedback.__table__
    return select(table).where(table.c.user_id == bindparam("user_id")).order_by(table.c.id.desc())


def own_feedback(user_id: int, feedback_id: int) -> Feedback:
    """One feedback of the user's own.

    :raises DomainError: ``NOT_FOUND`` when it does not exist or belongs to someone else.
    """
    feedback = db.session.get(Feedback, feedback_id)
    if feedback is None or feedback.user_id != user_id:
        raise DomainError(Error.NOT_FOUND)
    return feedback


def delete_own_feedback(user_id: int, feedback_id: int) -> None:
    """Delete one of the user's own feedback and its replies. Commits.

    :raises DomainError: ``NOT_FOUND`` (also for someone else's feedback).
    """
    feedback = own_feedback(user_id, feedback_id)
    db.session.execute(delete(FeedbackReply).where(FeedbackReply.feedback_id == feedback.id))
    db.session.delete(feedback)
    db.session.commit()


def latest_reply(user_id: int, feedback_id: int) -> FeedbackReply:
    """The latest reply to one of the user's own feedback.

    :raises DomainError: ``NOT_FOUND`` when the feedback is not theirs or has no reply.
    """
    own_feedback(user_id, feedback_id)
    reply = db.session.execute(
        select(FeedbackReply).where(FeedbackReply.feedback_id == feedback_id).order_by(FeedbackReply.id.desc()).limit(1)
    ).scalar_one_or_none()
    if reply is None:
        raise DomainError(Error.NOT_FOUND)
    return reply


def mark_replies_read(user_id: int, feedback_id: int, *, now: datetime) -> None:
    """Mark every reply to one of the user's own feedback as read. Commits."""
    own_feedback(user_id, feedback_id)
    db.session.execute(
        update(FeedbackReply)
        .where(FeedbackReply.feedback_id == feedback_id, FeedbackReply.is_read.is_(False))
        .values(is_read=True, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def unread_reply_count(user_id: int) -> int:
    """How many replies to the user's feedback they have not read yet."""
    return db.session.execute(
        select(func.count(FeedbackReply.id))
        .join(Feedback, FeedbackReply.feedback_id == Feedback.id)
        .where(Feedback.user_id == user_id, FeedbackReply.is_read.is_(False))
    ).scalar_one()


def feedback_query(*, status: int | None = None, category_id: int | None = None, user_id: int | None = None) -> Select:
    """Everyone's feedback for managers, newest first, optionally filtered."""
    query = select(Feedback).order_by(Feedback.id.desc())
    if status is not None:
        query = query.where(Feedback.feedback_status == status)
    if category_id is not None:
        query = query.where(Feedback.feedback_category_id == category_id)
    if user_id is not None:
        query = query.where(Feedback.user_id == user_id)
    return query


def reply(feedback_id: int, manager_id: int, content: str, *, now: datetime) -> FeedbackReply:
    """A manager answers a feedback; it becomes ``feedback_status`` 1 (replied). Commits.

    :raises DomainError: ``NOT_FOUND``.
    """
    feedback = get_or_404(Feedback, feedback_id)
    answer = FeedbackReply(
        feedback_id=feedback.id, manager_id=manager_id, reply_content=content, is_read=False, **stamps(now)
    )
    feedback.feedback_status = FEEDBACK_REPLIED
    feedback.updated_at = now
    db.session.add(answer)
    db.session.commit()
    return answer
