"""Console FAQ and feedback categories: list, create, edit, delete, with a preview.

Each change goes through the :mod:`lingo.services.content` use cases with the
manager as ``actor_id`` (audited as ``admin.content_changed``); fields are
checked with the admin API's schemas, so both accept the same values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from marshmallow import Schema
from werkzeug.wrappers import Response

from .. import clock
from ..errors import DomainError
from ..models import Faq, FeedbackCategory
from ..services import content
from ..services.pages import Page, PageRequest
from . import bp, page_message
from .auth import manager
from .users import page_request, pager_args


@dataclass(frozen=True)
class Kind:
    """One kind of content record the console edits."""

    name: str  # URL segment and endpoint prefix
    label: str
    model: type
    fields: tuple[tuple[str, str, int, bool], ...]  # (field, label, max length, multi-line)

    def schema(self) -> type[Schema]:
        from ..dialects.admin import schemas

        return schemas.FaqSchema if self.model is Faq else schemas.CategorySchema

    def page(self, request: PageRequest) -> Page[Any]:
        return content.faq_page(request) if self.model is Faq else content.category_page(request)


FAQS = Kind(
    "faqs",
    "常见问题",
    Faq,
    (("title", "标题", 255, False), ("content", "内容", 20000, True), ("category", "分类", 64, False),
     ("external_link", "外部链接 (http/https, 可留空)", 512, False)),
)  # fmt: skip
CATEGORIES = Kind(
    "categories",
    "反馈分类",
    FeedbackCategory,
    (("name", "名称", 64, False), ("description", "说明 (可留空)", 255, False)),
)
KINDS = {kind.name: kind for kind in (FAQS, CATEGORIES)}


def _form(kind: Kind) -> dict[str, str]:
    return {name: request.form.get(name, "") for name, *_ in kind.fields}


def _values(record: Any, kind: Kind) -> dict[str, str]:
    return {name: getattr(record, name) or "" for name, *_ in kind.fields}


def _edit_page(kind: Kind, values: dict[str, str], record_id: int | None, preview: dict[str, Any] | None = None) -> str:
    return render_template("console/content_edit.html", kind=kind, values=values, record_id=record_id, preview=preview)


def _register(kind: Kind) -> None:
    prefix = kind.name

    def listing() -> str:
        return render_template(
            "console/content_list.html", kind=kind, page=kind.page(page_request()), args=pager_args()
        )

    def new() -> str:
        return _edit_page(kind, {name: "" for name, *_ in kind.fields}, None)

    def edit(record_id: int) -> str:
        return _edit_page(kind, _values(content.get_or_404(kind.model, record_id), kind), record_id)

    def save(record_id: int | None = None) -> Response | str:
        """Check the form; ``preview`` shows it as users will see it, else create or update."""
        values = _form(kind)
        try:
            fields = _load(kind, values)
        except DomainError as exc:
            flash(page_message(exc), "error")
            return _edit_page(kind, values, record_id)
        if request.form.get("preview"):
            return _edit_page(kind, values, record_id, preview=fields)
        try:
            if record_id is None:
                record: Any = content.create_record(kind.model, fields, now=clock.now(), actor_id=manager().id)
                record_id = record.id
                flash("已创建。", "info")
            else:
                content.update_record(kind.model, record_id, fields, now=clock.now(), actor_id=manager().id)
                flash("已保存。", "info")
        except DomainError as exc:
            flash(page_message(exc), "error")
            return _edit_page(kind, values, record_id)
        return redirect(url_for(f"console.{prefix}_edit", record_id=record_id))

    def drop(record_id: int) -> Response:
        try:
            content.delete_record(kind.model, record_id, now=clock.now(), actor_id=manager().id)
        except DomainError as exc:
            flash(page_message(exc), "error")
        else:
            flash("已删除。", "info")
        return redirect(url_for(f"console.{prefix}_list"))

    bp.add_url_rule(f"/{prefix}", f"{prefix}_list", listing, methods=["GET"])
    bp.add_url_rule(f"/{prefix}/new", f"{prefix}_new", new, methods=["GET"])
    bp.add_url_rule(f"/{prefix}/new", f"{prefix}_create", save, methods=["POST"])
    bp.add_url_rule(f"/{prefix}/<int:record_id>", f"{prefix}_edit", edit, methods=["GET"])
    bp.add_url_rule(f"/{prefix}/<int:record_id>", f"{prefix}_save", save, methods=["POST"])
    bp.add_url_rule(f"/{prefix}/<int:record_id>/delete", f"{prefix}_delete", drop, methods=["POST"])


#: Plainer words for the schemas' messages.
FIELD_MESSAGES = {
    "String should not be empty": "不能为空",
    "String is too long": "太长",
    "Input should be a valid http(s) URL": "应为 http(s) 链接",
}


def _load(kind: Kind, values: dict[str, str]) -> dict[str, Any]:
    """The form's fields checked by the admin API's schema.

    :raises DomainError: ``INVALID_INPUT`` naming the field in words.
    """
    from ..web.parsing import load

    try:
        return load(kind.schema(), dict(values))
    except DomainError as exc:
        labels = {name: label for name, label, *_ in kind.fields}
        words = []
        for detail in exc.details or []:
            field = detail["loc"][-1]
            words.append(f"{labels.get(field, field)}: {FIELD_MESSAGES.get(detail['msg'], detail['msg'])}")
        raise DomainError(exc.error, "; ".join(words) or exc.message) from exc


for _kind in (FAQS, CATEGORIES):
    _register(_kind)
