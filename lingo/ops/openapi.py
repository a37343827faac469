"""The OpenAPI 3.1 document of every route, generated from the code (issue 17).

Nothing in the document is written per endpoint by hand; it is assembled from
what the code already holds:

- **paths and methods**: the app's URL map. Every rule is a path and every
  method an operation; a route that no table describes stops the build
  (:class:`Undescribed`), so none can be left out, and nothing that is not a
  route gets in. Left out on purpose: the pages for a browser (the
  documentation's own routes, the admin console: :data:`NOT_DOCUMENTED`),
  Flask's unused ``static`` route, and the ``HEAD``
  and ``OPTIONS`` answers Flask adds to every route;
- **request bodies and query parameters**: the marshmallow schemas the views
  load, converted by apispec's marshmallow plugin (v4 parameters: the query
  for ``GET``, a JSON or form body for ``POST``, as the dialect reads them);
- **success bodies**: the dialect's envelope (its :class:`Wire`) around the
  data the route renders, described next to the routes in each dialect's
  ``openapi`` module (``lingo/dialects/<package>/openapi.py``: a table
  ``OPERATIONS`` of :class:`Operation` by endpoint);
- **error bodies**: every error a route can answer (the ones its services
  raise, listed in its :class:`Operation`, plus those that follow from what
  it takes: a body, a query, a token, a path parameter, the database),
  rendered from the dialect's error table (``ERRORS`` in its ``render``
  module): status, envelope and one example per error;
- **summaries and descriptions**: the views' docstrings;
- **security**: ``Bearer`` and ``Token``, the two ``Authorization`` schemes
  the guard accepts (:func:`lingo.web.parsing.bearer_token`).

``GET /api/openapi.json`` and ``GET /api/docs`` serve it
(:mod:`lingo.ops.apidocs`, when ``API_DOCS`` is on); ``flask openapi export``
writes it to a file (:mod:`lingo.cli.openapi`).
"""

from __future__ import annotations

import enum
import importlib.metadata
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema, fields
from werkzeug.routing import Rule

from ..errors import Error
from ..web.fields import CaptchaProof, Text
from ..web.query import MAX_ID

log = logging.getLogger("lingo.ops.openapi")

OPENAPI_VERSION = "3.1.0"
#: Blueprints and endpoints the document leaves out, pages for a browser rather
#: than an API: the documentation itself (HTML and assets), the admin web console
#: (HTML forms under ``/admin/``), and Flask's ``static`` route, which lingo does not use.
NOT_DOCUMENTED = ("apidocs.", "console.", "static")
#: Where the document is kept once built (it does not change while the app runs).
EXTENSION = "lingo.openapi"


class Auth(enum.Enum):
    """Who may call a route: any signed-in user, or a manager."""

    USER = "user"
    MANAGER = "manager"


# -- JSON Schema building blocks ------------------------------------------------------------------

STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
NULL: dict[str, Any] = {"type": "null"}
#: ``{}``: the data of answers that carry none.
EMPTY: dict[str, Any] = {"type": "object", "maxProperties": 0}
#: A record id as routes read it from the path (:func:`lingo.web.query.record_id`).
RECORD_ID: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def const(value: Any) -> dict[str, Any]:
    """Exactly ``value``."""
    return {"const": value}


def nullable(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` or ``null``."""
    return {"anyOf": [dict(schema), NULL]}


def array(items: Any) -> dict[str, Any]:
    """A list of ``items``."""
    return {"type": "array", "items": items}


def obj(**properties: Any) -> dict[str, Any]:
    """An object with exactly these properties, every one of them present."""
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def page(record: Any) -> dict[str, Any]:
    """A platform list page of ``record`` (:func:`lingo.web.pagination.render`)."""
    return obj(total=INTEGER, pages=INTEGER, current_page=INTEGER, page_size=INTEGER, data=array(record))


@dataclass(frozen=True)
class Named:
    """A JSON Schema kept once under ``components/schemas/<name>`` and referred to by ``$ref``."""

    name: str
    schema: dict[str, Any]


# -- envelopes ------------------------------------------------------------------------------------


@dataclass
class Answers:
    """The responses of one operation, by HTTP status: the schemas and examples of each."""

    by_status: dict[int, tuple[list[Any], dict[str, Any], list[str]]] = field(default_factory=dict)
    #: Statuses answered with another media type than JSON (``/metrics``).
    media_types: dict[int, str] = field(default_factory=dict)

    def add(
        self,
        status: int,
        schema: Any,
        examples: Mapping[str, Any],
        description: str,
        media_type: str = "application/json",
    ) -> None:
        """One more possible answer with ``status``."""
        schemas, found, descriptions = self.by_status.setdefault(status, ([], {}, []))
        schemas.append(schema)
        found.update(examples)
        descriptions.append(description)
        if media_type != "application/json":
            self.media_types[status] = media_type

    def merge(self, other: Answers) -> None:
        """Add every answer of ``other`` (a path two dialects share)."""
        for status, (schemas, examples, descriptions) in other.by_status.items():
            for schema, description in zip(schemas, descriptions, strict=True):
                self.add(status, schema, {}, description, other.media_types.get(status, "application/json"))
            self.by_status[status][1].update(examples)

    def render(self) -> dict[str, Any]:
        """The OpenAPI ``responses`` object."""
        rendered: dict[str, Any] = {}
        for status, (schemas, examples, descriptions) in sorted(self.by_status.items()):
            schema = schemas[0] if len(schemas) == 1 else {"oneOf": schemas}
            media: dict[str, Any] = {"schema": schema}
            if examples:
                media["examples"] = examples
            media_type = self.media_types.get(status, "application/json")
            rendered[str(status)] = {"description": "; ".join(descriptions), "content": {media_type: media}}
        return rendered


class Wire:
    """A dialect's envelope and error rendering, as JSON Schema (one per dialect, in its ``openapi`` module).

    :ivar tag: the document's tag for the dialect's operations.
    :ivar forms: the dialect also reads form bodies, and ``GET`` parameters
        from the query string (v4).
    """

    tag = ""
    forms = False

    def success(self, data: Any) -> dict[str, Any]:
        """The schema of a success body carrying ``data``."""
        raise NotImplementedError

    def success_example(self, data: Any) -> Any:
        """A success body carrying the example ``data``."""
        raise NotImplementedError

    def status(self, error: Error) -> int:
        """The HTTP status ``error`` is answered with."""
        raise NotImplementedError

    def error_schema(self, status: int, errors: Sequence[Error], endpoint: str) -> dict[str, Any]:
        """The schema of the bodies of ``errors``, all answered with ``status`` by ``endpoint``."""
        raise NotImplementedError

    def error_example(self, error: Error, endpoint: str) -> Any:
        """The body of ``error`` as ``endpoint`` answers it."""
        raise NotImplementedError

    def answers(self, data: Any, example: Any, errors: Sequence[Error], endpoint: str) -> Answers:
        """Every answer of an operation: the success, then its errors by status."""
        found = Answers()
        success_examples = {"success": {"value": self.success_example(example)}} if example is not None else {}
        found.add(200, self.success(data), success_examples, f"success ({self.tag} envelope)")
        by_status: dict[int, list[Error]] = {}
        for error in errors:
            by_status.setdefault(self.status(error), []).append(error)
        for status, grouped in sorted(by_status.items()):
            examples = {
                error.key: {"summary": error.key, "value": self.error_example(error, endpoint)} for error in grouped
            }
            keys = ", ".join(error.key for error in grouped)
            found.add(status, self.error_schema(status, grouped, endpoint), examples, f"{keys} ({self.tag} envelope)")
        return found


# -- what a route is ------------------------------------------------------------------------------

#: Errors that follow from what a route takes (see :meth:`Operation.all_errors`).
BODY_ERRORS = (Error.INVALID_INPUT, Error.PAYLOAD_TOO_LARGE)
QUERY_ERRORS = (Error.INVALID_INPUT,)
TOKEN_ERRORS = (Error.INVALID_TOKEN, Error.ACCOUNT_DISABLED)
MANAGER_ERRORS = (*TOKEN_ERRORS, Error.FORBIDDEN)
#: A path parameter holding ``/`` names another path, or none (404 ``no_such_path``,
#: 405 on a path of other methods); one that cannot be a record id is ``not_found``.
PATH_ERRORS = (Error.NOT_FOUND, Error.NO_SUCH_PATH, Error.METHOD_NOT_ALLOWED)
DATABASE_ERRORS = (Error.SERVICE_UNAVAILABLE,)
#: Errors of the routes that send a code (SMS, or email for platform accounts).
SEND_ERRORS = (
    Error.CAPTCHA_INVALID,
    Error.SEND_TOO_FREQUENT,
    Error.RATE_LIMITED,
    Error.SMS_ARREARS,
    Error.SMS_FAILED,
    Error.SMS_UNAVAILABLE,
)
#: Errors of a sign-in with a code.
CODE_SIGN_IN_ERRORS = (Error.INVALID_CODE, Error.ACCOUNT_DISABLED, Error.ACCOUNT_PENDING_DELETION)
#: Errors of a sign-in with a password (``LOGIN_RATE_LIMIT`` per client address, the lock-out).
PASSWORD_SIGN_IN_ERRORS = (
    Error.NOT_REGISTERED,
    Error.WRONG_PASSWORD,
    Error.PASSWORD_NOT_SET,
    Error.PASSWORD_LOCKED,
    Error.RATE_LIMITED,
    Error.ACCOUNT_DISABLED,
    Error.ACCOUNT_PENDING_DELETION,
)
#: Errors of a refresh (a rotated token presented again revokes the session: ``invalid_token``).
REFRESH_ERRORS = (Error.INVALID_TOKEN, Error.ACCOUNT_DISABLED)


@dataclass(frozen=True)
class Operation:
    """What the document says about one route beyond what the URL map and the view's docstring say.

    :ivar wire: the dialect's envelope.
    :ivar data: the ``data`` of the success answer: a JSON Schema, a
        :class:`Named` one, or a marshmallow schema.
    :ivar body: the request schema the view loads from the body.
    :ivar query: the schemas the view loads from the query string.
    :ivar params: query parameters no schema describes, as OpenAPI parameter objects.
    :ivar auth: who may call it (``None``: no token needed).
    :ivar errors: the errors its services raise; the rest follows from the above.
    :ivar database: whether it reads the database (then 503 ``service_unavailable`` when it is down).
    :ivar body_example: a request body, from the dialect's reference page.
    :ivar data_example: the ``data`` of a success answer, from the dialect's reference page.
    :ivar summary: for views without a docstring (generated ones).
    """

    wire: Wire
    data: Any = field(default_factory=lambda: EMPTY)
    body: type[Schema] | Schema | None = None
    query: tuple[type[Schema] | Schema, ...] = ()
    params: tuple[dict[str, Any], ...] = ()
    auth: Auth | None = None
    errors: tuple[Error, ...] = ()
    database: bool = True
    body_example: Any = None
    data_example: Any = None
    summary: str = ""

    def all_errors(self, path_arguments: Iterable[str]) -> list[Error]:
        """Every error the route can answer, in the error table's order."""
        found = set(self.errors)
        if self.body is not None:
            found.update(BODY_ERRORS)
        if self.query or self.params:
            found.update(QUERY_ERRORS)
        if self.auth is Auth.USER:
            found.update(TOKEN_ERRORS)
        elif self.auth is Auth.MANAGER:
            found.update(MANAGER_ERRORS)
        if any(True for _ in path_arguments):
            found.update(PATH_ERRORS)
        if self.database:
            found.update(DATABASE_ERRORS)
        return [error for error in Error if error in found]


@dataclass(frozen=True)
class Either:
    """A path two dialects share: the body decides which one answers (``POST /api/auth/send_code``)."""

    choices: tuple[Operation, ...]
    summary: str = ""


Description = Operation | Either


# -- the document ---------------------------------------------------------------------------------


def _schema_name(schema: type[Schema] | Schema) -> str:
    """``<package>.<Name>``: ``lingo.dialects.modern.schemas.RefreshSchema`` → ``modern.Refresh``.

    Dialects reuse class names (every one has a ``RefreshSchema``), so the
    name carries the package; a schema loaded partially (admin ``PUT``/``PATCH``)
    or without the path's fields (v4) is a schema of its own.
    """
    cls = schema if isinstance(schema, type) else type(schema)
    parts = cls.__module__.split(".")
    package = parts[2] if parts[:2] == ["lingo", "dialects"] and len(parts) > 2 else parts[-1]
    name = cls.__name__.removesuffix("Schema")
    if isinstance(schema, Schema):
        if schema.partial:
            name += "Partial"
        if schema.exclude:
            name += "Body"
    return f"{package}.{name}"


def _text_lengths(self: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
    """apispec attribute function: the lengths of :class:`~lingo.web.fields.Text` (after trimming)."""
    if isinstance(field, Text):
        return {"minLength": field.min_length, "maxLength": field.max_length}
    return {}


def _captcha(self: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
    """apispec attribute function: a captcha proof is a string or an object of strings."""
    if isinstance(field, CaptchaProof):
        limit = CaptchaProof.MAX_LENGTH
        return {
            "anyOf": [
                {"type": "string", "maxLength": limit},
                {"type": "object", "additionalProperties": {"type": "string", "maxLength": limit}},
                NULL,
            ],
            "description": "The captcha provider's proof; checked only where CAPTCHA_DIALECTS names the dialect.",
        }
    return {}


#: RST in docstrings → Markdown: ``code``, :func:`~a.b.c`, :data:`x`.
_RST_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
_RST_CODE = re.compile(r"``([^`]+)``")


def _markdown(text: str) -> str:
    text = _RST_ROLE.sub(lambda m: f"`{m.group(1).rsplit('.', 1)[-1] if '.' in m.group(1) else m.group(1)}`", text)
    return _RST_CODE.sub(r"`\1`", text)


#: What a summary opens with that the document shows already: the method and path, then who may call.
_LEADING = [re.compile(r"^[A-Z|]+ /\S*\s*"), re.compile(r"^\([^)]*\)\s*"), re.compile(r"^(?::|→)\s*")]


def _summary(text: str) -> str:
    """A docstring's first paragraph as a one-line plain-text summary (Swagger UI shows no Markdown there).

    ``POST /api/auth/phone_login {phone, password}``: sign in → ``{phone, password}: sign in``.
    """
    text = _markdown(text).replace("`", "").strip().rstrip(".")
    for pattern in _LEADING:
        text = pattern.sub("", text)
    return text[:1].upper() + text[1:]


def _docstring(view: Callable[..., Any]) -> tuple[str, str]:
    """The view's summary (its first paragraph) and description (the whole docstring, in Markdown)."""
    doc = (view.__doc__ or "").strip()
    if not doc:
        return "", ""
    lines = [line.strip() for line in doc.splitlines()]
    end = lines.index("") if "" in lines else len(lines)
    kept = [line for line in lines if not line.startswith((":raises", ":param", ":returns"))]
    return _summary(" ".join(lines[:end])), _markdown("\n".join(kept).strip())


def _path(rule: Rule) -> str:
    """``/api/faq/<raw_id>`` → ``/api/faq/{id}``: OpenAPI's template, record ids named plainly."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: "{" + m.group(1).removeprefix("raw_") + "}", rule.rule)


def _path_parameter(argument: str) -> dict[str, Any]:
    if argument.startswith("raw_"):
        name, schema, text = argument.removeprefix("raw_"), RECORD_ID, "a record id"
    else:
        name, schema, text = argument, {"type": "string", "minLength": 1}, "as the path gives it"
    return {"in": "path", "name": name, "required": True, "schema": dict(schema), "description": text}


class Builder:
    """Builds the document of one app (see the module docstring)."""

    def __init__(self, app: Flask, descriptions: Mapping[str, Description]) -> None:
        self.app = app
        self.descriptions = descriptions
        self.plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
        self.spec = APISpec(
            title="lingo",
            version=_version(),
            openapi_version=OPENAPI_VERSION,
            plugins=[self.plugin],
            info={"description": INFO, "license": {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}},
            tags=TAGS,
        )
        assert self.plugin.converter is not None  # set by APISpec(plugins=...)
        self.converter = self.plugin.converter
        self.converter.add_attribute_function(_text_lengths)
        self.converter.add_attribute_function(_captcha)
        self.spec.components.security_scheme(
            "Bearer", {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <access_token>`"}
        )
        self.spec.components.security_scheme(
            "Token",
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Authorization: Token <access_token>` (the platform's way; any dialect's token works)",
            },
        )
        self.named: set[str] = set()
        #: Endpoints of the URL map that no table describes (see :meth:`undescribed`).
        self.missing: list[str] = []

    def resolve(self, node: Any) -> Any:
        """``node`` with every marshmallow schema and :class:`Named` schema replaced by its ``$ref``."""
        if isinstance(node, Named):
            if node.name not in self.named:
                self.named.add(node.name)
                self.spec.components.schema(node.name, component=self.resolve(node.schema))
            return {"$ref": f"#/components/schemas/{node.name}"}
        if isinstance(node, Schema) or (isinstance(node, type) and issubclass(node, Schema)):
            return self.converter.resolve_nested_schema(node)
        if isinstance(node, dict):
            return {key: self.resolve(value) for key, value in node.items()}
        if isinstance(node, list | tuple):
            return [self.resolve(value) for value in node]
        return node

    def query_parameters(self, schema: type[Schema] | Schema, skip: Iterable[str] = ()) -> list[dict[str, Any]]:
        """One query parameter per field of ``schema`` (``null`` is no query value, so it is dropped)."""
        found = []
        for parameter in self.converter.schema2parameters(schema, location="query"):
            if parameter["name"] in skip:
                continue
            shape = parameter.get("schema", {})
            if isinstance(shape.get("type"), list):
                kinds = [kind for kind in shape["type"] if kind != "null"]
                shape["type"] = kinds[0] if len(kinds) == 1 else kinds
            if shape.get("default", "") is None:
                del shape["default"]
            if "enum" in shape:
                shape["enum"] = [value for value in shape["enum"] if value is not None]
            found.append(parameter)
        return found

    def operation(self, rule: Rule, method: str, description: Description) -> dict[str, Any]:
        """The OpenAPI operation object of ``method`` on ``rule``."""
        view = self.app.view_functions[rule.endpoint]
        summary, text = _docstring(view)
        choices = description.choices if isinstance(description, Either) else (description,)
        summary = _summary(description.summary) if description.summary else summary or rule.endpoint
        first = choices[0]
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        result: dict[str, Any] = {
            "operationId": rule.endpoint if len(methods) == 1 else f"{rule.endpoint}.{method.lower()}",
            "tags": [first.wire.tag],
            "summary": summary,
        }
        if text:
            result["description"] = text
        parameters = [_path_parameter(argument) for argument in sorted(rule.arguments)]
        for choice in choices:
            for schema in choice.query:
                parameters += self.query_parameters(schema)
            parameters += [dict(p) for p in choice.params]
        bodies = [choice for choice in choices if choice.body is not None]
        if bodies and method == "GET":  # v4: the body's fields come in the query string
            for choice in bodies:
                assert choice.body is not None
                parameters += self.query_parameters(choice.body, skip=rule.arguments)
        elif bodies:
            result["requestBody"] = self.request_body(bodies, rule)
        if parameters:
            result["parameters"] = parameters
        if any(choice.auth for choice in choices):
            result["security"] = [{"Bearer": []}, {"Token": []}]
        answers = Answers()
        # RATELIMIT_APPLICATION (read by flask-limiter itself) limits every routed request but the probes.
        application_limit = bool(self.app.config.get("RATELIMIT_APPLICATION"))
        for choice in choices:
            errors = choice.all_errors(rule.arguments)
            if application_limit and not isinstance(choice.wire, ProbeWire) and Error.RATE_LIMITED not in errors:
                errors = [error for error in Error if error in {*errors, Error.RATE_LIMITED}]
            answers.merge(choice.wire.answers(self.resolve(choice.data), choice.data_example, errors, rule.endpoint))
        result["responses"] = self.resolve(answers.render())
        return result

    def request_body(self, choices: Sequence[Operation], rule: Rule) -> dict[str, Any]:
        """The ``requestBody`` of a route (several dialects' bodies on a shared path)."""
        schemas, examples, required = [], {}, False
        for choice in choices:
            body = choice.body
            assert body is not None
            cls = body if isinstance(body, type) else type(body)
            from_path = tuple(sorted(set(rule.arguments) & set(cls._declared_fields)))
            if from_path:  # v4: the path gives the phone; the body has the rest
                body = cls(exclude=from_path)
            schemas.append(self.resolve(body))
            if choice.body_example is not None:
                examples[choice.wire.tag] = {"summary": choice.wire.tag, "value": choice.body_example}
            instance = body() if isinstance(body, type) else body
            required = required or any(f.required for f in instance.fields.values())
        schema = schemas[0] if len(schemas) == 1 else {"oneOf": schemas}
        media: dict[str, Any] = {"schema": schema}
        if examples:
            media["examples"] = examples
        content = {"application/json": media}
        if any(choice.wire.forms for choice in choices):
            content["application/x-www-form-urlencoded"] = {"schema": schema}
        return {"required": required, "content": content}

    def undescribed(self, rule: Rule, method: str) -> dict[str, Any]:
        """A route no table describes: listed with its docstring and no promise about its answers.

        The document stays whole (the route is there, and nothing false is said
        about it); the suite fails until a description is added (:attr:`missing`).
        """
        self.missing.append(rule.endpoint)
        log.warning("OpenAPI: no description for %s (%s)", rule.endpoint, rule.rule)
        summary, text = _docstring(self.app.view_functions[rule.endpoint])
        operation: dict[str, Any] = {
            "operationId": f"{rule.endpoint}.{method.lower()}",
            "summary": summary or rule.endpoint,
            "responses": {"default": {"description": "not described yet"}},
        }
        if text:
            operation["description"] = text
        parameters = [_path_parameter(argument) for argument in sorted(rule.arguments)]
        if parameters:
            operation["parameters"] = parameters
        return operation

    def build(self) -> dict[str, Any]:
        """The document as a JSON-ready dict."""
        paths: dict[str, dict[str, Any]] = {}
        for rule in sorted(self.app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
            if rule.endpoint.startswith(NOT_DOCUMENTED):
                continue
            description = self.descriptions.get(rule.endpoint)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                if description is None:
                    operation = self.undescribed(rule, method)
                else:
                    operation = self.operation(rule, method, description)
                paths.setdefault(_path(rule), {})[method.lower()] = operation
        for path, operations in paths.items():
            self.spec.path(path=path, operations=operations)
        return self.spec.to_dict()


class ProbeWire(Wire):
    """The health probes' plain JSON (:mod:`lingo.ops.health`: no dialect's envelope).

    :param unavailable: the body of the probe's 503 answer, when it has one.
    """

    tag = "operations"

    def __init__(self, unavailable: dict[str, Any] | None = None) -> None:
        self.unavailable = unavailable

    def success(self, data: Any) -> dict[str, Any]:
        return dict(data)

    def success_example(self, data: Any) -> Any:
        return data

    def answers(self, data: Any, example: Any, errors: Sequence[Error], endpoint: str) -> Answers:
        found = Answers()
        found.add(200, self.success(data), {"ok": {"value": example}}, "ok")
        if self.unavailable is not None:
            down = {"status": "unavailable", "checks": {"database": "unavailable", "redis": "ok"}}
            found.add(503, self.unavailable, {"unavailable": {"value": down}}, "a dependency is unavailable")
        return found


class MetricsWire(Wire):
    """``GET /metrics``: Prometheus' text format; refusals in the modern envelope (the root path's dialect)."""

    tag = "operations"

    def answers(self, data: Any, example: Any, errors: Sequence[Error], endpoint: str) -> Answers:
        from ..dialects.modern.openapi import WIRE as MODERN

        found = Answers()
        text = {"type": "string", "description": "Prometheus text exposition format"}
        found.add(200, text, {}, "the metrics", media_type="text/plain")
        found.merge(MODERN.answers(data, None, errors, endpoint))
        del found.by_status[200][0][1:], found.by_status[200][2][1:]  # the modern success is not an answer here
        return found


_CHECK = {"enum": ["ok", "unavailable", "not_configured"]}
#: The operational routes: health probes (:mod:`lingo.ops.health`) and metrics (:mod:`lingo.ops.metrics`).
PROBES: dict[str, Description] = {
    "health.healthz": Operation(
        ProbeWire(), data=obj(status=const("ok")), database=False, data_example={"status": "ok"}
    ),
    "health.readyz": Operation(
        ProbeWire(unavailable=obj(status=const("unavailable"), checks=obj(database=_CHECK, redis=_CHECK))),
        data=obj(status=const("ok"), checks=obj(database=_CHECK, redis=_CHECK)),
        database=False,
        data_example={"status": "ok", "checks": {"database": "ok", "redis": "not_configured"}},
    ),
    # Bearer METRICS_TOKEN, when one is set: a wrong one is 401; production without one has no /metrics (404).
    "metrics.metrics": Operation(MetricsWire(), database=False, errors=(Error.INVALID_TOKEN, Error.NO_SUCH_PATH)),
}


def _version() -> str:
    try:
        return importlib.metadata.version("lingo")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was not installed
        return "0"


def descriptions() -> dict[str, Description]:
    """Every route's description: each dialect's ``OPERATIONS`` and the operational probes'."""
    from ..dialects.admin import openapi as admin
    from ..dialects.image_to_sound import openapi as image_to_sound
    from ..dialects.legacy import openapi as legacy
    from ..dialects.modern import openapi as modern
    from ..dialects.platform import openapi as platform

    tables: list[Mapping[str, Description]] = [
        modern.OPERATIONS,
        platform.OPERATIONS,
        admin.OPERATIONS,
        legacy.OPERATIONS,
        image_to_sound.OPERATIONS,
        PROBES,
    ]
    merged: dict[str, Description] = {}
    for table in tables:
        merged.update(table)
    return merged


def document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of ``app``, built once and kept."""
    if EXTENSION not in app.extensions:
        app.extensions[EXTENSION] = Builder(app, descriptions()).build()
    built: dict[str, Any] = app.extensions[EXTENSION]
    return built


INFO = "\n".join(
    [
        "One account service for four generations of mobile apps. Each dialect answers in its own envelope:",
        "",
        '- **modern** (`/api/auth/*`): `{"code": 200, "msg": "success", "data": ...}`; errors',
        '  `{"code": <HTTP>, "msg", "data": null, "error": "<key>"}`, bad input (422) and oversized bodies (413)',
        '  as `{"detail": [{"loc", "msg", "type"}]}`;',
        "- **platform** (2019: `/api/auth/*` with `account` bodies, `/api/personal/*`, `/api/push/*`, `/api/faq*`,",
        '  `/api/feedback*`, `/api/message/*`): `{"code": 0, "message": "success", "data": ...}`; errors',
        '  `{"code": 10000–10014, "message", "data": {}}` with an HTTP status per code;',
        '- **v4** (`/api/v4.0/*`, GET or POST; query, form or JSON parameters): `{"code": 200, "data", "msg"}`;',
        '  every error is **HTTP 200** `{"code": -1 or -2, "data": "", "msg"}`;',
        '- **image-to-sound** (`/image-to-sound/api/*`): `{"code": 200, "data", "msg": "", "identifier": true}`;',
        '  errors `{"code": <HTTP>, "msg", "identifier": false}`;',
        "- **admin** (`/api/admin/*`, managers only): the modern envelope.",
        "",
        "Any live access token of any dialect works on every route that needs a user, as",
        "`Authorization: Bearer <t>` or `Authorization: Token <t>`. The error table and the platform codes",
        "are in `docs/errors.md`; each dialect has its page under `docs/dialects/`.",
    ]
)

TAGS = [
    {"name": "modern", "description": "The modern JSON API (`docs/dialects/modern.md`)."},
    {"name": "platform", "description": "The 2019 platform API with numbered errors (`docs/dialects/platform.md`)."},
    {"name": "v4", "description": "Legacy `/api/v4.0`: every error is HTTP 200 (`docs/dialects/legacy-v4.md`)."},
    {"name": "image-to-sound", "description": "Code sign-in with JWTs (`docs/dialects/image-to-sound.md`)."},
    {"name": "admin", "description": "Managers only (`role` 1); the modern envelope (`docs/dialects/admin.md`)."},
    {"name": "operations", "description": "Health probes for load balancers (`docs/operations.md`)."},
]
