"""Console audit log: filter by user, event and time range (UTC), paged; export as JSONL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Response, render_template, request, stream_with_context

from .. import clock
from ..errors import DomainError, Error
from ..services import audit
from . import bp
from .users import page_request, pager_args

#: Where an export without ``since`` starts.
EPOCH = datetime(1970, 1, 1)


def _when(name: str) -> datetime | None:
    """A ``datetime-local`` (or ISO 8601) query argument, read as UTC; empty: ``None``.

    :raises DomainError: ``INVALID_INPUT`` in words.
    """
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw[:32])
    except ValueError:
        raise DomainError(Error.INVALID_INPUT, "时间格式应为 2024-01-31T08:00 (UTC)。") from None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def _filters() -> dict[str, Any]:
    raw_user = request.args.get("user_id", "").strip().lstrip("#")
    if raw_user and not (raw_user.isdigit() and len(raw_user) < 10):
        raise DomainError(Error.INVALID_INPUT, "用户 ID 应为数字。")
    event = request.args.get("event", "")
    if event and event not in audit.EVENTS:
        raise DomainError(Error.INVALID_INPUT, "没有这种事件。")
    return {
        "user_id": int(raw_user) if raw_user else None,
        "event": event or None,
        "since": _when("since"),
        "until": _when("until"),
    }


@bp.get("/audit")
def audit_log() -> str:
    """Events, newest first, filtered by ``user_id``, ``event``, ``since`` and ``until`` (UTC)."""
    filters = _filters()
    found = audit.page(page_request(), **filters)
    return render_template(
        "console/audit.html",
        page=found,
        events=audit.EVENTS,
        values={k: request.args.get(k, "") for k in ("user_id", "event", "since", "until")},
        args=pager_args(),
        export_args={k: v for k, v in pager_args().items() if v},
        as_json=lambda row: json.dumps(row.details or {}, ensure_ascii=False, sort_keys=True),
    )


@bp.get("/audit/export.jsonl")
def audit_export() -> Response:
    """The filtered events, oldest first, one JSON object a line (streamed)."""
    filters = _filters()
    user_id, event = filters["user_id"], filters["event"]
    since = filters["since"] or EPOCH
    until = filters["until"]

    def lines() -> Iterator[str]:
        for row in audit.export(since=since, until=until):
            if (user_id is None or row["user_id"] == user_id) and (event is None or row["event"] == event):
                yield json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n"

    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    return Response(
        stream_with_context(lines()),
        mimetype="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.jsonl"'},
    )
