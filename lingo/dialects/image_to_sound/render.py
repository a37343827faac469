"""image-to-sound envelope: ``{"code": 200, "data": ..., "msg": "", "identifier": true}``.

Errors are ``{"code": <HTTP status>, "msg": <text>, "identifier": false}`` with
that HTTP status; a wrong or expired code is exactly the seed's
``{"code": 400, "msg": "Invalid mobile number or raw code", "identifier": false}``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ...errors import DomainError, Error

BAD_LOGIN = "Invalid mobile number or raw code"

#: Every domain error → (HTTP status, msg) — docs/contract.md §5, image-to-sound column.
ERRORS: dict[Error, tuple[int, str]] = {
    Error.INVALID_INPUT: (400, "Invalid request body"),
    Error.PAYLOAD_TOO_LARGE: (400, "Request body too large"),
    Error.NOT_REGISTERED: (404, "Mobile number not registered"),
    Error.ALREADY_REGISTERED: (409, "Mobile number already registered"),
    Error.WRONG_PASSWORD: (401, "Wrong mobile number or password"),
    Error.PASSWORD_NOT_SET: (400, "Password not set"),
    Error.INVALID_CODE: (400, BAD_LOGIN),
    Error.CAPTCHA_INVALID: (400, "Captcha not passed"),
    Error.SEND_TOO_FREQUENT: (429, "Codes sent too often"),
    Error.RATE_LIMITED: (429, "Too many requests"),
    Error.SMS_ARREARS: (503, "SMS service unavailable"),
    Error.SMS_FAILED: (503, "SMS could not be sent"),
    Error.SMS_UNAVAILABLE: (503, "SMS service unavailable"),
    Error.EMAIL_UNAVAILABLE: (503, "Email service unavailable"),
    Error.INVALID_TOKEN: (401, "Invalid token"),
    Error.FORBIDDEN: (403, "Forbidden"),
    Error.ACCOUNT_DISABLED: (403, "Account disabled"),
    Error.ACCOUNT_PENDING_DELETION: (403, "Account disabled"),
    Error.PASSWORD_LOCKED: (429, "Too many requests"),
    Error.NOT_FOUND: (404, "Not found"),
    Error.NO_SUCH_PATH: (404, "Not found"),
    Error.METHOD_NOT_ALLOWED: (405, "Method not allowed"),
    Error.SERVICE_UNAVAILABLE: (503, "Service unavailable"),
    Error.INTERNAL: (500, "Internal server error"),
}

#: A malformed ``mobile`` or ``rawCode`` reads like the seed's login error.
LOGIN_FIELDS = {"mobile", "rawCode"}


def ok(data: Any) -> Response:
    """A success envelope."""
    return jsonify({"code": 200, "data": data, "msg": "", "identifier": True})


def render_error(err: DomainError) -> Response:
    """An image-to-sound error body with the error's HTTP status."""
    status, msg = ERRORS[err.error]
    if err.error is Error.INVALID_INPUT and err.details:
        field = next((str(p) for p in err.details[0]["loc"][1:]), "")
        if field in LOGIN_FIELDS:
            msg = BAD_LOGIN
        elif field:
            msg = f"Invalid field: {field}"
    response = jsonify({"code": status, "msg": msg, "identifier": False})
    response.status_code = status
    return response
