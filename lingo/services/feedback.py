"""Feedback: users file it and read replies; managers list it and reply."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import Select, bindparam, delete, func, select, update

from ..errors import DomainError, Error, invalid
from ..extensions import db
from ..models import Feedback, FeedbackCategory, FeedbackReply
from ..models.content import FEEDBACK_REPLIED
from .content import get_or_404, stamps


def file_feedback(
    user_id: int, content: str, *, category_id: int | None, contact_phone: str, now: datetime
) -> Feedback:
    """File a user's feedback. Commits.

    :raises DomainError: ``INVALID_INPUT`` when ``category_id`` names no category.
    """
    if category_id is not None and db.session.get(FeedbackCategory, category_id) is None:
        raise invalid(["body", "feedback_category_id"], "Feedback category does not exist")
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
        select(FeedbackReply).where(FeedbackReply.feedback_id == feedback_id)
        .order_by(FeedbackReply.id.desc()).limit(1)
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


def feedback_query(
    *, status: int | None = None, category_id: int | None = None, user_id: int | None = None
) -> Select:
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
