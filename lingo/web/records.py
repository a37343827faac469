"""Wire records shared by the platform and admin APIs, field for field and type for type as the seed shows them.

Every record starts with ``id``, ``app_id``, ``created_at`` and ``updated_at``
(``"YYYY-MM-DD HH:MM:SS"`` in ``TIMEZONE``). The admin API renders the same records.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any

from ..models import Faq, Feedback, FeedbackCategory, FeedbackReply, PushBinding, PushMessage
from ..services.feedback import FeedbackItem
from ..settings import current as settings


def timestamp(value: datetime | None, zone: tzinfo | None = None) -> str:
    """A stored naive-UTC datetime as ``"YYYY-MM-DD HH:MM:SS"`` in ``zone`` (``TIMEZONE`` when not given)."""
    if value is None:
        return ""
    # The first 19 characters of the zoned time's ISO form (its year always has four digits)
    # are its wall time: cheaper than dropping the zone first (a page renders 40 of these).
    return value.replace(tzinfo=UTC).astimezone(zone or settings().timezone).isoformat(" ", "seconds")[:19]


def day(value: date | None) -> str:
    """A date as ``"YYYY-MM-DD"``, ``""`` when unset."""
    return value.isoformat() if value else ""


def _record(row: Any, **fields: Any) -> dict[str, Any]:
    zone = settings().timezone  # once for both times: a page renders many records
    created_at = timestamp(row.created_at, zone)
    return {
        "id": row.id,
        "app_id": row.app_id or "",
        "created_at": created_at,
        # Most records were never changed: the same time, rendered once.
        "updated_at": created_at if row.updated_at == row.created_at else timestamp(row.updated_at, zone),
        **fields,
    }


def binding(row: PushBinding) -> dict[str, Any]:
    """A push binding."""
    return _record(
        row, user_id=row.user_id, client_id=row.client_id, client_type=row.client_type, switch=bool(row.switch)
    )


def faq(row: Faq) -> dict[str, Any]:
    """An FAQ entry."""
    return _record(
        row, title=row.title, content=row.content, category=row.category or "", external_link=row.external_link or ""
    )


def category(row: FeedbackCategory) -> dict[str, Any]:
    """A feedback category."""
    return _record(row, name=row.name, description=row.description or "")


def feedback(row: Feedback | FeedbackItem) -> dict[str, Any]:
    """A feedback (``feedback_category_id`` 0 when it has none): the model, or an item of a page."""
    return _record(
        row,
        feedback_content=row.feedback_content,
        feedback_status=row.feedback_status,
        feedback_category_id=row.feedback_category_id or 0,
        contact_phone=row.contact_phone or "",
        user_id=row.user_id,
    )


def reply(row: FeedbackReply) -> dict[str, Any]:
    """A reply to a feedback."""
    return _record(
        row,
        reply_content=row.reply_content,
        manager_id=row.manager_id,
        feedback_id=row.feedback_id,
        is_read=bool(row.is_read),
    )


def push_detail(row: PushMessage) -> dict[str, Any]:
    """A push as ``GET /api/push/log/{id}`` shows it (the seed has no ``push_status`` there)."""
    return _record(
        row, push_title=row.push_title, push_body=row.push_body, push_scope=row.push_scope, manager_id=row.manager_id
    )


def push(row: PushMessage) -> dict[str, Any]:
    """A push as the push log lists it."""
    return {**push_detail(row), "push_status": row.push_status}
