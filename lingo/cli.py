"""``flask`` commands that call the services."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register lingo's CLI commands on ``app``."""
    from .enterprise_commands import enterprise_cli
    from .manager_cli import manager

    app.cli.add_command(manager)
    app.cli.add_command(enterprise_cli)
