"""Schemathesis over the generated OpenAPI document (issue 17): the app answers as the document says.

The document is read from the app itself (``GET /api/openapi.json``) and every
operation in it is called in-process (WSGI) with requests Schemathesis draws
from it: valid ones (positive mode) and ones that break the schema (negative
mode: wrong types, missing fields, out-of-range values). Routes that need a
token get a live one of the property world's user (a manager's on
``/api/admin``), since drawn requests may sign it out. Every answer must pass:

- ``not_a_server_error``: no 5xx;
- JSON everywhere: the ``Content-Type`` is ``application/json``, except what
  the document says is not (``/metrics`` is Prometheus text);
- ``status_code_conformance``: the status is one the document lists for the
  operation (so every error a route answers is documented);
- ``content_type_conformance`` and ``response_schema_conformance``: the body
  is the documented media type and matches the schema of its status.

One test per tag (dialect), each on its own app and database; each operation
gets ``LINGO_FUZZ_EXAMPLES`` examples (default 8: about 20 s per backend), e.g.
``LINGO_FUZZ_EXAMPLES=200 pytest tests/test_openapi_fuzz.py`` for a long hunt.
Failures print the request as a curl command and a ``@reproduce_failure`` blob.
"""
from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from helpers.world import TokenWorld

EXAMPLES = int(os.environ.get("LINGO_FUZZ_EXAMPLES", "8"))
USER_PHONE, MANAGER_PHONE, PASSWORD = "13700000001", "13900000001", "fuzz-Password-1"
TAGS = ["modern", "platform", "v4", "image-to-sound", "admin", "operations"]


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """Fast password hashing: the property is about answers, not hash cost."""
    return {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 64}


def json_everywhere(ctx: Any, response: Any, case: Any) -> bool | None:
    """The answer is JSON unless the document gives the status another media type."""
    content_type = (response.headers.get("content-type") or [""])[0]
    documented = case.operation.schema.get_content_types(case.operation, response)
    if documented and not any(media.startswith("application/json") for media in documented):
        return None
    assert content_type.startswith("application/json"), f"{response.status_code} answered {content_type!r}"
    return None


CHECKS = [
    not_a_server_error,
    json_everywhere,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def operations_of(app: Flask, tag: str) -> list[Any]:
    """The operations of the app's own document that carry ``tag``."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    found = [result.ok() for result in schema.get_all_operations()]
    return [operation for operation in found if tag in operation.definition.raw.get("tags", [])]


@pytest.mark.parametrize("tag", TAGS)
def test_every_answer_matches_the_document(app: Flask, tag: str) -> None:
    world = TokenWorld(app, user_phone=USER_PHONE, manager_phone=MANAGER_PHONE, password=PASSWORD)
    operations = operations_of(app, tag)
    assert operations, tag
    for operation in operations:
        who = "manager" if operation.path.startswith("/api/admin") else "user"
        secured = "security" in operation.definition.raw
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,  # no .hypothesis/ in the checkout; failures print a reproduction blob
            print_blob=True,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def answers_as_documented(case: Any) -> None:
            headers = {"Authorization": f"Bearer {world.token(who)}"} if secured else None
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        answers_as_documented()
