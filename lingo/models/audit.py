"""The audit log: one row per security event (``docs/operations.md``, "Audit log")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime


class AuditEvent(Model):
    """A security event: who, what, when, from where. Never a password, code or token.

    ``user_id`` has no foreign key: events outlive the account they describe
    (a purged person's tombstone keeps its id) until ``AUDIT_RETENTION_DAYS``.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: ``sign_in.succeeded``, ``code.failed`` … (:data:`lingo.services.audit.EVENTS`).
    event: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: The account key, masked (``+86138****8000``, ``a***@example.com``).
    account: Mapped[str] = mapped_column(String(64), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    #: The dialect that served the request (``modern`` …), ``cli`` for commands.
    dialect: Mapped[str] = mapped_column(String(16), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")
    #: The manager who acted, for admin actions.
    actor_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
