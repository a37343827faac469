"""v4 envelope: ``{"code": 200, "data": ..., "msg": ...}``; every error HTTP 200 with code -1/-2.

Old app versions only look at ``code`` and show ``msg``; they treat any HTTP
status other than 200 as a network failure, so every error, even a wrong
path or a server fault, is rendered with HTTP 200 (docs/contract.md §5).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from ...errors import DomainError, Error

#: Every domain error → (v4 code, msg) — docs/contract.md §5, v4 column.
ERRORS: dict[Error, tuple[int, str]] = {
    Error.INVALID_INPUT: (-1, "参数错误"),
    Error.PAYLOAD_TOO_LARGE: (-1, "请求体过大"),
    Error.NOT_REGISTERED: (-1, "手机号未注册"),
    Error.ALREADY_REGISTERED: (-1, "手机号已经被注册"),
    Error.WRONG_PASSWORD: (-1, "手机号或密码错误"),
    Error.PASSWORD_NOT_SET: (-1, "手机号或密码错误"),
    Error.INVALID_CODE: (-1, "验证码错误"),
    Error.CAPTCHA_INVALID: (-1, "人机验证未通过"),
    Error.SEND_TOO_FREQUENT: (-1, "发送太频繁"),
    Error.RATE_LIMITED: (-1, "请求过于频繁"),
    Error.SMS_ARREARS: (-1, "短信服务欠费"),
    Error.SMS_FAILED: (-1, "短信发送失败"),
    Error.SMS_UNAVAILABLE: (-1, "短信服务不可用"),
    Error.EMAIL_UNAVAILABLE: (-1, "邮件服务不可用"),
    Error.INVALID_TOKEN: (-1, "无效的令牌"),
    Error.FORBIDDEN: (-1, "没有访问或操作权限"),
    Error.ACCOUNT_DISABLED: (-1, "账号已被禁用"),
    Error.ACCOUNT_PENDING_DELETION: (-1, "账号已被禁用"),
    Error.PASSWORD_LOCKED: (-1, "密码错误次数过多, 请稍后再试"),
    Error.NOT_FOUND: (-1, "数据未查到"),
    Error.NO_SUCH_PATH: (-1, "访问的路径不存在"),
    Error.METHOD_NOT_ALLOWED: (-1, "请求方法不允许"),
    Error.SERVICE_UNAVAILABLE: (-1, "服务暂不可用"),
    Error.INTERNAL: (-1, "服务器内部错误"),
}

#: Endpoints whose seed gives an error its own code: a wrong code at
#: registration is -2.
ENDPOINT_CODES: dict[str, dict[Error, int]] = {
    "v4.register": {Error.INVALID_CODE: -2},
}

#: Chinese names of the fields, for ``参数错误: <field>``.
FIELD_NAMES = {
    "phone": "手机号",
    "mobile": "手机号",
    "password": "密码",
    "name": "姓名",
    "device_identifier": "设备标识",
    "code": "验证码",
    "expect": "expect",
}


def ok(data: Any = "", msg: str = "") -> Response:
    """A v4 success envelope (key order as the seed shows it)."""
    return jsonify({"code": 200, "data": data, "msg": msg})


def sent(msg: str) -> Response:
    """``sendsms``'s success: ``code`` is the string ``"200"`` and there is no ``data``."""
    return jsonify({"code": "200", "msg": msg})


def render_error(err: DomainError) -> Response:
    """A v4 error body, always HTTP 200: ``{"code": -1|-2, "data": "", "msg": <text>}``."""
    code, msg = ERRORS[err.error]
    code = ENDPOINT_CODES.get(request.endpoint or "", {}).get(err.error, code)
    if err.error is Error.INVALID_INPUT and err.details:
        field = next((str(p) for p in err.details[0]["loc"][1:]), "")
        if field:
            msg = f"{msg}: {FIELD_NAMES.get(field, field)}"
    return jsonify({"code": code, "data": "", "msg": msg})
