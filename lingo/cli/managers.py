"""``flask manager ...``: create managers, change roles, enable and disable users.

An account is named by its phone (digits with ``--area``, default 86, or
``+<cc><number>``) or its email address.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .. import clock
from ..errors import DomainError
from ..models import User
from ..services import accounts, managers
from ..services.identity import Account, area_phone, email_account

manager = AppGroup("manager", help="Create managers; change roles; enable or disable users.")

area_option = click.option("--area", default="86", show_default=True, help="Calling code for a phone given as digits.")


def parse_account(raw: str, area: str) -> Account:
    """A phone number or email address from the command line.

    :raises click.BadParameter: when it is neither.
    """
    try:
        return email_account(raw) if "@" in raw else area_phone(area, raw)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="ACCOUNT") from exc


def existing_user(raw: str, area: str) -> User:
    """The user owning the account named on the command line.

    :raises click.ClickException: when nobody has it.
    """
    user = accounts.find_user(parse_account(raw, area))
    if user is None:
        raise click.ClickException(f"no user with the account {raw!r}")
    return user


@manager.command("create")
@click.argument("account")
@area_option
@click.password_option("--password", help="Prompted for (twice) when not given; 8-128 characters.")
def create(account: str, area: str, password: str) -> None:
    """Create a new manager (role 1) with a password."""
    parsed = parse_account(account, area)
    try:
        user = managers.create_manager(parsed, password, now=clock.now())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    except DomainError as exc:
        raise click.ClickException(
            f"{exc.message}: use `flask manager set-role {account} 1` for an existing user"
        ) from exc
    click.echo(f"manager {user.id} created ({user.username})")


@manager.command("set-role")
@click.argument("account")
@click.argument("role", type=click.Choice(["0", "1"]))
@area_option
def set_role(account: str, role: str, area: str) -> None:
    """Make a user a manager (1) or a plain user (0); the last active manager stays one."""
    try:
        user = managers.set_role(existing_user(account, area), int(role), now=clock.now())
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"user {user.id} now has role {user.role}")


def _set_active(account: str, area: str, active: bool) -> None:
    try:
        user = managers.set_active(existing_user(account, area), active, now=clock.now())
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"user {user.id} {'enabled' if active else 'disabled'}")


@manager.command("disable")
@click.argument("account")
@area_option
def disable(account: str, area: str) -> None:
    """Disable a user: sign-ins fail and every token stops working at once (not the last active manager)."""
    _set_active(account, area, False)


@manager.command("enable")
@click.argument("account")
@area_option
def enable(account: str, area: str) -> None:
    """Enable a disabled user again (they sign in anew)."""
    _set_active(account, area, True)
