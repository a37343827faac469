"""Content managers write and users read: FAQ entries and feedback categories.

Create, update and delete work the same for both (:func:`create_record` …).

Also the small record helpers the other content services share
(:func:`stamps`, :func:`get_or_404`, :func:`apply_changes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import inspect, select

from ..errors import DomainError, Error
from ..extensions import db
from ..models import Faq, FeedbackCategory
from ..settings import current as settings
from . import audit, pages
from .pages import Listing, Page, PageRequest
from .transaction import use_case

T = TypeVar("T")

#: Every FAQ entry, in the order they were written.
FAQS: Listing[Faq] = Listing(select(Faq).order_by(Faq.id))
#: Every feedback category, in the order they were made.
CATEGORIES: Listing[FeedbackCategory] = Listing(select(FeedbackCategory).order_by(FeedbackCategory.id))


def stamps(now: datetime) -> dict[str, Any]:
    """``app_id`` (config ``APP_ID``), ``created_at`` and ``updated_at`` for a new record."""
    return {"app_id": settings().app_id, "created_at": now, "updated_at": now}


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


def _audit(action: str, model: type, record_id: int, *, now: datetime, actor_id: int | None) -> None:
    """Record a manager's change of content (``admin.content_changed``)."""
    audit.record(
        "admin.content_changed",
        now=now,
        actor_id=actor_id,
        details={"action": action, "table": getattr(model, "__tablename__", model.__name__), "id": record_id},
    )


@use_case
def create_record(model: type[T], fields: Mapping[str, Any], *, now: datetime, actor_id: int | None = None) -> T:
    """Create a content record (an FAQ entry, a feedback category) from ``fields``; audited. Commits."""
    record = model(**stamps(now), **fields)
    db.session.add(record)
    db.session.flush()
    _audit("create", model, inspect(record).identity[0], now=now, actor_id=actor_id)
    return record


@use_case
def update_record(
    model: type[T], record_id: int, changes: Mapping[str, Any], *, now: datetime, actor_id: int | None = None
) -> T:
    """Change some fields of a content record; audited. Commits.

    :raises DomainError: ``NOT_FOUND``.
    """
    record = get_or_404(model, record_id)
    apply_changes(record, changes, now)
    _audit("update", model, record_id, now=now, actor_id=actor_id)
    return record


@use_case
def delete_record(model: type, record_id: int, *, now: datetime, actor_id: int | None = None) -> None:
    """Delete a content record (feedback filed under a deleted category keeps no category); audited. Commits.

    :raises DomainError: ``NOT_FOUND``.
    """
    db.session.delete(get_or_404(model, record_id))
    _audit("delete", model, record_id, now=now, actor_id=actor_id)


def faq(faq_id: int) -> Faq:
    """One FAQ entry.

    :raises DomainError: ``NOT_FOUND``.
    """
    return get_or_404(Faq, faq_id)


def faq_page(request: PageRequest) -> Page[Faq]:
    """A page of every FAQ entry, in the order they were written."""
    return pages.fetch(FAQS, request)


def category_page(request: PageRequest) -> Page[FeedbackCategory]:
    """A page of every feedback category, in the order they were made."""
    return pages.fetch(CATEGORIES, request)
