"""Admin routes: parse, call a service, render (modern envelope; records as the platform shows them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, request
from marshmallow import Schema

from .... import clock
from ....models import Faq, FeedbackCategory, User
from ....senders import push_sender
from ....services import content, feedback, managers, pushes
from ....services.pages import Page, PageRequest
from ....web import guard, pagination, records
from ....web.parsing import check_text, json_body, load
from ....web.query import record_id
from ....web.records import timestamp
from .. import bp, schemas
from ..render import ok


def user_record(user: User) -> dict[str, Any]:
    """A user as managers see them."""
    return {
        "id": user.id,
        "user_id": user.user_id,
        "area": user.area,
        "phone": user.phone,
        "email": user.email or "",
        "username": user.username,
        "nickname": user.nickname,
        "role": user.role,
        "is_active": bool(user.is_active),
        "created_at": timestamp(user.created_at),
        "updated_at": timestamp(user.updated_at),
    }


def _body(schema: type[Schema], *, partial: bool = False) -> dict[str, Any]:
    return load(schema, json_body(), partial=partial)


def _query(schema: type[Schema]) -> dict[str, Any]:
    args = request.args.to_dict(flat=True)
    check_text(args, ["query"])
    return load(schema, args, loc="query")


def _crud(
    name: str,
    model: type,
    schema: type[Schema],
    page: Callable[[PageRequest], Page[Any]],
    render: Callable[[Any], dict[str, Any]],
) -> None:
    """Register list / create / read / update / delete routes for one kind of record under ``/api/admin/<name>``."""

    def listing() -> Response:
        return ok(pagination.render(page(pagination.page_request()), render))

    def make() -> Response:
        args = _body(schema)
        return ok(render(content.create_record(model, args, now=clock.now(), actor_id=guard.current_user_id())))

    def read(raw_id: str) -> Response:
        return ok(render(content.get_or_404(model, record_id(raw_id))))

    def change(raw_id: str) -> Response:
        target = record_id(raw_id)
        changes = _body(schema, partial=True)
        manager = guard.current_user_id()
        return ok(render(content.update_record(model, target, changes, now=clock.now(), actor_id=manager)))

    def drop(raw_id: str) -> Response:
        content.delete_record(model, record_id(raw_id), now=clock.now(), actor_id=guard.current_user_id())
        return ok({})

    bp.add_url_rule(f"/{name}", f"{name}_list", listing, methods=["GET"])
    bp.add_url_rule(f"/{name}", f"{name}_create", make, methods=["POST"])
    bp.add_url_rule(f"/{name}/<raw_id>", f"{name}_read", read, methods=["GET"])
    bp.add_url_rule(f"/{name}/<raw_id>", f"{name}_update", change, methods=["PUT", "PATCH"])
    bp.add_url_rule(f"/{name}/<raw_id>", f"{name}_delete", drop, methods=["DELETE"])


# /api/admin/faqs and /api/admin/feedback_categories: GET, POST, GET/PUT/PATCH/DELETE /<id>
_crud("faqs", Faq, schemas.FaqSchema, content.faq_page, records.faq)
_crud("feedback_categories", FeedbackCategory, schemas.CategorySchema, content.category_page, records.category)


@bp.get("/feedbacks")
def feedback_list() -> Response:
    """``GET /api/admin/feedbacks?status&category_id&user_id&page_no&page_size``: everyone's feedback, newest first."""
    filters = _query(schemas.FeedbackFilterSchema)
    return ok(pagination.render(feedback.page(pagination.page_request(), **filters), records.feedback))


@bp.post("/feedbacks/<raw_id>/reply")
def feedback_reply(raw_id: str) -> Response:
    """``POST /api/admin/feedbacks/{id}/reply {reply_content}``: the reply; the feedback becomes status 1."""
    args = _body(schemas.ReplySchema)
    answer = feedback.reply(record_id(raw_id), guard.current_user().id, args["reply_content"], now=clock.now())
    return ok(records.reply(answer))


@bp.get("/pushes")
def push_list() -> Response:
    """``GET /api/admin/pushes?page_no&page_size``: every push sent, newest first, with ``push_status``."""
    return ok(pagination.render(pushes.all_page(pagination.page_request()), records.push))


@bp.post("/pushes")
def push_send() -> Response:
    """``POST /api/admin/pushes {title, body, user_ids?}``: record the push and hand it to the push sender.

    ``push_status`` in the answer is 1 (sent) or 2 (the sender failed).
    """
    args = _body(schemas.PushSchema)
    push = pushes.send(
        guard.current_user().id, args["title"], args["body"], args["user_ids"], now=clock.now(), sender=push_sender()
    )
    return ok(records.push(push))


@bp.get("/users")
def user_list() -> Response:
    """``GET /api/admin/users?q&page_no&page_size``: users, newest first; ``q`` matches phone, email or nickname."""
    search = _query(schemas.UserSearchSchema)["q"]
    return ok(pagination.render(managers.users_page(search, pagination.page_request()), user_record))


@bp.get("/users/<raw_id>")
def user_read(raw_id: str) -> Response:
    """``GET /api/admin/users/{id}``: one user."""
    return ok(user_record(managers.get_user(record_id(raw_id))))


@bp.put("/users/<raw_id>/active")
def user_active(raw_id: str) -> Response:
    """``PUT /api/admin/users/{id}/active {is_active}``: enable or disable a user.

    Disabling revokes every session of the user: their tokens stop working at once.
    """
    args = _body(schemas.ActiveSchema)
    user = managers.manage_user(guard.current_user(), record_id(raw_id), active=args["is_active"], now=clock.now())
    return ok(user_record(user))
