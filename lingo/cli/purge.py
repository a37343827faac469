"""``flask purge``: erase the accounts whose deletion grace has ended, then delete every row
whose time has passed (audit events, codes, sessions and tokens, rate counters, reset grants).

Meant for cron or a systemd timer (``docs/operations.md``, "Account deletion" and
"Retention"): it is idempotent (a second run deletes nothing), commits per batch (an
interrupted run keeps what it did), may run on several hosts at once, and prints one line
per table it cleans.
"""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from .. import clock
from ..services import retention
from ..settings import current as settings


def _at(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%SZ}"


@click.command("purge")
@click.option(
    "--batch",
    type=click.IntRange(1, 10_000),
    default=100,
    show_default=True,
    help="Accounts erased per transaction.",
)
@click.option(
    "--rows",
    type=click.IntRange(1, 10_000),
    default=retention.BATCH,
    show_default=True,
    help="Rows of the other tables deleted per transaction.",
)
@with_appcontext
def purge(batch: int, rows: int) -> None:
    """Erase every account whose deletion is due; delete audit events, codes, sessions and
    tokens, rate counters and reset grants past their retention."""
    now = clock.now()
    cfg = settings()
    done = retention.purge(now, accounts_batch=batch, batch=rows)
    days = cfg.audit_retention.total_seconds() / 86400
    kept_until = _at(now - cfg.session_retention)
    click.echo(f"purge at {_at(now)}: {done.accounts} accounts erased")
    click.echo(f"audit retention {days:g} days: {done.audit_events} audit events deleted")
    click.echo(
        f"verification_codes: {done.verification_codes} deleted "
        f"(expired, or no longer active, before {_at(now - retention.CODE_RETENTION)})"
    )
    click.echo(f"session_tokens: {done.session_tokens} deleted (expired before {kept_until}, or of a session deleted)")
    click.echo(f"sessions: {done.sessions} deleted (expired or revoked before {kept_until})")
    window = retention.longest_counter_window(cfg)
    click.echo(f"rate_counters: {done.rate_counters} deleted (window opened {window} s or more ago)")
    click.echo(f"password_reset_grants: {done.password_reset_grants} deleted (used or expired)")
