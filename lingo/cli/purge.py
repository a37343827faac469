"""``flask purge``: erase the accounts whose deletion grace has ended, then expire old audit events.

Meant for cron (``docs/operations.md``, "Account deletion"): it is idempotent
(a second run erases nothing), commits per batch (an interrupted run keeps what
it did), may run on several hosts at once, and prints what it did.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from .. import clock
from ..services import lifecycle
from ..settings import current as settings


@click.command("purge")
@click.option(
    "--batch",
    type=click.IntRange(1, 10_000),
    default=100,
    show_default=True,
    help="Accounts erased per transaction.",
)
@with_appcontext
def purge(batch: int) -> None:
    """Erase every account whose deletion is due; delete audit events older than AUDIT_RETENTION_DAYS."""
    now = clock.now()
    done = lifecycle.purge(now, batch=batch)
    days = settings().audit_retention.total_seconds() / 86400
    click.echo(f"purge at {now:%Y-%m-%dT%H:%M:%SZ}: {done.accounts} accounts erased")
    click.echo(f"audit retention {days:g} days: {done.audit_events} audit events deleted")
