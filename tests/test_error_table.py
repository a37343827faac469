"""One error table, rendered by every dialect."""
from __future__ import annotations

import pytest

from lingo.errors import DomainError, Error


def test_every_dialect_maps_every_domain_error(app):
    dialects = app.extensions["lingo.dialects"]
    assert dialects, "no dialect registered"
    for dialect in dialects:
        missing = set(Error) - set(dialect.errors)
        assert not missing, f"{dialect.name} leaves {sorted(e.key for e in missing)} unmapped"


@pytest.mark.parametrize("error", list(Error))
def test_every_dialect_renders_every_error_as_json(app, error):
    for dialect in app.extensions["lingo.dialects"]:
        prefix = next(p for p in dialect.prefixes)
        with app.test_request_context(prefix):
            response = dialect.render_error(DomainError(error))
        assert response.mimetype == "application/json"
        assert response.get_json() is not None


def test_error_keys_are_unique():
    keys = [e.key for e in Error]
    assert len(keys) == len(set(keys))
