"""``flask openapi export``: the OpenAPI document as a file, for client generators.

It is the document ``GET /api/openapi.json`` serves (:mod:`lingo.ops.openapi`),
written whether or not ``API_DOCS`` serves it.
"""

from __future__ import annotations

import json
from typing import IO

import click
from flask import current_app
from flask.cli import AppGroup

from ..ops.openapi import document

openapi_cli = AppGroup("openapi", help="The OpenAPI 3.1 document of every route.")


@openapi_cli.command("export")
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    show_default=True,
    help="File to write (- for standard output).",
)
def export(output: IO[str]) -> None:
    """Write the OpenAPI document as JSON (UTF-8, indented)."""
    output.write(json.dumps(document(current_app), ensure_ascii=False, indent=2) + "\n")
