"""Verification codes, stored only as an HMAC (docs/contract.md §3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model, db
from .types import UTCDateTime

#: Purposes: ``any`` serves every verify/login endpoint; the v4 ``sendsms``
#: codes are ``register`` (expect=0) or ``reset`` (expect=1) only.
PURPOSE_ANY = "any"
PURPOSE_REGISTER = "register"
PURPOSE_RESET = "reset"


class VerificationCode(Model):
    """One sent code. At most one per account is ``active``."""

    __tablename__ = "verification_codes"
    __table_args__ = (Index("ix_verification_codes_account_active", "account", "active"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: E.164 phone or lower-cased email.
    account: Mapped[str] = mapped_column(String(191))
    purpose: Mapped[str] = mapped_column(String(16), default=PURPOSE_ANY)
    #: HMAC-SHA256(secret key, account ":" code), hex.
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PasswordResetGrant(Model):
    """Proof that a v4 ``verify_code`` succeeded: lets one ``forget_password`` through."""

    __tablename__ = "password_reset_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    ip: Mapped[str] = mapped_column(String(45))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RateCounter(Model):
    """A fixed-window counter shared by every worker (send limits, failures)."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(191), primary_key=True)
    #: Unix seconds at which the current window opened. Indexed for the retention purge
    #: (counters whose window closed), which would otherwise read every counter.
    window_start: Mapped[int] = mapped_column(db.BigInteger, index=True)
    count: Mapped[int] = mapped_column(Integer)
