"""Pages of a listing: which page is asked for (:class:`PageRequest`), what it holds (:class:`Page`).

A :class:`Listing` is a statement (newest first, say) together with the two
statements that read one page of it, composed once when the listing is made:
a listing built at import with bind parameters (``:user_id``) costs nothing
per request; one whose shape depends on the request (optional filters) is
made per call. :func:`fetch` runs a listing for one page.

The total rides along with the page rows in one statement (an uncorrelated
scalar subquery, which the database evaluates once); only a page past the
end, which has no rows to carry it, costs a second statement that counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Integer, Select, bindparam, func, inspect, select

from ..extensions import db
from ..reads import Read, reading

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """Which page: ``number`` counts from 1, ``size`` items a page."""

    number: int
    size: int

    @property
    def offset(self) -> int:
        """How many items come before this page."""
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: its ``items``, the ``total`` of the whole listing, and which page it is."""

    items: Sequence[T]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        """How many pages the listing has (0 when it is empty)."""
        return math.ceil(self.total / self.size) if self.total else 0


class Listing(Generic[T]):
    """A statement and its page and count statements, composed once.

    The statement selects one ORM entity (each item is an instance) or a
    table's columns (each item is a row with those columns as attributes: no
    ORM objects to build, for pages read on hot paths). A constant column
    listing read on most requests may be ``direct``: its two statements run
    on the driver (:class:`lingo.reads.Read`) and each item is a tuple of the
    statement's columns.
    """

    __slots__ = ("count", "entity", "page", "reads", "statement")

    def __init__(self, statement: Select[Any], *, direct: bool = False) -> None:
        self.statement = statement
        #: Whether the statement selects an ORM entity (each row leads with an instance).
        self.entity = _selects_entity(statement)
        #: ``SELECT count(*)`` of every row of the statement.
        self.count: Select[Any] = select(func.count()).select_from(statement.order_by(None).subquery())
        #: The statement's rows from ``:page_offset`` on, at most ``:page_limit``, each with the ``total``.
        self.page: Select[Any] = (
            statement.add_columns(self.count.scalar_subquery().label("total"))
            .limit(bindparam("page_limit", type_=Integer))
            .offset(bindparam("page_offset", type_=Integer))
        )
        #: The page and count statements on the driver, for a ``direct`` listing.
        self.reads = (Read(self.page), Read(self.count)) if direct else None
        if direct and self.entity:
            raise ValueError("a listing of ORM entities cannot be direct")


def fetch(listing: Listing[T], request: PageRequest, params: Mapping[str, Any] | None = None) -> Page[T]:
    """Run ``listing`` (with its bind ``params``) for the page ``request`` asks for."""
    values = {**(params or {}), "page_limit": request.size, "page_offset": request.offset}
    counted = dict(params or {})
    items: list[Any]
    if listing.reads is not None:
        page, count = listing.reads
        found = page.all(values)
        total = _total(found[0][-1] if found else None, request,
                       lambda: cast("tuple[Any, ...]", count.first(counted))[0])  # fmt: skip
        items = [row[:-1] for row in found]
    else:
        # An entity's rows are the session's objects; table columns are read on any connection.
        with nullcontext(db.session) if listing.entity else reading() as source:
            rows = source.execute(listing.page, values).all()
            total = _total(rows[0].total if rows else None, request,
                           lambda: source.execute(listing.count, counted).scalar_one())  # fmt: skip
        items = [row[0] for row in rows] if listing.entity else list(rows)
    return Page(items=items, total=total, number=request.number, size=request.size)


def _total(carried: Any, request: PageRequest, count: Callable[[], Any]) -> int:
    """The listing's total: what the page's rows carry; with no rows, 0 on the first page,
    else what ``count`` (the second statement) answers."""
    if carried is not None:
        return int(carried)
    return 0 if request.number == 1 else int(count())


def _selects_entity(statement: Select[Any]) -> bool:
    """Whether ``statement`` leads with an ORM entity (rather than a table's columns)."""
    described = inspect(statement.column_descriptions[0]["expr"], raiseerr=False)
    return bool(getattr(described, "is_mapper", False) or getattr(described, "is_aliased_class", False))
