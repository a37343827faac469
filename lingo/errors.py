"""The one table of domain errors (docs/contract.md §5) and the one exception that carries them.

Services raise :class:`DomainError` with a member of :class:`Error`; each wire
dialect maps every member to its own code, message and HTTP status in one
dictionary (see ``lingo/dialects``).
"""

from __future__ import annotations

import enum
from typing import Any


class Error(enum.Enum):
    """Every domain failure: ``(key, default message, HTTP status)``."""

    INVALID_INPUT = ("invalid_input", "请求字段不合法", 422)
    PAYLOAD_TOO_LARGE = ("payload_too_large", "请求体过大", 413)
    NOT_REGISTERED = ("not_registered", "用户未注册", 404)
    ALREADY_REGISTERED = ("already_registered", "用户已注册", 409)
    WRONG_PASSWORD = ("wrong_password", "密码错误", 401)
    PASSWORD_NOT_SET = ("password_not_set", "未设置密码", 400)
    INVALID_CODE = ("invalid_code", "验证码无效", 400)
    CAPTCHA_INVALID = ("captcha_invalid", "人机验证未通过", 400)
    SEND_TOO_FREQUENT = ("send_too_frequent", "发送太频繁", 429)
    RATE_LIMITED = ("rate_limited", "请求过于频繁", 429)
    SMS_ARREARS = ("sms_arrears", "短信服务欠费", 503)
    SMS_FAILED = ("sms_failed", "短信发送失败", 503)
    SMS_UNAVAILABLE = ("sms_unavailable", "短信服务不可用", 503)
    EMAIL_UNAVAILABLE = ("email_unavailable", "邮件服务不可用", 503)
    INVALID_TOKEN = ("invalid_token", "无效的Token", 401)
    FORBIDDEN = ("forbidden", "没有访问或操作权限", 403)
    ACCOUNT_DISABLED = ("account_disabled", "账号已被禁用", 403)
    ACCOUNT_PENDING_DELETION = ("account_pending_deletion", "账号正在注销中", 403)
    PASSWORD_LOCKED = ("password_locked", "密码错误次数过多, 请稍后再试或使用验证码登录", 429)
    NOT_FOUND = ("not_found", "数据未查到", 404)
    NO_SUCH_PATH = ("no_such_path", "访问的路径不存在", 404)
    METHOD_NOT_ALLOWED = ("method_not_allowed", "请求方法不允许", 405)
    SERVICE_UNAVAILABLE = ("service_unavailable", "服务暂不可用", 503)
    INTERNAL = ("internal", "服务器内部错误", 500)

    def __init__(self, key: str, message: str, status: int) -> None:
        self.key = key
        self.message = message
        self.status = status


class DomainError(Exception):
    """A domain failure raised by the service layer.

    :param error: the member of :class:`Error`.
    :param message: overrides the default message (rarely needed).
    :param details: for ``INVALID_INPUT``, a list of
        ``{"loc": [...], "msg": str, "type": str}`` items.
    :param persist: the work done before the failure must stand (a counted
        failed attempt, limits that stay taken, a session revoked on token
        reuse): the use case commits before the error reaches the client,
        instead of rolling back (:func:`lingo.services.transaction.use_case`).
    """

    def __init__(
        self,
        error: Error,
        message: str | None = None,
        *,
        details: list[dict[str, Any]] | None = None,
        persist: bool = False,
    ) -> None:
        super().__init__(message or error.message)
        self.error = error
        self.message = message or error.message
        self.details = details or []
        self.persist = persist

    def __repr__(self) -> str:
        return f"DomainError({self.error.key!r}, {self.message!r})"


def invalid(loc: list[str | int], msg: str, type_: str = "value_error") -> DomainError:
    """Build an ``INVALID_INPUT`` error for one field.

    :param loc: FastAPI-style location, e.g. ``["body", "phone"]``.
    """
    return DomainError(Error.INVALID_INPUT, msg, details=[{"loc": loc, "msg": msg, "type": type_}])
