"""Platform list pages: ``page_no`` / ``page_size`` → ``{total, pages, current_page, page_size, data}``."""
from __future__ import annotations

import math
from typing import Any, Callable

from flask import request
from marshmallow import validate
from sqlalchemy import Select, func, select

from ...extensions import db
from ..parsing import BaseSchema, load
from ..query import QueryInt

MAX_PAGE_NO = 1_000_000
MAX_PAGE_SIZE = 100


class PageSchema(BaseSchema):
    """``page_no`` ≥ 1 (default 1), ``page_size`` 1–100 (default 20)."""

    page_no = QueryInt(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE_NO))
    page_size = QueryInt(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def page_args() -> tuple[int, int]:
    """Read ``page_no`` and ``page_size`` from the query string.

    :raises lingo.errors.DomainError: ``INVALID_INPUT`` when not integers or out of range.
    """
    raw = {name: request.args[name] for name in ("page_no", "page_size") if name in request.args}
    args = load(PageSchema(), raw, loc="query")
    return args["page_no"], args["page_size"]


def paginate(query: Select, render: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """Run ``query`` for the requested page and render each row.

    :raises lingo.errors.DomainError: ``INVALID_INPUT`` for bad page arguments.
    """
    page_no, page_size = page_args()
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = db.session.execute(query.limit(page_size).offset((page_no - 1) * page_size)).scalars().all()
    return {
        "total": total,
        "pages": math.ceil(total / page_size) if total else 0,
        "current_page": page_no,
        "page_size": page_size,
        "data": [render(row) for row in rows],
    }
