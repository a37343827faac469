"""Platform envelope: ``{"code": 0, "message": "success", "data": ...}``; numbered errors."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ...errors import DomainError, Error

#: Every domain error → (platform code, HTTP status, message) — docs/contract.md §5, seed table.
ERRORS: dict[Error, tuple[int, int, str]] = {
    Error.INVALID_INPUT: (10005, 400, "请求字段不合法"),
    Error.PAYLOAD_TOO_LARGE: (10005, 400, "请求字段不合法"),
    Error.NOT_REGISTERED: (10006, 404, "用户未注册"),
    Error.ALREADY_REGISTERED: (10009, 409, "用户已注册"),
    Error.WRONG_PASSWORD: (10007, 401, "密码错误"),
    Error.PASSWORD_NOT_SET: (10007, 401, "密码错误"),
    Error.INVALID_CODE: (10008, 400, "无效的验证码"),
    Error.CAPTCHA_INVALID: (10005, 400, "请求字段不合法"),
    Error.SEND_TOO_FREQUENT: (10010, 429, "短信发送太频繁"),
    Error.RATE_LIMITED: (10000, 429, "请求过于频繁"),
    Error.SMS_ARREARS: (10011, 503, "短信服务欠费"),
    Error.SMS_FAILED: (10012, 503, "短信服务其他错误信息"),
    Error.SMS_UNAVAILABLE: (10013, 503, "短信服务不可用, 可能是服务变更或参数错误导致"),
    Error.EMAIL_UNAVAILABLE: (10014, 503, "邮件服务不可用, 可能是服务变更或参数错误导致"),
    Error.INVALID_TOKEN: (10004, 401, "无效的Token, 可能是错误的, 失效的, 用户已被删除"),
    Error.FORBIDDEN: (10003, 403, "该用户没有访问或操作权限"),
    Error.ACCOUNT_DISABLED: (10003, 403, "该用户没有访问或操作权限"),
    Error.ACCOUNT_PENDING_DELETION: (10003, 403, "该用户没有访问或操作权限"),
    Error.PASSWORD_LOCKED: (10000, 429, "密码错误次数过多, 请稍后再试或使用验证码登录"),
    Error.NOT_FOUND: (10001, 404, "数据未查到"),
    Error.NO_SUCH_PATH: (10002, 404, "访问的路径不存在"),
    Error.METHOD_NOT_ALLOWED: (10000, 405, "请求方法不允许"),
    Error.SERVICE_UNAVAILABLE: (10000, 503, "服务暂不可用"),
    Error.INTERNAL: (10000, 500, "通用错误码"),
}


def ok(data: Any = None) -> Response:
    """A success envelope (``data`` defaults to ``{}``)."""
    return jsonify({"code": 0, "message": "success", "data": {} if data is None else data})


def render_error(err: DomainError) -> Response:
    """A platform error body: ``{"code": <n>, "message": <text>, "data": {}}``."""
    code, status, message = ERRORS[err.error]
    if err.error is Error.INVALID_INPUT and err.details:
        message = f"{message}: {'.'.join(str(p) for p in err.details[0]['loc'][1:]) or 'body'}"
    response = jsonify({"code": code, "message": message, "data": {}})
    response.status_code = status
    return response
