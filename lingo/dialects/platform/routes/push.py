"""Platform push routes: device bindings and switches, the push log, message counts."""

from __future__ import annotations

from flask import Response, request

from .... import clock
from ....services import feedback, pushes
from ....web import guard, pagination, records
from ....web.parsing import json_body, load
from ....web.query import id_list, record_id
from .. import bp
from ..render import ok
from ..schemas import BindSchema, HideSchema, SwitchSchema


@bp.post("/api/push/bind")
def push_bind() -> Response:
    """``POST /api/push/bind {client_id, client_type}``: the binding (an id bound elsewhere moves here).

    A user has at most ``PUSH_BINDINGS_PER_USER_MAX`` bound devices; one more is 10003 (403).
    """
    user_id = guard.current_user_id()
    args = load(BindSchema, json_body())
    binding = pushes.bind(user_id, args["client_id"], args["client_type"], now=clock.now())
    return ok(records.binding(binding))


@bp.get("/api/push/switch/<path:client_id>")
def push_switch_get(client_id: str) -> Response:
    """``GET /api/push/switch/{client_id}``: the user's binding of that device (10001 otherwise)."""
    user_id = guard.current_user_id()
    return ok(records.binding(pushes.own_binding(user_id, client_id)))


@bp.put("/api/push/switch/<path:client_id>")
def push_switch_put(client_id: str) -> Response:
    """``PUT /api/push/switch/{client_id} {switch}``: turn pushes on or off for that device."""
    user_id = guard.current_user_id()
    args = load(SwitchSchema, json_body())
    pushes.set_switch(user_id, client_id, args["switch"], now=clock.now())
    return ok()


@bp.get("/api/message/count")
def message_count() -> Response:
    """``GET /api/message/count?push_ids=...``: ``push_count`` (log entries not in ``push_ids``)
    and ``feedback_count`` (unread replies). ``push_ids`` may repeat, be ``1,2,3`` or ``[1,2,3]``."""
    user_id = guard.current_user_id()
    seen = id_list(request.args.getlist("push_ids") + request.args.getlist("push_ids[]"), "push_ids")
    return ok(
        {"push_count": pushes.unseen_count(user_id, seen), "feedback_count": feedback.unread_reply_count(user_id)}
    )


@bp.get("/api/push/log")
def push_log() -> Response:
    """``GET /api/push/log?page_no&page_size``: the user's push log, newest first."""
    user_id = guard.current_user_id()
    return ok(pagination.render(pushes.visible_page(user_id, pagination.page_request()), records.push))


@bp.get("/api/push/log/<raw_id>")
def push_log_detail(raw_id: str) -> Response:
    """``GET /api/push/log/{id}``: one push of the user's log (10001 otherwise)."""
    user_id = guard.current_user_id()
    return ok(records.push_detail(pushes.visible_push(user_id, record_id(raw_id))))


@bp.delete("/api/push/log/delete")
def push_log_delete() -> Response:
    """``DELETE /api/push/log/delete``: hide ``ids`` (JSON body list or query) — or every push — for this user."""
    user_id = guard.current_user_id()
    body = json_body()
    if "ids" in body:
        ids = load(HideSchema, body)["ids"]
    elif "ids" in request.args or "ids[]" in request.args:
        ids = id_list(request.args.getlist("ids") + request.args.getlist("ids[]"), "ids")
    else:
        ids = None
    pushes.hide(user_id, ids)
    return ok()
