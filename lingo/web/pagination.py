"""Platform list pages: ``page_no`` / ``page_size`` → ``{total, pages, current_page, page_size, data}``."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import request
from marshmallow import validate
from sqlalchemy import Integer, Select, bindparam, func, select

from ..extensions import db
from .parsing import BaseSchema, load
from .query import QueryInt

MAX_PAGE_NO = 1_000_000
MAX_PAGE_SIZE = 100


class PageSchema(BaseSchema):
    """``page_no`` ≥ 1 (default 1), ``page_size`` 1–100 (default 20)."""

    page_no = QueryInt(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE_NO))
    page_size = QueryInt(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


#: Built once: a schema holds no per-load state, and building one per request costs more than loading.
_PAGE_SCHEMA = PageSchema()


def page_args() -> tuple[int, int]:
    """Read ``page_no`` and ``page_size`` from the query string.

    :raises lingo.errors.DomainError: ``INVALID_INPUT`` when not integers or out of range.
    """
    raw = {name: request.args[name] for name in ("page_no", "page_size") if name in request.args}
    args = load(_PAGE_SCHEMA, raw, loc="query")
    return args["page_no"], args["page_size"]


def paginate(
    query: Select, render: Callable[[Any], dict[str, Any]], params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run ``query`` (with its bind ``params``) for the requested page and render each row.

    ``query`` selects one ORM entity (each rendered object is an instance) or
    a table's columns (each is a row with those columns as attributes: no ORM
    objects to build, for pages read on hot paths).

    The total rides along with the page rows in one statement (an uncorrelated
    scalar subquery, which the database evaluates once); only a page past the
    end, which has no rows to carry it, costs a second statement. A ``query``
    built once (with bind parameters) gets its page and count statements built
    once too.

    :raises lingo.errors.DomainError: ``INVALID_INPUT`` for bad page arguments.
    """
    page_no, page_size = page_args()
    page, count = _statements(query)
    values = {**(params or {}), "page_limit": page_size, "page_offset": (page_no - 1) * page_size}
    rows = db.session.execute(page, values).all()
    if rows:
        total = rows[0].total
    elif page_no == 1:
        total = 0
    else:
        total = db.session.execute(count, params or {}).scalar_one()
    return {
        "total": total,
        "pages": math.ceil(total / page_size) if total else 0,
        "current_page": page_no,
        "page_size": page_size,
        "data": [render(row[0]) for row in rows] if rows and _entity_rows(rows[0]) else [render(row) for row in rows],
    }


@lru_cache(maxsize=64)
def _statements(query: Select) -> tuple[Select, Select]:
    """The page statement (rows plus ``total``) and the count statement of ``query``.

    Cached by the query object itself: queries built once are composed once;
    queries built per request only pass through (64 entries).
    """
    count = select(func.count()).select_from(query.order_by(None).subquery())
    page = (
        query.add_columns(count.scalar_subquery().label("total"))
        .limit(bindparam("page_limit", type_=Integer))
        .offset(bindparam("page_offset", type_=Integer))
    )
    return page, count


def _entity_rows(row: Any) -> bool:
    """Whether the query selected an ORM entity (the row leads with an instance) or a table's columns."""
    return isinstance(row[0], db.Model)
