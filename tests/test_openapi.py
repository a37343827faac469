"""The OpenAPI document and the docs page (issue 17): ``GET /api/openapi.json``, ``GET /api/docs``,
``flask openapi export``, ``API_DOCS``.

- the document is a valid OpenAPI 3.1 document (``openapi-spec-validator``);
- every route of the URL map is in it, described by its dialect's table, and
  nothing else is (the documentation's own routes and Flask's ``static`` are
  left out on purpose);
- every example in it matches the schema it illustrates;
- the docs page and its assets are served by lingo itself, under a CSP that
  allows this origin only; with ``API_DOCS`` off both paths are the platform's 404;
- ``flask openapi export`` writes the same document.

The property run of Schemathesis over the document is in ``test_openapi_fuzz.py``.
"""
from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from flask import Flask
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from lingo import create_app
from lingo.ops import openapi
from lingo.ops.openapi import NOT_DOCUMENTED, Builder, descriptions, document

METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def plain_app() -> Flask:
    """An app whose database is never touched: the document comes from the code."""
    return create_app({"ENV_NAME": "testing", "DATABASE_URL": "sqlite://"})


@pytest.fixture(scope="module")
def doc(plain_app: Flask) -> dict[str, Any]:
    return document(plain_app)


def documented_operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, item in doc["paths"].items() for method in item if method in METHODS}


def routed_operations(app: Flask) -> set[tuple[str, str]]:
    """Every (path template, method) the URL map routes, ``<raw_id>`` written ``{id}`` as the document does."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(NOT_DOCUMENTED):
            continue
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found.add((openapi._path(rule), method))
    return found


def test_the_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # raises on any error


def test_every_route_is_in_the_document_and_nothing_else(plain_app, doc):
    assert documented_operations(doc) == routed_operations(plain_app)
    # The four dialects, the admin API and the probes are all there.
    paths = set(doc["paths"])
    assert {"/api/auth/phone_login", "/api/personal/info", "/api/v4.0/login", "/image-to-sound/api/login",
            "/api/admin/users", "/healthz"} <= paths
    # Left out on purpose: the documentation itself, and Flask's unused static route.
    assert not {p for p in paths if p.startswith(("/api/docs", "/api/openapi", "/static"))}


def test_every_route_has_a_description_and_every_description_a_route(plain_app):
    builder = Builder(plain_app, descriptions())
    builder.build()
    assert builder.missing == []  # a new route needs an entry in its dialect's openapi.py
    endpoints = {rule.endpoint for rule in plain_app.url_map.iter_rules()}
    assert set(descriptions()) <= endpoints


def test_v4_routes_take_get_query_parameters_and_post_bodies(doc):
    login = doc["paths"]["/api/v4.0/login"]
    assert {p["name"] for p in login["get"]["parameters"]} == {"phone", "password", "device_identifier"}
    assert set(login["post"]["requestBody"]["content"]) == {"application/json", "application/x-www-form-urlencoded"}
    # Errors are HTTP 200: the 200 answer is the success or the error envelope.
    assert set(login["post"]["responses"]) == {"200"}
    shapes = login["post"]["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"]
    assert len(shapes) == 2
    sendsms = doc["paths"]["/api/v4.0/sendsms/{mobile}"]["get"]
    assert {p["name"] for p in sendsms["parameters"]} == {"mobile", "expect", "captcha"}


def test_error_envelopes_follow_each_dialects_table(doc):
    platform = doc["paths"]["/api/faq/{id}"]["get"]["responses"]
    assert platform["401"]["content"]["application/json"]["schema"]["properties"]["code"] == {"enum": [10004]}
    assert platform["404"]["content"]["application/json"]["schema"]["properties"]["code"] == {"enum": [10001, 10002]}
    modern = doc["paths"]["/api/auth/phone_login"]["post"]["responses"]
    assert modern["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/modern.Detail"}
    assert set(modern) >= {"200", "401", "403", "404", "413", "422", "429", "503"}
    its = doc["paths"]["/image-to-sound/api/login"]["post"]["responses"]
    assert its["400"]["content"]["application/json"]["examples"]["invalid_code"]["value"] == {
        "code": 400, "msg": "Invalid mobile number or raw code", "identifier": False}
    # Every platform code 10000–10014 is answered somewhere, with its status.
    codes = set()
    for item in doc["paths"].values():
        for operation in item.values():
            for status, answer in operation["responses"].items():
                schema = answer["content"].get("application/json", {}).get("schema", {})
                for shape in schema.get("oneOf", [schema]):
                    codes |= {(c, status) for c in shape.get("properties", {}).get("code", {}).get("enum", [])
                              if isinstance(c, int) and c >= 10000}
    assert {c for c, _ in codes} == set(range(10000, 10015))
    assert ("10014", "503") not in codes and (10014, "503") in codes


def test_security_schemes_and_who_needs_a_token(doc):
    assert set(doc["components"]["securitySchemes"]) == {"Bearer", "Token"}
    assert doc["paths"]["/api/personal/info"]["get"]["security"] == [{"Bearer": []}, {"Token": []}]
    assert "security" not in doc["paths"]["/api/auth/phone_login"]["post"]


def examples(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """Every (where, schema, example value) of the document's media types."""
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            media_types = [("request", m) for m in operation.get("requestBody", {}).get("content", {}).values()]
            media_types += [(status, m) for status, r in operation["responses"].items()
                            for m in r.get("content", {}).values()]
            for where, media in media_types:
                for name, example in media.get("examples", {}).items():
                    yield f"{method.upper()} {path} {where} {name}", media["schema"], example["value"]


def test_every_example_matches_its_schema(doc):
    checked = 0
    for where, schema, value in examples(doc):
        validator = Draft202012Validator({**schema, "components": doc["components"]})
        errors = [e.message for e in validator.iter_errors(value)]
        assert not errors, (where, errors[:3])
        checked += 1
    assert checked > 200


def test_the_document_and_the_page_are_served(client, doc):
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.get_json() == json.loads(json.dumps(doc))
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "http" not in csp
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html  # every asset from here
    for asset in ("/api/docs/static/swagger-ui.css", "/api/docs/static/swagger-ui-bundle.js", "/api/docs/init.js"):
        assert asset in html
        served = client.get(asset)
        assert served.status_code == 200 and len(served.data) > 100, asset
    script = client.get("/api/docs/init.js").get_data(as_text=True)
    assert '"/api/openapi.json"' in script and "validatorUrl: null" in script
    # Only the files the page uses: not the distribution's sample page (it loads the Petstore from the internet).
    other = client.get("/api/docs/static/index.html")
    assert other.status_code == 404 and other.get_json()["code"] == 10002


@pytest.mark.parametrize("app_overrides", [{"API_DOCS": False}])
def test_api_docs_off_both_paths_are_the_platforms_404(client, app_overrides):
    for path in ("/api/openapi.json", "/api/docs", "/api/docs/static/swagger-ui-bundle.js"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.get_json() == {"code": 10002, "message": "访问的路径不存在", "data": {}}


def test_production_serves_no_docs_unless_asked(monkeypatch):
    import config

    assert config.Production.API_DOCS is False and config.Development.API_DOCS is True
    assert config.Testing.API_DOCS is True


def test_flask_openapi_export(plain_app, doc, tmp_path):
    target = tmp_path / "openapi.json"
    result = plain_app.test_cli_runner().invoke(args=["openapi", "export", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8")) == json.loads(json.dumps(doc))
    printed = plain_app.test_cli_runner().invoke(args=["openapi", "export"])
    assert printed.exit_code == 0 and json.loads(printed.output)["openapi"] == "3.1.0"
