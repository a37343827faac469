"""Sign-in sessions and the hashed tokens that point at them (docs/contract.md §4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime
from .user import User

ACCESS = "access"
REFRESH = "refresh"
#: Stored length of a session's ``User-Agent``.
USER_AGENT_MAX = 255


class Session(Model):
    """One sign-in. Revoking it kills every token it issued."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The dialect that created it: ``modern``, ``platform``, ``v4``, ``its``.
    client: Mapped[str] = mapped_column(String(16))
    ip: Mapped[str] = mapped_column(String(45), default="")
    #: The client's ``User-Agent`` as it signed in, cut to :data:`USER_AGENT_MAX` characters.
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The session ends with its last refresh token. Indexed, like ``revoked_at``, for the
    #: retention purge (``flask purge``), which looks for sessions ended long ago.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: The last authenticated request, written at most once a minute (``None``: none since sign-in).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class SessionToken(Model):
    """An access or refresh token, stored only as its SHA-256."""

    __tablename__ = "session_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Indexed for the retention purge (tokens expired long ago).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: Set when a refresh token is rotated, or killed by a grace retry of its
    #: parent; presenting it again is reuse.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The refresh token this token's pair was issued for (``None`` for a
    #: sign-in's first pair): a grace retry of that parent kills its unspent
    #: child. No foreign key: tokens only ever go with their session, and a
    #: self-reference would add cascade work to every session delete.
    parent_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: When the one grace retry of this (rotated) refresh token was taken.
    retried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[Session] = relationship()
