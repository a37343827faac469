"""What the OpenAPI document says about the platform routes (:mod:`lingo.ops.openapi`).

The envelope and the numbered errors come from :mod:`.render`; the records
are those of :mod:`lingo.web.records` (the admin API shows the same ones);
examples are those of ``docs/dialects/platform.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...errors import Error
from ...ops.openapi import (
    BOOLEAN,
    INTEGER,
    PASSWORD_SIGN_IN_ERRORS,
    REFRESH_ERRORS,
    SEND_ERRORS,
    STRING,
    Auth,
    Description,
    Named,
    Operation,
    Wire,
    array,
    const,
    obj,
    page,
)
from ...web.pagination import PageSchema
from ...web.query import MAX_ID, MAX_IDS
from . import schemas
from .render import ERRORS


class PlatformWire(Wire):
    """``{"code": 0, "message": "success", "data": ...}``; errors ``{"code": 10000–10014, "message", "data": {}}``."""

    tag = "platform"

    def success(self, data: Any) -> dict[str, Any]:
        return obj(code=const(0), message=const("success"), data=data)

    def success_example(self, data: Any) -> Any:
        return {"code": 0, "message": "success", "data": data}

    def status(self, error: Error) -> int:
        return ERRORS[error][1]

    def error_schema(self, status: int, errors: Sequence[Error], endpoint: str) -> dict[str, Any]:
        codes = sorted({ERRORS[error][0] for error in errors})
        return obj(code={"enum": codes}, message=STRING, data={"type": "object", "maxProperties": 0})

    def error_example(self, error: Error, endpoint: str) -> Any:
        code, _, message = ERRORS[error]
        return {"code": code, "message": message, "data": {}}


WIRE = PlatformWire()

#: ``"YYYY-MM-DD HH:MM:SS"`` in ``TIMEZONE``; ``""`` when unset (:func:`lingo.web.records.timestamp`).
TIMESTAMP = {"type": "string", "pattern": r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)?$", "examples": ["2019-06-21 10:12:03"]}


def record(component: str, **fields: Any) -> Named:
    """A record of :mod:`lingo.web.records`: ``id``, ``app_id``, ``created_at``, ``updated_at`` and ``fields``."""
    return Named(component, obj(id=INTEGER, app_id=STRING, created_at=TIMESTAMP, updated_at=TIMESTAMP, **fields))


FAQ = record("records.Faq", title=STRING, content=STRING, category=STRING, external_link=STRING)
CATEGORY = record("records.FeedbackCategory", name=STRING, description=STRING)
FEEDBACK = record(
    "records.Feedback",
    feedback_content=STRING,
    feedback_status={"enum": [0, 1], "description": "0 open, 1 replied"},
    feedback_category_id={"type": "integer", "description": "0: none"},
    contact_phone=STRING,
    user_id=INTEGER,
)
REPLY = record("records.FeedbackReply", reply_content=STRING, manager_id=INTEGER, feedback_id=INTEGER, is_read=BOOLEAN)
BINDING = record(
    "records.PushBinding", user_id=INTEGER, client_id=STRING, client_type={"enum": ["android", "ios"]}, switch=BOOLEAN
)
PUSH_FIELDS = {
    "push_title": STRING,
    "push_body": STRING,
    "push_scope": {"enum": [0, 1], "description": "0 everyone, 1 listed users"},
    "manager_id": INTEGER,
}
PUSH_DETAIL = record("records.PushDetail", **PUSH_FIELDS)
PUSH = record(
    "records.Push", **PUSH_FIELDS, push_status={"enum": [0, 1, 2], "description": "0 pending, 1 sent, 2 failed"}
)
TOKENS = Named(
    "platform.Tokens",
    obj(access_token=STRING, refresh_token=STRING, expires_at=TIMESTAMP, expires_in=INTEGER),
)
TOKENS_EXAMPLE = {
    "access_token": "8cTq2wJ0nYp4ZbX1kR7mV3sL9dF6hG5aQ2eW8rT1yU4iO7pA0z",
    "refresh_token": "Lm3Nb6Vc9Xz2As5Df8Gh1Jk4Qw7Er0Ty3Ui6Op9Zx2Cv5Bn8Ma",
    "expires_at": "2019-06-28 10:12:03",
    "expires_in": 604800,
}
USER = Named(
    "platform.User",
    obj(
        id=INTEGER,
        area=STRING,
        phone=STRING,
        email=STRING,
        openid=STRING,
        role={"enum": [0, 1], "description": "0 user, 1 manager"},
        username=STRING,
        is_active=BOOLEAN,
        app_id=STRING,
        created_at=TIMESTAMP,
        updated_at=TIMESTAMP,
        nickname=STRING,
        avatar=STRING,
        gender={"type": "integer", "description": "0 female, 1 male, 2 undisclosed"},
        birthday={"type": "string", "pattern": r"^(\d{4}-\d\d-\d\d)?$"},
        address=STRING,
    ),
)
USER_EXAMPLE = {
    "id": 7,
    "area": "86",
    "phone": "13700137000",
    "email": "",
    "openid": "Xq2Zt8Lm4Rw6Yp0Vb3Nc5Kd7Hf9Gj1Ae2Su4Io6P",
    "role": 0,
    "username": "13700137000",
    "is_active": True,
    "app_id": "",
    "created_at": "2019-06-21 10:12:03",
    "updated_at": "2019-06-21 10:15:40",
    "nickname": "小明",
    "avatar": "https://example.com/a.png",
    "gender": 1,
    "birthday": "1991-03-08",
    "address": "上海",
}
ACCOUNT = {"area": "86", "account": "13700137000"}
STAMPS = {"app_id": "", "created_at": "2019-06-21 10:12:03", "updated_at": "2019-06-21 10:12:03"}
FAQ_EXAMPLE = {"id": 1, **STAMPS, "title": "如何修改密码", "content": "在设置页…", "category": "", "external_link": ""}
FEEDBACK_EXAMPLE = {
    "id": 1,
    **STAMPS,
    "feedback_content": "反馈内容",
    "feedback_status": 0,
    "feedback_category_id": 1,
    "contact_phone": "18656660930",
    "user_id": 7,
}
PUSH_EXAMPLE = {"id": 1, **STAMPS, "push_title": "通知", "push_body": "内容", "push_scope": 0, "manager_id": 1}
BINDING_EXAMPLE = {"id": 1, **STAMPS, "user_id": 7, "client_id": "xxxxxxx", "client_type": "android", "switch": True}


def page_example(item: dict[str, Any]) -> dict[str, Any]:
    """A one-item page."""
    return {"total": 1, "pages": 1, "current_page": 1, "page_size": 20, "data": [item]}


#: ``?push_ids=1&push_ids=2``, ``?push_ids=1,2`` or ``?push_ids=[1,2]`` (:func:`lingo.web.query.id_list`).
ID_LIST_TEXT = {"type": "string", "pattern": r"^\[?[0-9, ]*\]?$", "examples": ["1,2,3", "[1,2,3]"]}


def id_list_parameter(name: str, description: str) -> dict[str, Any]:
    """A query parameter holding ids as the platform reads them."""
    return {
        "in": "query",
        "name": name,
        "required": False,
        "description": f"{description} (repeat it, or `1,2,3`, or `[1,2,3]`; at most {MAX_IDS} ids up to {MAX_ID})",
        "schema": array(ID_LIST_TEXT),
        "style": "form",
        "explode": True,
    }


#: The platform side of the shared ``POST /api/auth/send_code``.
SEND_CODE = Operation(
    WIRE,
    body=schemas.SendCodeSchema,
    errors=(*SEND_ERRORS, Error.EMAIL_UNAVAILABLE),
    body_example=ACCOUNT,
    data_example={},
)
PAGE = (PageSchema,)

OPERATIONS: dict[str, Description] = {
    "platform.check_code": Operation(
        WIRE,
        body=schemas.CodeSchema,
        errors=(Error.INVALID_CODE,),
        body_example={**ACCOUNT, "code": "228170"},
        data_example={},
    ),
    "platform.register": Operation(
        WIRE,
        data=TOKENS,
        body=schemas.RegisterSchema,
        errors=(Error.ALREADY_REGISTERED, Error.INVALID_CODE, Error.RATE_LIMITED),
        body_example={**ACCOUNT, "code": "228170", "password": "correct-horse"},
        data_example=TOKENS_EXAMPLE,
    ),
    "platform.access_token": Operation(
        WIRE,
        data=TOKENS,
        body=schemas.PasswordLoginSchema,
        errors=PASSWORD_SIGN_IN_ERRORS,
        body_example={**ACCOUNT, "password": "correct-horse"},
        data_example=TOKENS_EXAMPLE,
    ),
    "platform.refresh_token": Operation(
        WIRE,
        data=TOKENS,
        body=schemas.RefreshSchema,
        errors=REFRESH_ERRORS,
        body_example={"refresh_token": TOKENS_EXAMPLE["refresh_token"]},
        data_example=TOKENS_EXAMPLE,
    ),
    "platform.destroy_token": Operation(WIRE, auth=Auth.USER, data_example={}),
    "platform.get_info": Operation(WIRE, data=USER, auth=Auth.USER, data_example=USER_EXAMPLE),
    "platform.put_info": Operation(
        WIRE,
        data=USER,
        body=schemas.ProfileSchema,
        auth=Auth.USER,
        body_example={
            "nickname": "小明",
            "gender": 1,
            "birthday": "1991-03-08",
            "avatar": "https://example.com/a.png",
            "address": "上海",
        },
        data_example=USER_EXAMPLE,
    ),
    "platform.faq_list": Operation(
        WIRE, data=page(FAQ), query=PAGE, auth=Auth.USER, data_example=page_example(FAQ_EXAMPLE)
    ),
    "platform.faq_detail": Operation(WIRE, data=FAQ, auth=Auth.USER, data_example=FAQ_EXAMPLE),
    "platform.feedback_categories": Operation(
        WIRE,
        data=page(CATEGORY),
        query=PAGE,
        auth=Auth.USER,
        data_example=page_example({"id": 1, **STAMPS, "name": "功能建议", "description": ""}),
    ),
    "platform.feedback_file": Operation(
        WIRE,
        data=FEEDBACK,
        body=schemas.FeedbackSchema,
        auth=Auth.USER,
        errors=(Error.FORBIDDEN,),
        body_example={"feedback_content": "反馈内容", "feedback_category_id": 1, "contact_phone": "18656660930"},
        data_example=FEEDBACK_EXAMPLE,
    ),
    "platform.feedback_list": Operation(
        WIRE, data=page(FEEDBACK), query=PAGE, auth=Auth.USER, data_example=page_example(FEEDBACK_EXAMPLE)
    ),
    "platform.feedback_delete": Operation(WIRE, auth=Auth.USER, data_example={}),
    "platform.feedback_reply": Operation(
        WIRE,
        data=REPLY,
        auth=Auth.USER,
        data_example={
            "id": 1,
            **STAMPS,
            "reply_content": "已修复",
            "manager_id": 1,
            "feedback_id": 1,
            "is_read": False,
        },
    ),
    "platform.push_bind": Operation(
        WIRE,
        data=BINDING,
        body=schemas.BindSchema,
        auth=Auth.USER,
        errors=(Error.FORBIDDEN,),
        body_example={"client_id": "xxxxxxx", "client_type": "android"},
        data_example=BINDING_EXAMPLE,
    ),
    "platform.push_switch_get": Operation(WIRE, data=BINDING, auth=Auth.USER, data_example=BINDING_EXAMPLE),
    "platform.push_switch_put": Operation(
        WIRE, body=schemas.SwitchSchema, auth=Auth.USER, body_example={"switch": False}, data_example={}
    ),
    "platform.message_count": Operation(
        WIRE,
        data=obj(push_count=INTEGER, feedback_count=INTEGER),
        params=(id_list_parameter("push_ids", "pushes already seen: they are not counted"),),
        auth=Auth.USER,
        data_example={"push_count": 2, "feedback_count": 1},
    ),
    "platform.push_log": Operation(
        WIRE,
        data=page(PUSH),
        query=PAGE,
        auth=Auth.USER,
        data_example=page_example({**PUSH_EXAMPLE, "push_status": 1}),
    ),
    "platform.push_log_detail": Operation(WIRE, data=PUSH_DETAIL, auth=Auth.USER, data_example=PUSH_EXAMPLE),
    "platform.push_log_delete": Operation(
        WIRE,
        body=schemas.HideSchema,
        params=(id_list_parameter("ids", "pushes to hide when the body names none; neither: every push"),),
        auth=Auth.USER,
        body_example={"ids": [1]},
        data_example={},
    ),
}
