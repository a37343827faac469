"""Admin audit routes: the security event log, filtered and paginated."""

from __future__ import annotations

from flask import Response, request

from ....services import audit
from ....web import pagination
from ....web.parsing import check_text, load
from .. import bp, schemas
from ..render import ok


@bp.get("/audit")
def audit_list() -> Response:
    """``GET /api/admin/audit?user_id&event&since&until&page_no&page_size``: events, newest first.

    ``since`` / ``until`` are ISO 8601 times (UTC when no offset is given);
    ``event`` is one of :data:`lingo.services.audit.EVENTS`.
    """
    args = request.args.to_dict(flat=True)
    check_text(args, ["query"])
    filters = load(
        schemas.AuditFilterSchema, {k: v for k, v in args.items() if k not in ("page_no", "page_size")}, loc="query"
    )
    found = audit.page(pagination.page_request(), **filters)
    return ok(pagination.render(found, audit.as_dict))
