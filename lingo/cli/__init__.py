"""Every ``flask`` command lingo adds, one module per group.

- ``flask manager``: managers, roles, enabling and disabling users (:mod:`.managers`);
- ``flask enterprise``: enterprises, applications, permissions (:mod:`.enterprises`);
- ``flask sms send-test``: check the SMS provider (:mod:`.sms`);
- ``flask audit export``: the audit log as JSON lines (:mod:`.audit`);
- ``flask purge``: erase accounts past their deletion grace, expire audit events (:mod:`.purge`; cron).
- ``flask openapi export``: the OpenAPI document as a file, for client generators (:mod:`.openapi`).

Commands call the services; they hold no rules of their own.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register lingo's CLI commands on ``app``."""
    from .audit import audit_cli
    from .enterprises import enterprise_cli
    from .managers import manager
    from .openapi import openapi_cli
    from .purge import purge
    from .sms import sms

    app.cli.add_command(manager)
    app.cli.add_command(enterprise_cli)
    app.cli.add_command(sms)
    app.cli.add_command(purge)
    app.cli.add_command(audit_cli)
    app.cli.add_command(openapi_cli)
