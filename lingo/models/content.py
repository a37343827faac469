"""Platform content: FAQ, feedback and replies, push bindings and push messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime

FEEDBACK_OPEN = 0
FEEDBACK_REPLIED = 1

PUSH_SCOPE_ALL = 0
PUSH_SCOPE_USERS = 1

#: Binary (case-sensitive) collation of push client ids on MySQL/MariaDB.
CLIENT_ID_COLLATION = "utf8mb4_bin"

PUSH_PENDING = 0
PUSH_SENT = 1
PUSH_FAILED = 2


class Timestamps:
    """``app_id``, ``created_at`` and ``updated_at``, as every platform record has."""

    app_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Faq(Timestamps, Model):
    """A question and its answer, written by a manager."""

    __tablename__ = "faqs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64), default="")
    external_link: Mapped[str] = mapped_column(String(512), default="")


class FeedbackCategory(Timestamps, Model):
    """A kind of feedback users can pick."""

    __tablename__ = "feedback_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(255), default="")


class Feedback(Timestamps, Model):
    """A user's feedback; ``feedback_status`` 1 once a manager replied.

    ``closed_at`` / ``closed_by`` are the managers' housekeeping (the console's
    关闭): a closed feedback leaves the open count and the unanswered view.
    They are no part of the platform API, whose ``feedback_status`` stays
    0 open / 1 replied whether closed or not.
    """

    __tablename__ = "feedbacks"
    __table_args__ = (Index("ix_feedbacks_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    feedback_content: Mapped[str] = mapped_column(Text)
    feedback_status: Mapped[int] = mapped_column(SmallInteger, default=FEEDBACK_OPEN)
    feedback_category_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_categories.id", ondelete="SET NULL"), index=True
    )
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    #: When a manager closed it (naive UTC); ``None`` while it is not closed.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The manager who closed it; ``None`` while it is not closed.
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)


class FeedbackReply(Timestamps, Model):
    """A manager's answer to one feedback."""

    __tablename__ = "feedback_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedbacks.id", ondelete="CASCADE"), index=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reply_content: Mapped[str] = mapped_column(Text)
    is_read: Mapped[bool] = mapped_column(Boolean, default=False)


class PushBinding(Timestamps, Model):
    """A device's push client id, bound to the user who signed in on it last."""

    __tablename__ = "push_bindings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: Case-sensitive everywhere: MySQL/MariaDB's default collation would make
    #: ``abc`` and ``ABC`` one device (and let one user take over another's).
    client_id: Mapped[str] = mapped_column(
        String(128).with_variant(mysql.VARCHAR(128, collation=CLIENT_ID_COLLATION), "mysql", "mariadb"),
        unique=True,
    )
    client_type: Mapped[str] = mapped_column(String(16))
    switch: Mapped[bool] = mapped_column(Boolean, default=True)


class PushMessage(Timestamps, Model):
    """A push a manager sent: to everyone (scope 0) or to listed users (scope 1)."""

    __tablename__ = "push_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    push_title: Mapped[str] = mapped_column(String(255))
    push_body: Mapped[str] = mapped_column(Text)
    push_scope: Mapped[int] = mapped_column(SmallInteger, default=PUSH_SCOPE_ALL)
    manager_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    push_status: Mapped[int] = mapped_column(SmallInteger, default=PUSH_PENDING)


class PushRecipient(Model):
    """A user a scope-1 push was addressed to."""

    __tablename__ = "push_recipients"

    push_id: Mapped[int] = mapped_column(ForeignKey("push_messages.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class PushHidden(Model):
    """A push a user deleted from their own log."""

    __tablename__ = "push_hidden"

    push_id: Mapped[int] = mapped_column(ForeignKey("push_messages.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
