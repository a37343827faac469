"""Property: whatever a client sends to any path, it gets its dialect's JSON envelope (SPEC §5).

Hypothesis draws, for every route of every dialect (read from the app's URL
map, so a new route is fuzzed without touching this file) and for unknown
paths under every dialect's prefix: a method, the path parameters, a query
string, headers (tokens that work, tokens that do not, a client address) and
a body (JSON objects made of the route's documented fields, other JSON, form
fields, raw bytes, bodies over ``MAX_CONTENT_LENGTH``). Whatever it draws:

- the answer is JSON in the envelope of the dialect that owns the request
  (the path's prefix; on the shared ``/api/auth/send_code`` the body's keys),
  or a bodiless 204 for ``OPTIONS``;
- never a 5xx, never HTML;
- nothing is logged at ERROR and no traceback is logged.

The values lean towards what broke dialects before (issue 14, item 11):
phone numbers built from the grammar of dialled Chinese numbers (carrier
selection codes ``17909``/``12593``, trunk ``0`` and international ``00``
prefixes, cut to v4's ``^1\\d{10}$``) — uniform digits find a number
``phonenumbers`` cannot parse about once in 1,700 draws, the grammar about
once in eight —, and text with NUL, lone surrogates, bidirectional controls,
line breaks and escape sequences.

Each route gets about ``LINGO_FUZZ_EXAMPLES`` examples (default 8; six times
as many, each such route in a test of its own, for routes that take a phone
or an account and for unknown paths) so the suite stays fast (about 15 s per
backend); set it higher for a long hunt, e.g.
``LINGO_FUZZ_EXAMPLES=500 pytest tests/test_property_endpoints.py``. Run on
the code before issue 14's fixes, one run per backend finds items 11(a) and
11(b) in about five runs out of six each.
Failures print a ``@reproduce_failure`` blob; no example database is written.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable
from urllib.parse import quote, quote_plus

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.world import TokenWorld
from lingo import create_app

#: Examples per route; routes that take a phone or an account (their inputs have the most
#: structure to get wrong) and the unknown paths get ``DEEP_FACTOR`` times as many.
EXAMPLES = int(os.environ.get("LINGO_FUZZ_EXAMPLES", "8"))
DEEP_FACTOR = 6
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis/ in the checkout; failures print a reproduction blob instead
    print_blob=True,
    suppress_health_check=[
        # The app and its database are set up once per group of routes and shared by
        # its examples on purpose: state left by one request (users, codes, feedback,
        # revoked tokens) is input for the next.
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

#: Small enough that oversize bodies are cheap to build; the limit's logic does not depend on its size.
MAX_BODY = 2048
USER_PHONE = "13700000001"
MANAGER_PHONE = "13900000001"
PASSWORD = "fuzz-Password-1"
TEST_CODE = "246810"


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """Fast password hashing (the property is about envelopes, not hash cost), small bodies,
    and a fixed code for the fuzz user so that drawn sign-ins can succeed too."""
    return {
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        "MAX_CONTENT_LENGTH": MAX_BODY,
        "TEST_OTP": f"{USER_PHONE}={TEST_CODE}",
    }


# --- who owns a path ---------------------------------------------------------------------------

MODERN, PLATFORM, V4, ITS = "modern", "platform", "v4", "its"
PLATFORM_AUTH = tuple(f"/api/auth/{n}" for n in ("check_code", "register", "access_token", "refresh_token",
                                                 "destroy_token"))


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def owner(path: str) -> str:
    """The dialect whose envelope answers ``path`` (SPEC §5: decided by the prefix), written
    out here rather than taken from the app, so that the test checks the app."""
    while "//" in path:
        path = path.replace("//", "/")
    if _under(path, "/api/v4.0"):
        return V4
    if _under(path, "/image-to-sound"):
        return ITS
    if _under(path, "/api/admin"):
        return MODERN  # the admin API speaks the modern envelope
    if any(_under(path, p) for p in PLATFORM_AUTH):
        return PLATFORM
    if _under(path, "/api/auth"):
        return MODERN
    if _under(path, "/api"):
        return PLATFORM
    return MODERN


# --- envelopes ---------------------------------------------------------------------------------

PLATFORM_STATUS = {
    10000: {405, 429}, 10001: {404}, 10002: {404}, 10003: {403}, 10004: {401}, 10005: {400}, 10006: {404},
    10007: {401}, 10008: {400}, 10009: {409}, 10010: {429},
}


def is_modern(status: int, body: Any) -> bool:
    """``{"code": 200, "msg": "success", "data": ...}``, a FastAPI ``{"detail": [...]}``
    (422/413) or ``{"code": <status>, "msg", "data": null, "error"}``."""
    if not isinstance(body, dict):
        return False
    if status == 200:
        return set(body) == {"code", "msg", "data"} and body["code"] == 200 and body["msg"] == "success"
    if "detail" in body:
        return (status in (413, 422) and set(body) == {"detail"} and isinstance(body["detail"], list)
                and all(isinstance(d, dict) and {"loc", "msg", "type"} <= set(d) for d in body["detail"]))
    return (set(body) == {"code", "msg", "data", "error"} and body["code"] == status and body["data"] is None
            and isinstance(body["msg"], str) and isinstance(body["error"], str))


def is_platform(status: int, body: Any) -> bool:
    """``{"code": 0, "message": "success", "data": ...}`` or a numbered error with its status."""
    if not isinstance(body, dict) or set(body) != {"code", "message", "data"}:
        return False
    if body["code"] == 0:
        return status == 200 and body["message"] == "success"
    return status in PLATFORM_STATUS.get(body["code"], set()) and body["data"] == {} and isinstance(
        body["message"], str)


def is_v4(status: int, body: Any) -> bool:
    """Always HTTP 200: ``{"code": 200|"200", "msg", "data"?}`` or ``{"code": -1|-2, "data": "", "msg"}``."""
    if status != 200 or not isinstance(body, dict) or not isinstance(body.get("msg"), str):
        return False
    if body["code"] in (200, "200"):
        return set(body) <= {"code", "msg", "data"}
    return body["code"] in (-1, -2) and set(body) == {"code", "data", "msg"} and body["data"] == ""


def is_its(status: int, body: Any) -> bool:
    """``{"code": 200, "data", "msg": "", "identifier": true}`` or
    ``{"code": <status>, "msg", "identifier": false}``."""
    if not isinstance(body, dict):
        return False
    if body.get("identifier") is True:
        return status == 200 and set(body) == {"code", "data", "msg", "identifier"} and body["code"] == 200
    return (set(body) == {"code", "msg", "identifier"} and body["identifier"] is False
            and body["code"] == status and isinstance(body["msg"], str))


ENVELOPES: dict[str, Callable[[int, Any], bool]] = {MODERN: is_modern, PLATFORM: is_platform, V4: is_v4, ITS: is_its}


# --- what to send ------------------------------------------------------------------------------

#: Characters that broke or could break parsers, storage and logs.
NASTY = ["\x00", "\ud800", "\udfff"] * 3 + ["\u202e", "\u2066", "\n", "\r\n", "\t", "\x1b[31m", "\x7f", "\x85",
         "\u2028", "\ufeff", "%00", "%0d%0a", "'", '"', "\\", "/", "..", "😀", "١٣", "１", " "]
#: Any text (``st.text`` draws a whole string at once; surrogates it leaves out), or
#: text around one of the nasty characters.
text = st.one_of(st.text(max_size=8), st.builds("{}{}{}".format, st.text(max_size=3), st.sampled_from(NASTY),
                                                st.text(max_size=3)))
#: Parts of dialled Chinese numbers: carrier selection codes, trunk ("0") and
#: international ("00", "+") prefixes with country codes (some unassigned, some
#: wanting more digits), mobile and service prefixes.
CARRIER_CODES = ["", "17909", "17911", "17951", "12593", "11808"]
PREFIXES = ["", "0", "00", "+", "0086", "00852", "001", "0080", "0083", "00975"]
LEADS = ["13", "15", "18", "19", "14", "16", "17", "10", "11", "12", "110", "10086", "95588"]
dialled = st.builds("{}{}{}{}".format, st.sampled_from(CARRIER_CODES), st.sampled_from(PREFIXES),
                    st.sampled_from(LEADS), st.from_regex(r"[0-9]{0,11}", fullmatch=True))
phone_like = st.one_of(
    st.from_regex(r"1[0-9]{10}", fullmatch=True),  # v4's documented ^1\d{10}$
    dialled.map(lambda s: (s + "0" * 11)[:11]),  # dialled numbers cut to that shape
    dialled.map(lambda s: (s + "0" * 11)[:11]),
    dialled,
    st.from_regex(r"\+[0-9]{1,16}", fullmatch=True),
    st.sampled_from([USER_PHONE, MANAGER_PHONE, "13800138000", "+8613700000001", "ann@example.com", "a@b"]),
    text,
)
big_int = st.one_of(st.integers(-3, 3), st.integers(-2**70, 2**70), st.sampled_from([2**31 - 1, 2**31, 2**63]))
scalar = st.one_of(st.none(), st.booleans(), big_int, st.floats(allow_nan=True, allow_infinity=True), text)
any_json = st.recursive(scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(text, inner, max_size=3)), max_leaves=6)
#: A field's value of the wrong type: cheaper to draw than ``any_json`` (drawing
#: dominates the cost of an example) and as good at finding type confusion.
wrong_type = st.one_of(st.sampled_from([None, True, False, 0, -1, 2**63, 1.5, float("nan"), float("inf"), [], {},
                                        [1, "a"], {"a": None}, "", "x" * 300, [[[[]]]]]), text)

#: Any IPv4 or IPv6 client (every per-IP limit then rarely hides a deeper answer); built
#: from integers, which Hypothesis draws faster than ``ip_addresses()``.
client_address = st.one_of(st.integers(1, 2**32 - 2).map(lambda n: str(ipaddress.IPv4Address(n))),
                           st.integers(1, 2**128 - 2).map(lambda n: str(ipaddress.IPv6Address(n))))

PHONE_FIELDS = {"phone", "mobile", "account", "contact_phone"}
CODE_FIELDS = {"code", "rawCode"}
PASSWORD_FIELDS = {"password", "new_password"}
ID_LIST_FIELDS = {"ids", "user_ids", "push_ids"}
INT_FIELDS = {"gender", "feedback_category_id", "page_no", "page_size", "status", "category_id", "user_id"}
BOOL_FIELDS = {"switch", "is_active"}

#: Each route's documented fields (seeds/ and SPEC §6); a route missing here gets all of them.
ROUTE_FIELDS: dict[str, list[str]] = {
    "shared.send_code": ["phone", "account", "area", "captcha"],
    "modern.phone_login": ["phone", "password"],
    "modern.phone_code_login": ["phone", "code"],
    "modern.set_password_by_code": ["phone", "code", "new_password"],
    "modern.refresh": ["refresh_token"],
    "platform.check_code": ["area", "account", "code"],
    "platform.register": ["area", "account", "code", "password"],
    "platform.access_token": ["area", "account", "password"],
    "platform.refresh_token": ["refresh_token"],
    "platform.put_info": ["nickname", "avatar", "gender", "birthday", "address"],
    "platform.push_bind": ["client_id", "client_type"],
    "platform.push_switch_put": ["switch"],
    "platform.feedback_file": ["feedback_content", "feedback_category_id", "contact_phone"],
    "platform.push_log_delete": ["ids"],
    "platform.message_count": ["push_ids"],
    "its.login": ["mobile", "rawCode"],
    "its.refresh": ["refreshToken"],
    "admin.faqs_create": ["title", "content", "category", "external_link"],
    "admin.faqs_update": ["title", "content", "category", "external_link"],
    "admin.feedback_categories_create": ["name", "description"],
    "admin.feedback_categories_update": ["name", "description"],
    "admin.feedback_list": ["status", "category_id", "user_id"],
    "admin.feedback_reply": ["reply_content"],
    "admin.push_send": ["title", "body", "user_ids"],
    "admin.user_list": ["q"],
    "admin.user_active": ["is_active"],
    "modern.delete_account": ["code", "password"],
    "modern.cancel_deletion": ["phone", "code"],
    "admin.audit_list": ["user_id", "event", "since", "until"],
}
V4_FIELDS = ["phone", "password", "name", "device_identifier", "code", "expect", "captcha"]
PAGE_FIELDS = ["page_no", "page_size"]
ALL_FIELDS = sorted({f for fs in ROUTE_FIELDS.values() for f in fs} | set(V4_FIELDS) | set(PAGE_FIELDS))


def fields_of(endpoint: str) -> list[str]:
    """The fields worth sending to ``endpoint``."""
    if endpoint.startswith("v4."):
        return V4_FIELDS
    if endpoint in ROUTE_FIELDS:
        return ROUTE_FIELDS[endpoint] + PAGE_FIELDS
    return ALL_FIELDS


@lru_cache(maxsize=None)  # strategies are built once: building one per draw costs more than the request
def value_for(name: str) -> st.SearchStrategy[Any]:
    """A JSON value for the field ``name``: mostly of its type, often not."""
    if name in PHONE_FIELDS:
        typed: st.SearchStrategy[Any] = phone_like
    elif name in CODE_FIELDS:
        typed = st.one_of(st.just(TEST_CODE), st.from_regex(r"[0-9]{6}", fullmatch=True), text)
    elif name in PASSWORD_FIELDS:
        typed = st.one_of(st.just(PASSWORD), text, st.text(min_size=6, max_size=200))
    elif name in ID_LIST_FIELDS:
        typed = st.lists(big_int, max_size=4)
    elif name in INT_FIELDS:
        typed = big_int
    elif name in BOOL_FIELDS:
        typed = st.booleans()
    elif name == "area":
        typed = st.sampled_from(["86", "+86", "1", "852", "", "0", "x"])
    elif name == "expect":
        typed = st.sampled_from(["0", "1", "2", ""])
    elif name == "client_type":
        typed = st.sampled_from(["android", "ios", "web"])
    else:
        typed = text
    return st.one_of(typed, typed, wrong_type)


def as_text(value: Any) -> str:
    """A JSON value as a query-string or form value."""
    return value if isinstance(value, str) else json.dumps(value)


def encode(pairs: list[tuple[str, str]]) -> str:
    """``k=v&...`` percent-encoded, lone surrogates included (as the bytes a broken client sends)."""
    def part(s: str) -> str:
        return quote_plus(s.encode("utf-8", "surrogatepass"))
    return "&".join(f"{part(k)}={part(v)}" for k, v in pairs)


@dataclass(frozen=True)
class Route:
    """A URL rule to fuzz: its endpoint, template, arguments and methods."""

    endpoint: str
    template: str
    arguments: tuple[str, ...]
    methods: tuple[str, ...]


@dataclass
class Drawn:
    """One request to make, and which dialect must answer it."""

    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    data: bytes | None = None
    content_type: str | None = None
    dialects: tuple[str, ...] = ()


#: Unknown paths are drawn under every dialect's prefix.
UNKNOWN_PREFIXES = ["/api/v4.0", "/image-to-sound", "/image-to-sound/api", "/api/admin", "/api/auth",
                    "/api/auth/check_code", "/api/personal", "/api/push", "/api", ""]


@lru_cache(maxsize=None)
def segment(argument: str) -> st.SearchStrategy[str]:
    """A value for a path parameter, percent-encoded."""
    if argument == "prefix":
        return st.sampled_from(UNKNOWN_PREFIXES)
    if argument in ("phone", "mobile"):
        raw = phone_like
    elif argument in ("raw_id", "client_id"):
        raw = st.one_of(big_int.map(str), st.from_regex(r"[0-9]{1,12}", fullmatch=True), text)
    else:
        raw = text
    safe = "/" if argument in ("client_id", "filename") else ""
    return raw.map(lambda s: quote(s.encode("utf-8", "surrogatepass"), safe=safe) or "%20")


METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@st.composite
def drawn_requests(draw: st.DrawFn, route: Route) -> Drawn:
    """A request to ``route``: its own methods mostly, any method sometimes."""
    own = st.sampled_from(route.methods)
    method = draw(st.one_of(own, own, own, st.sampled_from(METHODS)))
    path = route.template
    for argument in route.arguments:
        path = path.replace(f"<{argument}>", draw(segment(argument)), 1)
    if draw(st.integers(0, 9)) == 0:
        # Doubled (not leading: a test client reads "//x" as a host) or trailing slashes.
        path = "/" + path[1:].replace("/", "//", 1) if draw(st.booleans()) else path + "/"
    names = fields_of(route.endpoint)
    # The documented fields, less a few: most requests are close to what a client sends.
    left_out = draw(st.integers(0, 2 ** len(names) - 1))  # a bit mask: one draw, not one per field
    chosen = [name for i, name in enumerate(names) if not left_out >> i & 1]
    extras = draw(st.lists(text, max_size=2))
    obj = {name: draw(value_for(name)) for name in chosen + extras}
    if obj and draw(st.integers(0, 2)) == 0:
        # A fuzzer's mutation: one field's value gains a nasty character.
        name = draw(st.sampled_from(sorted(obj)))
        obj[name] = as_text(obj[name]) + draw(st.sampled_from(NASTY))

    query_pairs = [(k, as_text(v)) for k, v in obj.items()] if draw(st.booleans()) else []
    query_pairs += draw(st.lists(st.tuples(st.sampled_from(ALL_FIELDS), text), max_size=2))
    query = encode(query_pairs)
    if draw(st.integers(0, 9)) == 0:
        query += draw(st.sampled_from(["&%ff%fe=%c0%af", "%", "&&==", "a=%00", "ids[]=1&ids[]=x"]))

    body_kind = draw(st.sampled_from(["none", "json", "json", "json", "json", "other_json", "form", "raw", "oversize",
                                      "oversize"]))
    data: bytes | None = None
    content_type = "application/json"
    # The dialect the body names on the shared send_code path; None: either may answer.
    body_owner: str | None = MODERN
    if body_kind == "json":
        ascii_only = draw(st.booleans())
        # ensure_ascii=False and surrogatepass: raw surrogates, invalid UTF-8 on the wire
        data = json.dumps(obj, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
        # Decodable or not (raw surrogates are invalid UTF-8), its keys can be read.
        body_owner = PLATFORM if "account" in obj else MODERN
    elif body_kind == "other_json":
        other = draw(any_json)
        data = json.dumps(other).encode()
        body_owner = PLATFORM if isinstance(other, dict) and "account" in other else MODERN
    elif body_kind == "form":
        data = encode([(k, as_text(v)) for k, v in obj.items()]).encode()
        content_type = "application/x-www-form-urlencoded"
        body_owner = MODERN  # not JSON at all: the path's owner
    elif body_kind == "raw":
        data = draw(st.binary(max_size=64))
        body_owner = None
        content_type = draw(st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                                             "multipart/form-data; boundary=x", ""]))
    elif body_kind == "oversize":
        # Short, known leading keys, then a value that passes the limit: where the keys
        # come first, the shared path can still tell the dialect (lingo/dialects/shared.py).
        lead = {name: draw(st.sampled_from(["86", USER_PHONE, "x"])) for name in chosen}
        pad = "x" * (MAX_BODY + 100)
        pad_first = draw(st.booleans())
        items = ([("pad", pad)] if pad_first else []) + list(lead.items()) + ([] if pad_first else [("pad", pad)])
        data = json.dumps(dict(items)).encode()
        body_owner = PLATFORM if ("account" in lead and not pad_first) else MODERN

    headers = {"X-Request-ID": draw(st.sampled_from(["", "abcdef0123456789", "id\x1b[31mred", "x" * 80]))}
    auth = draw(st.sampled_from(["none", "user", "user", "manager", "manager", "junk"]))
    if auth == "junk":
        headers["Authorization"] = draw(st.sampled_from(["Bearer ", "Token", "Basic abc", "Bearer a.b.c"])) + \
            quote(draw(text).encode("utf-8", "surrogatepass"))
    elif auth != "none":
        headers["Authorization"] = auth  # replaced by a live token when sent
    if draw(st.integers(0, 9)) == 0:
        headers["X-Forwarded-For"] = str(draw(st.ip_addresses()))

    dialects: tuple[str, ...] = (owner(path),)
    if path == "/api/auth/send_code" and method == "POST":
        dialects = (body_owner,) if body_owner else (MODERN, PLATFORM)
    return Drawn(method, path, query, headers, data, content_type if data is not None else None, dialects)


# --- routes ------------------------------------------------------------------------------------

def routes() -> list[Route]:
    """Every route of every dialect in the app's URL map, plus unknown paths under each prefix."""
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": "sqlite://"})
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint.startswith(("health.", "metrics.")):
            continue  # operational probes, not a dialect: plain {"status": ...}, Prometheus text
        if rule.endpoint.startswith("console."):
            continue  # the admin web console: HTML pages and forms, not a dialect (tests/test_console.py)
        if rule.endpoint.startswith("apidocs."):
            continue  # the API documentation: HTML and assets for a browser (tests/test_openapi.py)
        template = rule.rule.replace("<path:", "<")
        methods = tuple(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
        found.append(Route(rule.endpoint, template, tuple(sorted(rule.arguments)), methods))
    found.append(Route("unknown", "<prefix>/<rest>", ("prefix", "rest"), ("GET", "POST")))
    return found


ROUTES = routes()


@lru_cache(maxsize=None)
def request_strategy(route: Route) -> st.SearchStrategy[Drawn]:
    """The (cached) strategy of requests to ``route``."""
    return drawn_requests(route)


# --- the property ------------------------------------------------------------------------------

class FuzzWorld(TokenWorld):
    """The fuzz user and manager (:class:`helpers.world.TokenWorld`)."""

    def __init__(self, app: Flask) -> None:
        super().__init__(app, user_phone=USER_PHONE, manager_phone=MANAGER_PHONE, password=PASSWORD)


@pytest.fixture
def world(app: Flask) -> FuzzWorld:
    """The fuzz user and manager on this test's database."""
    return FuzzWorld(app)


def send(client: FlaskClient, world: FuzzWorld, drawn: Drawn, ip: str) -> Any:
    """Make the drawn request from ``ip``."""
    headers = dict(drawn.headers)
    if headers.get("Authorization") in ("user", "manager"):
        scheme = "Bearer" if headers["Authorization"] == "manager" else "Token"
        headers["Authorization"] = f"{scheme} {world.token(headers['Authorization'])}"
    kwargs: dict[str, Any] = {"method": drawn.method, "query_string": drawn.query, "headers": headers,
                              "environ_base": {"REMOTE_ADDR": ip}}
    if drawn.data is not None:
        kwargs["data"] = drawn.data
        if drawn.content_type:
            kwargs["content_type"] = drawn.content_type
    return client.open(drawn.path, **kwargs)


def check_answer(drawn: Drawn, response: Any) -> None:
    """The answer is the owning dialect's JSON envelope (or a bodiless 204 for OPTIONS)."""
    status = response.status_code
    assert status < 500, (status, response.data[:300])
    raw = response.get_data()
    assert b"<html" not in raw.lower() and b"Traceback" not in raw, raw[:300]
    if drawn.method == "OPTIONS" and status == 204:
        assert raw == b"" and response.headers.get("Allow"), response.headers
        return
    assert response.mimetype == "application/json", (status, response.mimetype, raw[:300])
    if drawn.method == "HEAD":
        assert raw == b""
        return
    body = json.loads(raw)
    assert any(ENVELOPES[d](status, body) for d in drawn.dialects), (drawn.dialects, status, body)


def fuzzed_deeply(route: Route) -> bool:
    """Whether ``route`` takes a phone number or an account (in its path or its fields), or
    stands for the unknown paths under every prefix: those get ``DEEP_FACTOR`` times the examples."""
    documented = V4_FIELDS if route.endpoint.startswith("v4.") else ROUTE_FIELDS.get(route.endpoint, [])
    return route.endpoint == "unknown" or bool({"phone", "mobile"} & set(route.arguments)
                                               or PHONE_FIELDS & set(documented))


def route_groups() -> dict[str, list[Route]]:
    """Each deeply fuzzed route on its own (``DEEP_FACTOR`` shares of examples), the other
    routes by blueprint (``platform``, ``admin``, ``modern`` ...; one share each)."""
    groups: dict[str, list[Route]] = {}
    for route in ROUTES:
        if fuzzed_deeply(route):
            groups[route.endpoint] = [route] * DEEP_FACTOR
        else:
            groups.setdefault(route.endpoint.split(".")[0], []).append(route)
    return groups


GROUPS = route_groups()


def check_property(client: FlaskClient, world: FuzzWorld, caplog: pytest.LogCaptureFixture, route: Route,
                   data: st.DataObject) -> None:
    """Draw one request to ``route``, send it, check the answer and the log."""
    drawn = data.draw(request_strategy(route), label="request")
    ip = data.draw(client_address, label="client address")
    caplog.set_level(logging.INFO)
    caplog.clear()
    response = send(client, world, drawn, ip)
    check_answer(drawn, response)
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [(r.name, r.levelname, r.getMessage()) for r in bad]
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_any_request_gets_the_dialects_envelope(client, world, caplog, group):
    # One app (and database) per group rather than per route: setting one up costs more
    # than a dozen requests. The deeply fuzzed routes are groups of their own: a fresh
    # search per route finds more than one long search over several. Every route of a
    # group is drawn, in proportion to its share, for EXAMPLES examples per share.
    routes = GROUPS[group]

    @settings(FUZZ, max_examples=EXAMPLES * len(routes))
    @given(data=st.data())
    def any_request(data: st.DataObject) -> None:
        route = data.draw(st.sampled_from(routes), label="route")
        check_property(client, world, caplog, route, data)

    any_request()


def test_every_dialect_route_is_fuzzed():
    """The URL map is read at collection: every dialect's blueprint has routes here."""
    assert {"modern", "platform", "admin", "v4.login", "its.login", "shared.send_code", "unknown"} <= set(GROUPS)
    assert sum(len(set(routes)) for routes in GROUPS.values()) == len(ROUTES)
