"""The one user table every dialect shares (docs/contract.md §2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime

if TYPE_CHECKING:
    from .enterprise import Enterprise, EnterpriseApplication

ROLE_USER = 0
ROLE_MANAGER = 1
GENDER_UNDISCLOSED = 2


class User(Model):
    """A person. Phone (E.164) and email are both unique identifiers."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: 32 lowercase hex, the legacy v4 ``user_id``.
    user_id: Mapped[str] = mapped_column(String(32), unique=True)
    #: 40 random alphanumerics, the platform ``openid``.
    openid: Mapped[str] = mapped_column(String(40), unique=True)
    #: Country calling code without ``+`` (``"86"``); ``""`` for email-only users.
    area: Mapped[str] = mapped_column(String(8), default="")
    #: National significant number; ``""`` for email-only users.
    phone: Mapped[str] = mapped_column(String(20), default="")
    #: ``+<cc><number>``; the phone identity.
    e164: Mapped[str | None] = mapped_column(String(20), unique=True)
    #: Lower-cased email address; the email identity.
    email: Mapped[str | None] = mapped_column(String(191), unique=True)
    #: The phone or email the person registered with.
    username: Mapped[str] = mapped_column(String(191))
    #: Display name: v4 ``name`` and platform ``nickname``.
    nickname: Mapped[str] = mapped_column(String(64), default="")
    avatar: Mapped[str] = mapped_column(String(512), default="")
    gender: Mapped[int] = mapped_column(SmallInteger, default=GENDER_UNDISCLOSED)
    birthday: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[int] = mapped_column(SmallInteger, default=ROLE_USER)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    permissions: Mapped[list] = mapped_column(JSON, default=list)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    #: The device identifier the v4 app sent last.
    device_identifier: Mapped[str] = mapped_column(String(128), default="")
    app_id: Mapped[str] = mapped_column(String(64), default="")
    #: argon2id PHC string; ``None`` until the person sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the person asked to delete the account (``None``: no deletion pending).
    delete_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When ``flask purge`` may erase the person (the end of ``ACCOUNT_DELETE_GRACE``).
    delete_after: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: When the person was erased: the row is then an anonymised tombstone.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enterprise: Mapped[Enterprise | None] = relationship(lazy="select")
    applications: Mapped[list[EnterpriseApplication]] = relationship(
        back_populates="user", order_by="EnterpriseApplication.id.desc()", lazy="select"
    )

    @property
    def latest_application(self) -> EnterpriseApplication | None:
        """The most recent enterprise application, if any."""
        return self.applications[0] if self.applications else None

    def __repr__(self) -> str:
        return f"<User {self.id}>"
