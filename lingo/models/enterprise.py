"""Enterprises and users' applications to join one (legacy v4 ``apply``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime

if TYPE_CHECKING:
    from .user import User

APPLICATION_REFUSED = -1
APPLICATION_PENDING = 0
APPLICATION_APPROVED = 1


class Enterprise(Model):
    """A company users can belong to."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EnterpriseApplication(Model):
    """A user's request to join an enterprise; approval sets ``User.enterprise_id``."""

    __tablename__ = "enterprise_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    state: Mapped[int] = mapped_column(SmallInteger, default=APPLICATION_PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="applications")
    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
