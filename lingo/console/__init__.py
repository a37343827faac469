"""The admin web console under ``/admin/`` (issue 19, docs/console.md): HTML pages for managers.

Not a wire dialect: pages rendered with Flask's Jinja templates and plain
forms, no script needed, nothing loaded from elsewhere (the CSS is served
from this package). Errors under ``/admin`` are HTML pages in plain words
(:func:`render_error`, registered as a page area of :mod:`lingo.dialects`);
``/api/admin`` stays the admin dialect's JSON.

Who is signed in lives in Flask's signed session cookie (``SESSION_COOKIE_*``:
HttpOnly, SameSite=Lax, path ``/admin``, Secure in production), which names a
server-side session checked on every request (:mod:`.auth`); a sign-in ends
after ``ADMIN_CONSOLE_IDLE_MINUTES`` without a request, after
``ADMIN_CONSOLE_SESSION_HOURS`` in any case, or when its session is revoked. Every form carries a CSRF
token (Flask-WTF), checked for the console only: the JSON APIs take none.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, make_response, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.wrappers import Response as BaseResponse

from ..errors import DomainError, Error
from ..web import client

#: The console's time limits and the largest value each may have (a day idle, 30 days in all).
TIME_LIMITS = {"ADMIN_CONSOLE_IDLE_MINUTES": 24 * 60, "ADMIN_CONSOLE_SESSION_HOURS": 30 * 24}

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
csrf = CSRFProtect()

#: The menu: (endpoint, label) of each page the view modules register.
NAV: list[tuple[str, str]] = [
    ("console.users", "用户"),
    ("console.inbox", "反馈"),
    ("console.faqs_list", "常见问题"),
    ("console.categories_list", "反馈分类"),
    ("console.pushes_page", "推送"),
    ("console.audit_log", "审计日志"),
]

#: Where errors have plainer words on a page than in the API tables.
PAGE_MESSAGES = {
    Error.NO_SUCH_PATH: "没有这个页面。",
    Error.METHOD_NOT_ALLOWED: "这个页面不接受这种请求方式。",
    Error.INTERNAL: "服务器出了点问题，请稍后再试。问题已记录在日志中。",
    Error.SERVICE_UNAVAILABLE: "服务暂时不可用, 可能是数据库连接失败, 请稍后再试。",
    Error.INVALID_INPUT: "提交的内容不合法，请检查后重试。",
    Error.RATE_LIMITED: "操作太频繁，请稍后再试。",
    Error.NOT_FOUND: "要找的记录不存在, 可能已被删除。",
}


def page_message(err: DomainError) -> str:
    """The words a page shows for ``err``."""
    if err.message != err.error.message:
        return err.message
    return PAGE_MESSAGES.get(err.error, err.error.message)


def error_page(status: int, message: str) -> Response:
    """An HTML error page (never a traceback)."""
    response = make_response(render_template("console/error.html", status=status, message=message), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def render_error(err: DomainError) -> Response:
    """Any error under ``/admin`` as an HTML page with the error's HTTP status."""
    return error_page(err.error.status, page_message(err))


@bp.errorhandler(CSRFError)
def _csrf_refused(_exc: CSRFError) -> Response:
    return error_page(400, "表单已过期或缺少安全令牌，请返回、刷新页面后重新提交。")


@bp.before_request
def _console_request() -> BaseResponse | None:
    """Name the console to the services (audit ``dialect``), check CSRF, require a manager."""
    client.use_dialect("console")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    return auth.require_manager()


@bp.context_processor
def _menu() -> dict[str, object]:
    return {"console_nav": NAV}


@bp.after_request
def _no_cache(response: Response) -> Response:
    if request.endpoint != "console.static":
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    """Register the console: CSRF for its forms only, its blueprint, its HTML error pages."""
    from ..dialects import add_page_area

    for key, most in TIME_LIMITS.items():
        try:
            fits = 0 < float(app.config[key]) <= most
        except (TypeError, ValueError):
            fits = False
        if not fits:
            raise RuntimeError(f"{key} must be a number above 0 and at most {most}, not {app.config[key]!r}")
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked in _console_request only
    csrf.init_app(app)
    app.register_blueprint(bp)
    add_page_area(app, "/admin", render_error)


from . import audit, auth, content, feedback, pushes, users  # noqa: E402,F401  (registers the views on bp)
