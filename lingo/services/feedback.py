"""Feedback: users file it and read replies; managers list it, reply, close and reopen it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, Update, bindparam, delete, func, select, update

from ..database import changed
from ..errors import DomainError, Error, invalid
from ..extensions import db
from ..models import Feedback, FeedbackCategory, FeedbackReply, User
from ..models.content import FEEDBACK_REPLIED
from ..settings import current as settings
from . import audit, pages
from .content import get_or_404, stamps
from .json_rows import JsonFields
from .pages import Listing, Page, PageRequest
from .transaction import use_case

_feedbacks = cast(Table, Feedback.__table__)
_replies = cast(Table, FeedbackReply.__table__)
_users = cast(Table, User.__table__)

#: Lock the row of the user ``:user_id`` until the transaction ends.
LOCK_USER = select(_users.c.id).where(_users.c.id == bindparam("user_id")).with_for_update()
#: How many feedback items the user ``:user_id`` has.
FEEDBACK_COUNT = select(func.count(_feedbacks.c.id)).where(_feedbacks.c.user_id == bindparam("user_id"))
#: The columns of a feedback the platform shows (:func:`lingo.web.records.feedback`), no more.
FEEDBACK_FIELDS = (
    "id", "app_id", "created_at", "updated_at", "feedback_content", "feedback_status",
    "feedback_category_id", "contact_phone", "user_id",
)  # fmt: skip
#: Those columns as one JSON column (:mod:`.json_rows`): the MySQL driver decodes every
#: column of every row of a page in Python (a page of 20 read as 9 columns each cost
#: about twice as much in the driver).
_FEEDBACK_JSON = JsonFields.of(_feedbacks, FEEDBACK_FIELDS)
#: The feedback of the user ``:user_id``, newest first, each item a tuple of one ``record`` (JSON), read on the driver.
OWN_FEEDBACK: Listing[Any] = Listing(
    select(_FEEDBACK_JSON.expression.label("record"))
    .where(_feedbacks.c.user_id == bindparam("user_id"))
    .order_by(_feedbacks.c.id.desc()),
    direct=True,
)


class FeedbackItem(NamedTuple):
    """A feedback as the platform shows it: :data:`FEEDBACK_FIELDS`, read-only (no ORM object).

    A named tuple, not a frozen dataclass: a page builds twenty, and a frozen dataclass
    sets each field through ``object.__setattr__`` (twice the time).
    """

    id: int
    app_id: str
    created_at: datetime
    updated_at: datetime
    feedback_content: str
    feedback_status: int
    feedback_category_id: int | None
    contact_phone: str
    user_id: int


#: Delete every reply to the feedback ``:feedback_id``.
DELETE_REPLIES = delete(_replies).where(_replies.c.feedback_id == bindparam("feedback_id"))
#: The latest reply to the feedback ``:feedback_id``.
LATEST_REPLY = (
    select(FeedbackReply)
    .where(FeedbackReply.feedback_id == bindparam("feedback_id"))
    .order_by(FeedbackReply.id.desc())
    .limit(1)
)
#: Mark every unread reply to the feedback ``:answered`` read at ``:now`` (an UPDATE's
#: bind parameters cannot be named after the table's columns).
MARK_REPLIES_READ = (
    update(_replies)
    .where(_replies.c.feedback_id == bindparam("answered"), _replies.c.is_read.is_(False))
    .values(is_read=True, updated_at=bindparam("now", type_=_replies.c.updated_at.type))
)
#: Close the feedback ``:feedback_id`` at ``:now`` by the manager ``:manager_id``, unless it is closed.
#: ``updated_at`` is left alone: closing is no change the user sees through the platform API.
CLOSE = (
    update(_feedbacks)
    .where(_feedbacks.c.id == bindparam("feedback_id"), _feedbacks.c.closed_at.is_(None))
    .values(
        closed_at=bindparam("now", type_=_feedbacks.c.closed_at.type),
        closed_by=bindparam("manager_id", type_=_feedbacks.c.closed_by.type),
    )
)
#: Reopen the feedback ``:feedback_id``, if it is closed.
REOPEN = (
    update(_feedbacks)
    .where(_feedbacks.c.id == bindparam("feedback_id"), _feedbacks.c.closed_at.is_not(None))
    .values(closed_at=None, closed_by=None)
)
#: How many replies to the feedback of the user ``:user_id`` are unread.
UNREAD_REPLY_COUNT = (
    select(func.count(_replies.c.id))
    .join(_feedbacks, _replies.c.feedback_id == _feedbacks.c.id)
    .where(_feedbacks.c.user_id == bindparam("user_id"), _replies.c.is_read.is_(False))
)


def lock_user(user_id: int) -> None:
    """Lock the user's row until the transaction ends (does not commit).

    A per-user cap is a count followed by an insert: without the lock,
    parallel requests of one user would all count the same number and all
    insert. The count must be a statement of its own after this one, so that
    it reads what the request that held the lock committed.
    """
    db.session.execute(LOCK_USER, {"user_id": user_id})


@use_case
def file_feedback(
    user_id: int, content: str, *, category_id: int | None, contact_phone: str, now: datetime
) -> Feedback:
    """File a user's feedback; a user has at most ``FEEDBACK_PER_USER_MAX`` items at once. Commits.

    :raises DomainError: ``INVALID_INPUT`` when ``category_id`` names no category;
        ``FORBIDDEN`` when the user already has that many items (deleting one
        frees a place).
    """
    limit = settings().feedback_per_user_max
    if category_id is not None and db.session.get(FeedbackCategory, category_id) is None:
        raise invalid(["body", "feedback_category_id"], "Feedback category does not exist")
    lock_user(user_id)
    filed = db.session.execute(FEEDBACK_COUNT, {"user_id": user_id}).scalar_one()
    if filed >= limit:
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
    return feedback


def own_page(user_id: int, request: PageRequest) -> Page[FeedbackItem]:
    """A page of the user's own feedback, newest first, as :class:`FeedbackItem` (not ORM objects)."""
    page = pages.fetch(OWN_FEEDBACK, request, {"user_id": user_id})
    return replace(page, items=[FeedbackItem(**_FEEDBACK_JSON.values(record)) for (record,) in page.items])


def own_feedback(user_id: int, feedback_id: int) -> Feedback:
    """One feedback of the user's own.

    :raises DomainError: ``NOT_FOUND`` when it does not exist or belongs to someone else.
    """
    feedback = db.session.get(Feedback, feedback_id)
    if feedback is None or feedback.user_id != user_id:
        raise DomainError(Error.NOT_FOUND)
    return feedback


@use_case
def delete_own_feedback(user_id: int, feedback_id: int) -> None:
    """Delete one of the user's own feedback and its replies. Commits.

    :raises DomainError: ``NOT_FOUND`` (also for someone else's feedback).
    """
    feedback = own_feedback(user_id, feedback_id)
    db.session.execute(DELETE_REPLIES, {"feedback_id": feedback.id})
    db.session.delete(feedback)


def latest_reply(user_id: int, feedback_id: int) -> FeedbackReply:
    """The latest reply to one of the user's own feedback.

    :raises DomainError: ``NOT_FOUND`` when the feedback is not theirs or has no reply.
    """
    own_feedback(user_id, feedback_id)
    reply = db.session.execute(LATEST_REPLY, {"feedback_id": feedback_id}).scalar_one_or_none()
    if reply is None:
        raise DomainError(Error.NOT_FOUND)
    return reply


@use_case
def mark_replies_read(user_id: int, feedback_id: int, *, now: datetime) -> None:
    """Mark every reply to one of the user's own feedback as read. Commits.

    :raises DomainError: ``NOT_FOUND`` when the feedback is not theirs.
    """
    own_feedback(user_id, feedback_id)
    db.session.execute(MARK_REPLIES_READ, {"answered": feedback_id, "now": now})


def unread_reply_count(user_id: int) -> int:
    """How many replies to the user's feedback they have not read yet."""
    return db.session.execute(UNREAD_REPLY_COUNT, {"user_id": user_id}).scalar_one()


def page(
    request: PageRequest, *, status: int | None = None, category_id: int | None = None, user_id: int | None = None
) -> Page[Feedback]:
    """A page of everyone's feedback for managers, newest first, optionally filtered.

    The statement depends on which filters are given: it is built per call.
    """
    query = select(Feedback).order_by(Feedback.id.desc())
    if status is not None:
        query = query.where(Feedback.feedback_status == status)
    if category_id is not None:
        query = query.where(Feedback.feedback_category_id == category_id)
    if user_id is not None:
        query = query.where(Feedback.user_id == user_id)
    return pages.fetch(Listing(query), request)


@use_case
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
    audit.record(
        "admin.feedback_replied",
        now=now,
        user_id=feedback.user_id,
        actor_id=manager_id,
        details={"feedback_id": feedback.id},
    )
    return answer


def _set_closed(
    statement: Update, params: dict[str, Any], event: str, feedback_id: int, manager_id: int, now: datetime
) -> bool:
    """Run :data:`CLOSE` or :data:`REOPEN`; audit ``event`` when it changed the feedback."""
    feedback = get_or_404(Feedback, feedback_id)
    if not changed(statement, {"feedback_id": feedback.id, **params}):
        return False
    db.session.expire(feedback)
    audit.record(event, now=now, user_id=feedback.user_id, actor_id=manager_id, details={"feedback_id": feedback_id})
    return True


@use_case
def close(feedback_id: int, manager_id: int, *, now: datetime) -> bool:
    """A manager closes a feedback (housekeeping: it leaves the open count and the unanswered view). Commits.

    ``feedback_status`` (0 open / 1 replied, the platform API's field) and
    ``updated_at`` are left as they are: the user's ``/api/feedback`` does not
    change. Audited as ``admin.feedback_closed`` with the manager as actor.

    :returns: ``False`` when it was closed already (nothing changed, nothing audited).
    :raises DomainError: ``NOT_FOUND``.
    """
    params = {"manager_id": manager_id, "now": now}
    return _set_closed(CLOSE, params, "admin.feedback_closed", feedback_id, manager_id, now)


@use_case
def reopen(feedback_id: int, manager_id: int, *, now: datetime) -> bool:
    """A manager reopens a closed feedback: it counts as open (or replied) again. Commits.

    Audited as ``admin.feedback_reopened`` with the manager as actor.

    :returns: ``False`` when it was not closed (nothing changed, nothing audited).
    :raises DomainError: ``NOT_FOUND``.
    """
    return _set_closed(REOPEN, {}, "admin.feedback_reopened", feedback_id, manager_id, now)
