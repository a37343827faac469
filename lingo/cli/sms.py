"""``flask sms send-test``: check the configured SMS provider before going live."""

from __future__ import annotations

import secrets

import click
from flask import current_app
from flask.cli import AppGroup

from ..errors import DomainError
from ..senders import sms_sender
from ..senders.sms import SCENES, FailoverSender, SmsDeliveryError

sms = AppGroup("sms", help="Check the configured SMS provider.")


@sms.command("send-test")
@click.argument("phone")
@click.option("--area", default="86", show_default=True, help="Calling code for a phone given as digits.")
@click.option(
    "--scene",
    type=click.Choice(SCENES),
    default=SCENES[0],
    show_default=True,
    help="Which template to use: sign-in/registration (any) or password reset.",
)
@click.option(
    "--fallback", "use_fallback", is_flag=True, help="Send through SMS_FALLBACK_BACKEND instead of SMS_BACKEND."
)
def send_test(phone: str, area: str, scene: str, use_fallback: bool) -> None:
    """Send one test code to PHONE through SMS_BACKEND and print the provider's answer.

    The code is random and valid for nothing: this checks keys, sign name and
    templates before going live. Only the named provider is tried (no
    failover: its own answer is what an operator needs). Exits 1 when the
    provider refuses.
    """
    from .managers import parse_account

    account = parse_account(phone, area)
    if account.kind != "phone":
        raise click.BadParameter("not a phone number", param_hint="PHONE")
    key = "SMS_FALLBACK_BACKEND" if use_fallback else "SMS_BACKEND"
    backend = current_app.config.get(key) or ""
    sender = sms_sender()
    if isinstance(sender, FailoverSender):
        sender = sender.fallback if use_fallback else sender.primary
    elif use_fallback:
        raise click.UsageError("no SMS_FALLBACK_BACKEND is configured")
    click.echo(f"sending a {scene} test code to {account.key} through {backend}")
    try:
        delivery = sender.send_code(
            account.key, f"{secrets.randbelow(10**6):06d}", int(current_app.config["CODE_TTL"]), scene
        )
    except SmsDeliveryError as exc:
        click.echo(
            f"refused: {exc.error.key} (provider {exc.provider}, provider code "
            f"{exc.provider_code or '-'}, request id {exc.request_id or '-'})"
        )
        raise SystemExit(1) from exc
    except DomainError as exc:
        click.echo(f"refused: {exc.error.key}")
        raise SystemExit(1) from exc
    click.echo(
        f"sent: provider {delivery.provider}, request id {delivery.request_id or '-'}, "
        f"template {delivery.template or '-'}"
    )
