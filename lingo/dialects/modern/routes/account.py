"""Modern account routes: the signed-in account and its deletion (``docs/dialects/modern.md``)."""

from __future__ import annotations

from typing import Any

from flask import Response

from .... import clock
from ....services import lifecycle
from ....web import guard
from ....web.limits import password_login
from ....web.parsing import client_ip, json_body, load
from .. import bp, schemas
from ..render import ok, utc


@bp.get("/account")
def account() -> Response:
    """``GET /api/auth/account`` (bearer): the account's identifiers and its pending deletion, if any."""
    user = guard.current_user()
    pending: dict[str, Any] | None = None
    if user.delete_after is not None:
        pending = {"requested_at": utc(user.delete_requested_at), "delete_after": utc(user.delete_after)}
    return ok(
        {
            "id": user.id,
            "phone": user.e164,
            "email": user.email,
            "username": user.username,
            "created_at": utc(user.created_at),
            "pending_deletion": pending,
        }
    )


@bp.post("/account/delete")
@password_login
def delete_account() -> Response:
    """``POST /api/auth/account/delete {code} | {password}`` (bearer) → ``{delete_after}``.

    Every session of the user ends at once (every dialect's tokens); sign-in is
    refused until ``delete_after``, when ``flask purge`` erases the account.
    Counts against ``LOGIN_RATE_LIMIT`` like a password sign-in.
    """
    user = guard.current_user()
    args = load(schemas.DeleteAccountSchema, json_body())
    deletion = lifecycle.request_deletion(
        user, code=args["code"], password=args["password"], ip=client_ip(), now=clock.now()
    )
    return ok({"delete_after": utc(deletion.delete_after)})


@bp.post("/account/delete/cancel")
def cancel_deletion() -> Response:
    """``POST /api/auth/account/delete/cancel {phone, code}`` → ``{cancelled}`` (no token).

    ``cancelled`` is ``false`` when no deletion was pending (nothing changes); an
    unregistered phone is ``invalid_code``, as a wrong code is.
    """
    args = load(schemas.CancelDeletionSchema, json_body())
    cancelled = lifecycle.cancel_deletion(args["phone"], args["code"], ip=client_ip(), now=clock.now())
    return ok({"cancelled": cancelled})
