"""The admin web console's sign-in: a manager's password, then a code sent to the same account.

Two use cases, one per step, so that the code is sent (by the
:func:`lingo.services.codes.send` use case) only after the password step
has committed. Both apply the API's rules: the password lock-out and its
audit (:func:`lingo.services.accounts.check_password`), the code limits
and attempt caps (:mod:`lingo.services.codes`). The second step opens a
session (:func:`lingo.services.sessions.open_console_session`): what the
console's cookie names, checked live on every console request, so that a
sign-out, a revocation or a password change ends it on the server too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..errors import DomainError, Error
from ..extensions import db
from ..models import Feedback, FeedbackCategory, FeedbackReply, User
from ..models.content import FEEDBACK_OPEN
from ..models.user import ROLE_MANAGER
from . import accounts, audit, codes, lockout, pages, sessions
from .content import get_or_404
from .identity import Account
from .pages import Listing, Page, PageRequest
from .transaction import use_case

#: How the console's sign-in is audited (``sign_in.succeeded`` ``details.method``).
METHOD = "password+code"
#: ``session.revoked`` reasons of a console sign-in that ended: signed out, idle for
#: ``ADMIN_CONSOLE_IDLE_MINUTES``, or its holder no longer an active manager.
SIGN_OUT_REASON = "console_sign_out"
IDLE_REASON = "console_idle"
NOT_MANAGER_REASON = "console_not_manager"


def _manager(user: User | None) -> User:
    """``user`` when an active manager not pending deletion.

    :raises DomainError: ``FORBIDDEN``.
    """
    if user is None or user.role != ROLE_MANAGER or not user.is_active or user.delete_after is not None:
        raise DomainError(Error.FORBIDDEN)
    return user


@use_case
def check_password(account: Account, password: str, *, now: datetime) -> int:
    """The first step: the password of an active manager. Commits.

    :returns: the manager's id.
    :raises DomainError: what :func:`lingo.services.accounts.check_password`
        raises, or ``FORBIDDEN`` (audited) for anyone but a manager.
    """
    user = accounts.check_password(account, password, now=now)
    try:
        return _manager(user).id
    except DomainError as exc:
        audit.record(
            "sign_in.failed",
            now=now,
            user_id=user.id,
            account=account.key,
            details={"method": "password", "reason": exc.error.key},
            failure=True,
        )
        raise


@use_case
def end_sign_in(manager_id: int, session_id: int, *, reason: str, now: datetime) -> None:
    """A console sign-in ended (signed out, idle, no longer a manager): its session is revoked,
    audited as ``session.revoked`` ``{session_id, reason}`` when it was still live, with the
    manager as actor for a sign-out. Commits."""
    actor_id = manager_id if reason == SIGN_OUT_REASON else None
    sessions.revoke_one(session_id, user_id=manager_id, now=now, reason=reason, actor_id=actor_id)


@dataclass(frozen=True)
class ConsoleSignIn:
    """A manager signed in to the console: who, and the session the console's cookie names."""

    user: User
    session_id: int


@use_case
def check_code(
    account: Account, code: str, manager_id: int, *, ip: str, lifetime: timedelta, now: datetime
) -> ConsoleSignIn:
    """The second step: the code sent to ``account``, which must still be the manager's; opens a
    console session that lasts at most ``lifetime`` (:func:`lingo.services.sessions.open_console_session`).
    Commits.

    :raises DomainError: ``INVALID_CODE`` (counted), ``FORBIDDEN``.
    """
    codes.verify(account, code, use=codes.LOGIN, ip=ip, now=now)
    user = _manager(db.session.get(User, manager_id))
    if account.key not in (user.e164, user.email):
        raise DomainError(Error.FORBIDDEN)
    lockout.clear(account)
    session_id = sessions.open_console_session(user, ip=ip, lifetime=lifetime, now=now)
    audit.record("sign_in.succeeded", now=now, user_id=user.id, details={"method": METHOD, "session_id": session_id})
    return ConsoleSignIn(user, session_id)


def inbox_page(
    request: PageRequest,
    *,
    status: int | None = None,
    closed: bool | None = False,
    category_id: int | None = None,
) -> Page[Feedback]:
    """Everyone's feedback for the console's inbox: unanswered first, then newest first, optionally filtered.

    :param status: ``feedback_status`` 0 (open) or 1 (replied); ``None`` for both.
    :param closed: ``False`` (the default view) leaves closed feedback out,
        ``True`` lists only closed feedback (most recently closed first),
        ``None`` lists both (closed after the rest).
    """
    if closed:
        query = select(Feedback).where(Feedback.closed_at.is_not(None))
        query = query.order_by(Feedback.closed_at.desc(), Feedback.id.desc())
    else:
        unanswered_first = (Feedback.closed_at.is_not(None).asc(), (Feedback.feedback_status != FEEDBACK_OPEN).asc())
        query = select(Feedback).order_by(*unanswered_first, Feedback.id.desc())
        if closed is not None:
            query = query.where(Feedback.closed_at.is_(None))
    if status is not None:
        query = query.where(Feedback.feedback_status == status)
    if category_id is not None:
        query = query.where(Feedback.feedback_category_id == category_id)
    return pages.fetch(Listing(query), request)


def thread(feedback_id: int) -> tuple[Feedback, list[FeedbackReply]]:
    """A feedback and its replies, oldest first.

    :raises DomainError: ``NOT_FOUND``.
    """
    feedback = get_or_404(Feedback, feedback_id)
    replies = db.session.execute(
        select(FeedbackReply).where(FeedbackReply.feedback_id == feedback_id).order_by(FeedbackReply.id)
    )
    return feedback, list(replies.scalars())


def categories() -> list[FeedbackCategory]:
    """Every feedback category (for the inbox's filter)."""
    return list(db.session.execute(select(FeedbackCategory).order_by(FeedbackCategory.id)).scalars())
