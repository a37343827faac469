"""What the OpenAPI document says about the admin routes (:mod:`lingo.ops.openapi`).

Every route needs a manager's token (the blueprint's ``before_request``);
answers are in the modern envelope, records as the platform shows them.
Examples are those of ``docs/dialects/admin.md``.
"""

from __future__ import annotations

from typing import Any

from ...ops.openapi import INTEGER, STRING, Auth, Description, Named, Operation, nullable, obj, page
from ...services import audit, sessions
from ...web.pagination import PageSchema
from ..modern.openapi import ModernWire
from ..platform import openapi as platform
from . import schemas

WIRE = ModernWire("admin")
PAGE = (PageSchema,)

USER = Named(
    "admin.User",
    obj(
        id=INTEGER,
        user_id=STRING,
        area=STRING,
        phone=STRING,
        email=STRING,
        username=STRING,
        nickname=STRING,
        role={"enum": [0, 1], "description": "0 user, 1 manager"},
        is_active={"type": "boolean"},
        created_at=platform.TIMESTAMP,
        updated_at=platform.TIMESTAMP,
    ),
)
DELETION = Named(
    "admin.Deletion",
    obj(
        **USER.schema["properties"],
        delete_requested_at=platform.TIMESTAMP,
        delete_after=platform.TIMESTAMP,
        deleted_at=platform.TIMESTAMP,
    ),
)
SESSION = Named(
    "admin.Session",
    obj(
        id=INTEGER,
        user_id=INTEGER,
        client={"enum": list(sessions.CLIENTS)},
        ip=STRING,
        user_agent=STRING,
        created_at=platform.TIMESTAMP,
        last_used_at=platform.TIMESTAMP,
        expires_at=platform.TIMESTAMP,
    ),
)
AUDIT_EVENT = Named(
    "admin.AuditEvent",
    obj(
        id=INTEGER,
        at={"type": "string", "format": "date-time"},
        event={"enum": list(audit.EVENTS)},
        user_id=nullable(INTEGER),
        account=STRING,
        ip=STRING,
        dialect=STRING,
        request_id=STRING,
        actor_id=nullable(INTEGER),
        details={"type": "object"},
    ),
)
USER_EXAMPLE = {
    "id": 7,
    "user_id": "3f1c2a9e8b7d4c6f0a1b2c3d4e5f6a7b",
    "area": "86",
    "phone": "13800000002",
    "email": "",
    "username": "13800000002",
    "nickname": "",
    "role": 0,
    "is_active": True,
    "created_at": "2026-01-05 16:00:00",
    "updated_at": "2026-01-05 16:00:00",
}
SESSION_EXAMPLE = {
    "id": 812,
    "user_id": 7,
    "client": "modern",
    "ip": "203.0.113.7",
    "user_agent": "Lingo/5.2 (iPhone; iOS 17.2)",
    "created_at": "2026-01-05 16:00:00",
    "last_used_at": "2026-01-05 17:12:40",
    "expires_at": "2026-02-04 16:00:00",
}


def crud(
    name: str, what: tuple[str, str], record: Named, schema: type, example: dict[str, Any], body: dict[str, Any]
) -> dict[str, Description]:
    """The five routes ``_crud`` registers for one kind of record (their views have no docstrings).

    :param what: the record's name, one and many.
    """
    one, many = what
    return {
        f"admin.{name}_list": Operation(
            WIRE,
            data=page(record),
            query=PAGE,
            auth=Auth.MANAGER,
            summary=f"`GET /api/admin/{name}?page_no&page_size`: a page of {many}, newest first",
            data_example=platform.page_example(example),
        ),
        f"admin.{name}_create": Operation(
            WIRE,
            data=record,
            body=schema,
            auth=Auth.MANAGER,
            summary=f"`POST /api/admin/{name}`: a new {one}",
            body_example=body,
            data_example=example,
        ),
        f"admin.{name}_read": Operation(
            WIRE,
            data=record,
            auth=Auth.MANAGER,
            summary=f"`GET /api/admin/{name}/{{id}}`: one {one}",
            data_example=example,
        ),
        f"admin.{name}_update": Operation(
            WIRE,
            data=record,
            body=schema(partial=True),
            auth=Auth.MANAGER,
            summary=f"`PUT|PATCH /api/admin/{name}/{{id}}`: change the fields given",
            body_example=body,
            data_example=example,
        ),
        f"admin.{name}_delete": Operation(
            WIRE, auth=Auth.MANAGER, summary=f"`DELETE /api/admin/{name}/{{id}}`: delete it", data_example={}
        ),
    }


OPERATIONS: dict[str, Description] = {
    **crud(
        "faqs",
        ("FAQ entry", "FAQ entries"),
        platform.FAQ,
        schemas.FaqSchema,
        platform.FAQ_EXAMPLE,
        {"title": "如何修改密码", "content": "在设置页…", "category": "账号"},
    ),
    **crud(
        "feedback_categories",
        ("feedback category", "feedback categories"),
        platform.CATEGORY,
        schemas.CategorySchema,
        {"id": 1, **platform.STAMPS, "name": "功能建议", "description": ""},
        {"name": "功能建议"},
    ),
    "admin.feedback_list": Operation(
        WIRE,
        data=page(platform.FEEDBACK),
        query=(schemas.FeedbackFilterSchema, PageSchema),
        auth=Auth.MANAGER,
        data_example=platform.page_example(platform.FEEDBACK_EXAMPLE),
    ),
    "admin.feedback_reply": Operation(
        WIRE,
        data=platform.REPLY,
        body=schemas.ReplySchema,
        auth=Auth.MANAGER,
        body_example={"reply_content": "已修复, 请更新到最新版本"},
    ),
    "admin.push_list": Operation(WIRE, data=page(platform.PUSH), query=PAGE, auth=Auth.MANAGER),
    "admin.push_send": Operation(
        WIRE,
        data=platform.PUSH,
        body=schemas.PushSchema,
        auth=Auth.MANAGER,
        body_example={"title": "通知", "body": "内容", "user_ids": [7]},
        data_example={**platform.PUSH_EXAMPLE, "push_scope": 1, "push_status": 1},
    ),
    "admin.user_list": Operation(
        WIRE,
        data=page(USER),
        query=(schemas.UserSearchSchema, PageSchema),
        auth=Auth.MANAGER,
        data_example=platform.page_example(USER_EXAMPLE),
    ),
    "admin.user_read": Operation(WIRE, data=USER, auth=Auth.MANAGER, data_example=USER_EXAMPLE),
    "admin.user_active": Operation(
        WIRE,
        data=USER,
        body=schemas.ActiveSchema,
        auth=Auth.MANAGER,
        body_example={"is_active": False},
        data_example={**USER_EXAMPLE, "is_active": False},
    ),
    "admin.user_delete": Operation(WIRE, data=DELETION, auth=Auth.MANAGER),
    "admin.deletion_list": Operation(WIRE, data=page(DELETION), query=PAGE, auth=Auth.MANAGER),
    "admin.user_sessions": Operation(
        WIRE,
        data=page(SESSION),
        query=PAGE,
        auth=Auth.MANAGER,
        data_example=platform.page_example(SESSION_EXAMPLE),
    ),
    "admin.user_session_revoke": Operation(WIRE, auth=Auth.MANAGER, data_example={}),
    "admin.user_sessions_revoke": Operation(
        WIRE, data=obj(count=INTEGER), auth=Auth.MANAGER, data_example={"count": 2}
    ),
    "admin.audit_list": Operation(
        WIRE,
        data=page(AUDIT_EVENT),
        query=(schemas.AuditFilterSchema, PageSchema),
        auth=Auth.MANAGER,
    ),
}
