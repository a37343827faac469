"""``flask audit export``: the audit log as JSON lines, for support and compliance archives."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from ..services import audit

audit_cli = AppGroup("audit", help="The security audit log.")


def _utc(value: datetime) -> datetime:
    """A time given on the command line as naive UTC (no offset means UTC)."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


@audit_cli.command("export")
@click.option(
    "--since",
    required=True,
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="First moment to export (UTC), e.g. 2026-12-01 or 2026-12-01T08:00:00.",
)
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="End (exclusive, UTC); default: now.",
)
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
def export(since: datetime, until: datetime | None, fmt: str) -> None:
    """Write every audit event from SINCE on standard output, one JSON object per line, oldest first."""
    for row in audit.export(since=_utc(since), until=_utc(until) if until else None):
        click.echo(json.dumps(row, ensure_ascii=False, sort_keys=True))
