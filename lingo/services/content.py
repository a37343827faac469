"""Content managers write and users read: FAQ entries and feedback categories.

Also the small record helpers the other content services share
(:func:`stamps`, :func:`get_or_404`, :func:`apply_changes`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, TypeVar

from flask import current_app
from sqlalchemy import Select, select

from ..errors import DomainError, Error
from ..extensions import db
from ..models import Faq, FeedbackCategory

T = TypeVar("T")


def stamps(now: datetime) -> dict[str, Any]:
    """``app_id`` (config ``APP_ID``), ``created_at`` and ``updated_at`` for a new record."""
    return {"app_id": current_app.config["APP_ID"], "created_at": now, "updated_at": now}


def get_or_404(model: type[T], record_id: int) -> T:
    """The record of ``model`` with ``record_id``.

    :raises DomainError: ``NOT_FOUND``.
    """
    record = db.session.get(model, record_id)
    if record is None:
        raise DomainError(Error.NOT_FOUND)
    return record


def apply_changes(record: Any, changes: Mapping[str, Any], now: datetime) -> None:
    """Set each of ``changes`` on ``record`` and stamp ``updated_at`` (caller commits)."""
    for name, value in changes.items():
        setattr(record, name, value)
    record.updated_at = now


def faq_query() -> Select:
    """Every FAQ entry, in the order they were written."""
    return select(Faq).order_by(Faq.id)


def create_faq(fields: Mapping[str, Any], *, now: datetime) -> Faq:
    """Write an FAQ entry (``title``, ``content``, optional ``category``, ``external_link``). Commits."""
    faq = Faq(category="", external_link="", **stamps(now))
    apply_changes(faq, fields, now)
    db.session.add(faq)
    db.session.commit()
    return faq


def update_faq(faq_id: int, changes: Mapping[str, Any], *, now: datetime) -> Faq:
    """Change some fields of an FAQ entry. Commits.

    :raises DomainError: ``NOT_FOUND``.
    """
    faq = get_or_404(Faq, faq_id)
    apply_changes(faq, changes, now)
    db.session.commit()
    return faq


def delete_faq(faq_id: int) -> None:
    """Delete an FAQ entry. Commits.

    :raises DomainError: ``NOT_FOUND``.
    """
    db.session.delete(get_or_404(Faq, faq_id))
    db.session.commit()


def category_query() -> Select:
    """Every feedback category, in the order they were made."""
    return select(FeedbackCategory).order_by(FeedbackCategory.id)


def create_category(fields: Mapping[str, Any], *, now: datetime) -> FeedbackCategory:
    """Make a feedback category (``name``, optional ``description``). Commits."""
    category = FeedbackCategory(description="", **stamps(now))
    apply_changes(category, fields, now)
    db.session.add(category)
    db.session.commit()
    return category


def update_category(category_id: int, changes: Mapping[str, Any], *, now: datetime) -> FeedbackCategory:
    """Change a feedback category. Commits.

    :raises DomainError: ``NOT_FOUND``.
    """
    category = get_or_404(FeedbackCategory, category_id)
    apply_changes(category, changes, now)
    db.session.commit()
    return category


def delete_category(category_id: int) -> None:
    """Delete a feedback category; feedback filed under it keeps no category. Commits.

    :raises DomainError: ``NOT_FOUND``.
    """
    db.session.delete(get_or_404(FeedbackCategory, category_id))
    db.session.commit()
