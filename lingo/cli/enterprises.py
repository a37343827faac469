"""``flask enterprise ...``: manage enterprises, applications and permissions.

These records are what the v4 ``login`` reports (``enterprise_id``,
``apply``, ``permissions``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click
from flask.cli import AppGroup

from .. import clock
from ..errors import DomainError
from ..services import enterprises
from ..services.identity import LEGACY_MOBILE, Account, legacy_phone, modern_phone

T = TypeVar("T")

enterprise_cli = AppGroup("enterprise", help="Enterprises, applications and permissions (legacy v4).")


def _account(phone: str) -> Account:
    try:
        return legacy_phone(phone) if LEGACY_MOBILE.fullmatch(phone) else modern_phone(phone)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="PHONE") from exc


def _run(action: Callable[[], T]) -> T:
    """Run a service call; a domain error becomes a CLI error (exit code 1)."""
    try:
        return action()
    except DomainError as exc:
        raise click.ClickException(f"{exc.error.key}: {exc.message}") from exc


@enterprise_cli.command("create")
@click.argument("name")
def create(name: str) -> None:
    """Create an enterprise called NAME and print its id."""
    enterprise = _run(lambda: enterprises.create_enterprise(name, now=clock.now()))
    click.echo(f"enterprise {enterprise.id} {enterprise.name}")


@enterprise_cli.command("apply")
@click.argument("phone")
@click.argument("enterprise_id", type=int)
def apply(phone: str, enterprise_id: int) -> None:
    """File a pending application of the user with PHONE to ENTERPRISE_ID."""
    account = _account(phone)
    application = _run(lambda: enterprises.file_application(account, enterprise_id, now=clock.now()))
    click.echo(f"application {application.id} pending")


@enterprise_cli.command("approve")
@click.argument("application_id", type=int)
def approve(application_id: int) -> None:
    """Approve a pending application: the user joins the enterprise."""
    _run(lambda: enterprises.decide_application(application_id, approve=True, now=clock.now()))
    click.echo(f"application {application_id} approved")


@enterprise_cli.command("refuse")
@click.argument("application_id", type=int)
def refuse(application_id: int) -> None:
    """Refuse a pending application."""
    _run(lambda: enterprises.decide_application(application_id, approve=False, now=clock.now()))
    click.echo(f"application {application_id} refused")


@enterprise_cli.command("permissions")
@click.argument("phone")
@click.argument("permission", nargs=-1)
def permissions(phone: str, permission: tuple[str, ...]) -> None:
    """Set the permissions of the user with PHONE (none given: clear them)."""
    account = _account(phone)
    user = _run(lambda: enterprises.set_permissions(account, list(permission), now=clock.now()))
    click.echo("permissions " + (",".join(user.permissions) or "(none)"))
