"""Where v4 parameters come from: the query string, a form body or a JSON body.

Old clients send the same fields every way (GET URLs, form posts, JSON).
When a field appears in several places the JSON body wins over the form body,
which wins over the query string. A JSON body needs a JSON ``Content-Type``.
"""

from __future__ import annotations

from typing import Any

from flask import request

from ..parsing import check_text, json_body


def params() -> dict[str, Any]:
    """The request's parameters merged: JSON body > form body > query string.

    The body is always read, so ``MAX_CONTENT_LENGTH`` holds whatever its type.

    :raises lingo.errors.DomainError: ``INVALID_INPUT`` for malformed JSON, a
        non-object JSON body or text with NUL / lone surrogates; oversize
        bodies raise Werkzeug's 413.
    """
    request.get_data(cache=True, parse_form_data=True)
    merged: dict[str, Any] = dict(request.args.items())
    merged.update(request.form.items())
    if request.is_json:
        merged.update(json_body())
    check_text(merged, ["query"])
    return merged
