"""Who is asking: the client of the current request, for the audit log and the device list.

The web layer sets it once per request (:func:`lingo.web.client.init_app`);
a command runs with the default, ``dialect="cli"``. Services read it with
:func:`current` instead of a Flask request, so they stay callable from a
command or a test.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass(frozen=True)
class Client:
    """The caller of one request.

    :ivar ip: the client address (after ``ProxyFix``).
    :ivar user_agent: its ``User-Agent`` header, as sent.
    :ivar dialect: the dialect serving the request (``modern`` …), ``cli`` for commands.
    :ivar request_id: the request's id (``X-Request-ID``).
    """

    ip: str = ""
    user_agent: str = ""
    dialect: str = "cli"
    request_id: str = ""


#: Outside a request (a command): no address, dialect ``cli``.
COMMAND = Client()

_CLIENT: ContextVar[Client | None] = ContextVar("lingo_client", default=None)


def current() -> Client:
    """The current request's :class:`Client` (:data:`COMMAND` outside a request)."""
    return _CLIENT.get() or COMMAND


def enter(client: Client) -> Token[Client | None]:
    """Make ``client`` current; give the token back to :func:`leave`."""
    return _CLIENT.set(client)


def leave(token: Token[Client | None]) -> None:
    """Restore the client that was current before :func:`enter`."""
    _CLIENT.reset(token)
