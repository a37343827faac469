"""Tell the services who is asking: the request's :class:`~lingo.services.context.Client`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from flask import Flask, g, request

from ..ops.request_log import request_id
from ..services import context


def init_app(app: Flask, dialect_name: Callable[[], str]) -> None:
    """Set the client for every request (after the dialect is chosen) and clear it after."""

    @app.before_request
    def _enter() -> None:
        g.client_token = context.enter(
            context.Client(
                ip=request.remote_addr or "",
                user_agent=request.headers.get("User-Agent", ""),
                dialect=dialect_name(),
                request_id=request_id(),
            )
        )

    @app.teardown_request
    def _leave(_exc: BaseException | None) -> None:
        token = g.pop("client_token", None)
        if token is not None:
            context.leave(token)


def use_dialect(name: str) -> None:
    """The request turned out to speak ``name`` (a shared path): record that for the services."""
    if "client_token" in g:
        context.enter(replace(context.current(), dialect=name))
