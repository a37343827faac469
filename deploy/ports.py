"""``free_port``: the one helper that finds a loopback port nobody listens on.

Its users start servers on 127.0.0.1 (or point a client at a server that is
down): the deployment stack (``deploy/stack.py``), ``make bench``
(``bench/run.py``) and the tests (gunicorn, SMTP and fake providers). It lives
here, in ``deploy/``, next to the rest of the loopback-process tooling, and
needs nothing beyond the standard library, so each of them imports it as it
already imports its neighbours:

- ``deploy/``: ``from ports import free_port`` (a script's own directory is on
  ``sys.path``, as for ``from stack import ...``);
- the tests: ``from deploy.ports import free_port`` (``pythonpath = .`` in
  setup.cfg puts the repository root on ``sys.path``);
- ``bench/run.py``: ``from deploy.ports import free_port`` after putting the
  repository root on ``sys.path`` (run as ``python bench/run.py``, it sees
  only ``bench/``).

The port is bound and released, so another process may take it before the
caller does; that is the accepted race of every ``free_port``.
"""
from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now (bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
