"""Platform list pages: ``page_no`` / ``page_size`` → a :class:`~lingo.services.pages.PageRequest`,
a :class:`~lingo.services.pages.Page` → ``{total, pages, current_page, page_size, data}``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import request
from marshmallow import validate

from ..services.pages import Page, PageRequest
from .parsing import BaseSchema, load
from .query import QueryInt

T = TypeVar("T")

MAX_PAGE_NO = 1_000_000
MAX_PAGE_SIZE = 100


class PageSchema(BaseSchema):
    """``page_no`` ≥ 1 (default 1), ``page_size`` 1–100 (default 20)."""

    page_no = QueryInt(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE_NO))
    page_size = QueryInt(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def page_request() -> PageRequest:
    """The page the query string asks for (``page_no`` and ``page_size``).

    :raises lingo.errors.DomainError: ``INVALID_INPUT`` when not integers or out of range.
    """
    raw = {name: request.args[name] for name in ("page_no", "page_size") if name in request.args}
    args = load(PageSchema, raw, loc="query")
    return PageRequest(number=args["page_no"], size=args["page_size"])


def render(page: Page[T], record: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    """``page`` as the platform shows a list: ``{total, pages, current_page, page_size, data}``."""
    return {
        "total": page.total,
        "pages": page.pages,
        "current_page": page.number,
        "page_size": page.size,
        "data": [record(item) for item in page.items],
    }
