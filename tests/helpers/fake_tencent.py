"""A fake Tencent Cloud API 3.0 on a local :class:`~helpers.providers.ProviderServer`.

The real SDK is pointed at it (``TENCENT_SMS_ENDPOINT`` / ``TENCENT_CAPTCHA_ENDPOINT``
= ``http://127.0.0.1:<port>``) and it answers the way Tencent documents:
HTTP 200 with a JSON ``{"Response": {...}}`` object whose ``Error`` says what
went wrong, or ``SendStatusSet`` entries with a per-number ``Code``. The
action is in the ``X-TC-Action`` header; each action's answer is a *reply*
(``fake.replies["SendSms"] = number_failed(...)``).

Its fixtures are in ``conftest.py``: ``tencent`` (the running fake),
``tencent_overrides`` (app configuration for it, ``SMS_BACKEND=tencent``) and
``no_proxies`` (no proxy from the environment; names in :data:`PROXY_VARIABLES`).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import socket
import threading
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from helpers.providers import Answer, ProviderServer, Recorded

#: Tencent answers ``application/json`` exactly; the SDK checks ``Response.Error``
#: only for that value (ProviderServer's default adds a charset).
JSON = {"Content-Type": "application/json"}

SECRET_ID = "AKIDlingoTestSecretId0000000000000000"
SECRET_KEY = "lingoTestSecretKey00000000000000"
REGION = "ap-guangzhou"
SDK_APP_ID = "1400000001"
SIGN_NAME = "灵果科技"
TEMPLATE_ANY = "1100001"
TEMPLATE_RESET = "1100002"
TEMPLATE_INTERNATIONAL = "2200001"
CAPTCHA_APP_ID = "190000001"
CAPTCHA_APP_SECRET_KEY = "lingoTestCaptchaAppSecretKey0000"

#: Builds the answer to one request, given the request id to put in it.
Reply = Callable[[Recorded, str], Answer]


def response(payload: dict[str, Any], request_id: str, headers: dict[str, str] | None = None) -> Answer:
    """HTTP 200 ``{"Response": {**payload, "RequestId": ...}}``."""
    body = {"Response": {**payload, "RequestId": request_id}}
    return Answer(200, body, headers if headers is not None else JSON)


def _status(recorded: Recorded, code: str, message: str) -> dict[str, Any]:
    phone = (recorded.json().get("PhoneNumberSet") or [""])[0]
    ok = code == "Ok"
    return {
        "SerialNo": f"5000:{uuid.uuid4().int % 10**20}" if ok else "",
        "PhoneNumber": phone,
        "Fee": 1 if ok else 0,
        "SessionContext": "",
        "Code": code,
        "Message": message,
        "IsoCode": "CN" if phone.startswith("+86") else "GB",
    }


def sent() -> Reply:
    """``SendSms`` succeeded: ``SendStatusSet[0].Code == "Ok"``."""
    return lambda rec, rid: response({"SendStatusSet": [_status(rec, "Ok", "send success")]}, rid)


def number_failed(code: str, message: str = "the provider refused this number") -> Reply:
    """``SendSms`` answered, but the number's ``SendStatusSet`` entry carries ``code``."""
    return lambda rec, rid: response({"SendStatusSet": [_status(rec, code, message)]}, rid)


def api_error(code: str, message: str = "the request was refused",
              headers: dict[str, str] | None = None) -> Reply:
    """An API-level error: HTTP 200 ``{"Response": {"Error": {Code, Message}, RequestId}}``."""
    return lambda rec, rid: response({"Error": {"Code": code, "Message": message}}, rid, headers)


def http_error(status: int = 500, body: bytes = b"<html>502 Bad Gateway</html>") -> Reply:
    """A gateway's answer: no JSON, no request id."""
    return lambda rec, rid: Answer(status, body, {"Content-Type": "text/html"})


def not_json() -> Reply:
    """HTTP 200 with a body that is not JSON (a captive proxy's page)."""
    return lambda rec, rid: Answer(200, b"<html>hello</html>", {"Content-Type": "text/html"})


def hanging(seconds: float, then: Reply | None = None) -> Reply:
    """Silence for ``seconds`` before ``then`` (default :func:`sent`): a provider that hangs."""
    after = then or sent()

    def reply(rec: Recorded, rid: str) -> Answer:
        answer = after(rec, rid)
        answer.delay = seconds
        return answer

    return reply


def captcha(code: int = 1, message: str = "OK") -> Reply:
    """``DescribeCaptchaResult``'s verdict (``CaptchaCode`` 1 is a pass)."""
    return lambda rec, rid: response(
        {"CaptchaCode": code, "CaptchaMsg": message, "EvilLevel": 0, "GetCaptchaTime": 0}, rid)


_AUTHORIZATION = re.compile(
    r"TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[a-z]+)/tc3_request, "
    r"SignedHeaders=content-type;host, Signature=(?P<signature>[0-9a-f]{64})"
)


def signed_by(recorded: Recorded, secret_key: str) -> tuple[str, str] | None:
    """Check the request's TC3-HMAC-SHA256 signature as Tencent does.

    :returns: ``(secret id, service)`` named by the ``Authorization`` header
        when ``secret_key`` signed this exact method, host, content type and
        body; ``None`` otherwise.
    """
    match = _AUTHORIZATION.fullmatch(recorded.headers.get("authorization", ""))
    if match is None:
        return None
    date, service = match["date"], match["service"]
    canonical = "\n".join([
        recorded.method, recorded.path, "",
        f"content-type:{recorded.headers['content-type']}\nhost:{recorded.headers['host']}\n",
        "content-type;host", hashlib.sha256(recorded.body).hexdigest(),
    ])
    to_sign = "\n".join([
        "TC3-HMAC-SHA256", recorded.headers["x-tc-timestamp"], f"{date}/{service}/tc3_request",
        hashlib.sha256(canonical.encode()).hexdigest(),
    ])
    key = ("TC3" + secret_key).encode()
    for part in (date, service, "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (match["id"], service) if hmac.compare_digest(expected, match["signature"]) else None


class FakeTencent:
    """The fake API: routes by ``X-TC-Action`` to ``replies`` and records request ids."""

    def __init__(self) -> None:
        self.replies: dict[str, Reply] = {"SendSms": sent(), "DescribeCaptchaResult": captcha()}
        self.request_ids: list[str] = []
        self.server: ProviderServer | None = None

    def answer(self, recorded: Recorded) -> Answer:
        """The :class:`ProviderServer` answer function."""
        request_id = str(uuid.uuid4())
        self.request_ids.append(request_id)
        action = recorded.headers.get("x-tc-action", "")
        reply = self.replies.get(action) or api_error("InvalidAction", f"unknown action {action!r}")
        return reply(recorded, request_id)

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def calls(self, action: str = "SendSms") -> list[Recorded]:
        """The requests received for ``action``, in order."""
        assert self.server is not None
        return [r for r in self.server.requests if r.headers.get("x-tc-action") == action]

    @property
    def last_request_id(self) -> str:
        return self.request_ids[-1]

    def config(self, **extra: Any) -> dict[str, Any]:
        """Settings for a Tencent sender and captcha on this fake, short time-outs, plus ``extra``."""
        return {
            "SMS_BACKEND": "tencent",
            "TENCENT_SECRET_ID": SECRET_ID,
            "TENCENT_SECRET_KEY": SECRET_KEY,
            "TENCENT_SMS_REGION": REGION,
            "TENCENT_SMS_ENDPOINT": self.url,
            "TENCENT_SMS_SDK_APP_ID": SDK_APP_ID,
            "TENCENT_SMS_SIGN_NAME": SIGN_NAME,
            "TENCENT_SMS_TEMPLATE_ID": TEMPLATE_ANY,
            "TENCENT_SMS_TEMPLATE_ID_RESET": TEMPLATE_RESET,
            "TENCENT_SMS_TEMPLATE_ID_INTERNATIONAL": TEMPLATE_INTERNATIONAL,
            "TENCENT_SMS_TEMPLATE_PARAMS": "code,minutes",
            "TENCENT_CAPTCHA_ENDPOINT": self.url,
            "TENCENT_CAPTCHA_APP_ID": CAPTCHA_APP_ID,
            "TENCENT_CAPTCHA_APP_SECRET_KEY": CAPTCHA_APP_SECRET_KEY,
            "SMS_CONNECT_TIMEOUT": 1.0,
            "SMS_READ_TIMEOUT": 1.0,
            **extra,
        }


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@contextmanager
def stalled_body(seconds: float = 6.0) -> Iterator[str]:
    """A server that sends a 200's headers and half its body, then nothing for ``seconds``.

    Yields its ``http://127.0.0.1:<port>``. The SDK streams bodies, so this
    stall happens outside the SDK's own error wrapping.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    done = threading.Event()

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(seconds)
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 400\r\n\r\n{\"Response\": {")
                done.wait(seconds)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        done.set()
        listener.close()
        thread.join(timeout=seconds)
