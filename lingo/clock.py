"""The clock every route reads and passes to the services (tests replace it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app


def system_now() -> datetime:
    """Return the current UTC time as a naive datetime (how the database stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def now() -> datetime:
    """Return "now" from the application's clock (``app.extensions["lingo.clock"]``)."""
    clock: Callable[[], datetime] = current_app.extensions.get("lingo.clock", system_now)
    return clock()
