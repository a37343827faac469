"""The API documentation, served by lingo itself (``API_DOCS``; issue 17).

- ``GET /api/openapi.json``: the OpenAPI 3.1 document (:mod:`lingo.ops.openapi`);
- ``GET /api/docs``: Swagger UI reading it, from the Swagger UI distribution
  packaged on PyPI (``swagger-ui-bundle-v2``), so the page works with no
  internet (an intranet, a laptop on a train): every asset comes from
  ``/api/docs/static/``, the validator badge (which would call
  validator.swagger.io) is off, and a Content-Security-Policy allows nothing
  but this origin.

With ``API_DOCS`` off none of these routes exists: the paths answer the
platform dialect's 404 (10002), as any unknown ``/api/...`` path does.
"""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, current_app, jsonify, send_from_directory, url_for

# The distribution ships no type information (it is one Path constant and static files).
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]
from werkzeug.exceptions import NotFound

from .openapi import document

bp = Blueprint("apidocs", __name__)

#: The files of the distribution the page uses; nothing else of it is served
#: (its sample ``index.html`` and initializer would load the Petstore from the internet).
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png"})
#: Swagger UI styles elements inline (React ``style`` attributes) and draws icons as data: URLs.
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lingo API</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" type="image/png" href="{icon}">
</head>
<body>
<div id="swagger-ui"></div>
<noscript>The API documentation needs JavaScript; the document itself is at <a href="{spec}">{spec}</a>.</noscript>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""

INITIALIZER = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: %s,
    dom_id: "#swagger-ui",
    deepLinking: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
"""


def _secured(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/api/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI 3.1 document of every route."""
    return jsonify(document(current_app))


@bp.get("/api/docs")
def docs_page() -> Response:
    """Swagger UI on the document, every asset served from here."""
    html = PAGE.format(
        css=url_for("apidocs.asset", name="swagger-ui.css"),
        icon=url_for("apidocs.asset", name="favicon-32x32.png"),
        bundle=url_for("apidocs.asset", name="swagger-ui-bundle.js"),
        init=url_for("apidocs.initializer"),
        spec=url_for("apidocs.openapi_json"),
    )
    return _secured(Response(html, mimetype="text/html"))


@bp.get("/api/docs/init.js")
def initializer() -> Response:
    """The page's script (a file, not inline, so the CSP needs no ``'unsafe-inline'`` scripts)."""
    script = INITIALIZER % json.dumps(url_for("apidocs.openapi_json"))
    return _secured(Response(script, mimetype="text/javascript"))


@bp.get("/api/docs/static/<name>")
def asset(name: str) -> Response:
    """One file of the packaged Swagger UI distribution (:data:`ASSETS`)."""
    if name not in ASSETS:
        raise NotFound()
    return _secured(send_from_directory(swagger_ui_path, name, max_age=3600))


def init_app(app: Flask) -> None:
    """Serve the document and the page when ``API_DOCS`` is on."""
    if app.config.get("API_DOCS"):
        app.register_blueprint(bp)
