"""The legacy ``/api/v4.0`` dialect: the seed's examples, its security rules and its errors."""
from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from sqlalchemy import update
from werkzeug.test import EnvironBuilder, run_wsgi_app

from lingo.dialects.legacy.render import ERRORS
from lingo.errors import Error
from lingo.extensions import db
from lingo.models import User
from helpers.v4 import HEX32, V4, V4Api, insert_user, snapshot, unique_ip

PHONE = "13126939916"
REFUSED = {"code": -1, "data": "", "msg": "验证码错误"}


@pytest.fixture
def v4(app, client, outbox, clock) -> V4Api:
    return V4Api(app, client, outbox, clock)


@pytest.fixture(autouse=True)
def client_ip(client) -> str:
    """A client address of this test's own.

    flask-limiter keeps the key prefix of the first app it was bound to, so with
    Redis the ``isregister`` counters of every test in the run would share one key
    per address; a fresh address per test keeps the tests independent.
    """
    client.environ_base["REMOTE_ADDR"] = unique_ip()
    return client.environ_base["REMOTE_ADDR"]


def test_every_domain_error_has_a_v4_rendering():
    assert set(ERRORS) == set(Error)


# --- the seed's examples, sent verbatim -------------------------------------------------

ACCOUNT_FIELDS = {"change_device", "enterprise_id", "token", "user_id", "name", "apply", "permissions"}


def _account_data(response: Any, msg: str) -> dict[str, Any]:
    """Check a ``register``/``login`` success envelope and return its ``data``."""
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["code", "data", "msg"]
    assert body["code"] == 200 and type(body["code"]) is int
    assert body["msg"] == msg
    assert set(body["data"]) == ACCOUNT_FIELDS
    return body["data"]



def test_seed_sendsms_example(v4, client, outbox):
    v4.register(PHONE)
    v4.clock.advance(61)
    sent_before = len(outbox.messages)

    response = client.get("/api/v4.0/sendsms/13126939916?expect=1")

    assert response.status_code == 200
    body = response.get_json()
    assert body == {"code": "200", "msg": "发送成功"}
    assert isinstance(body["code"], str)
    assert len(outbox.messages) == sent_before + 1 and outbox.messages[-1][0] == "+8613126939916"


def test_seed_isregister_example(v4, client):
    v4.register(PHONE)

    response = client.get("/api/v4.0/isregister/13126939916?expect=0")

    assert response.status_code == 200
    body = response.get_json()
    assert body == {"code": -1, "data": "", "msg": "手机号已经被注册"}
    assert type(body["code"]) is int


def test_isregister_answers_200_when_the_expectation_holds(v4, client):
    assert client.get(f"{V4}/isregister/{PHONE}").get_json() == {"code": 200, "data": "", "msg": "手机号未注册"}
    assert client.get(f"{V4}/isregister/{PHONE}?expect=1").get_json() == {
        "code": -1, "data": "", "msg": "手机号未注册"}
    v4.register(PHONE)
    assert client.get(f"{V4}/isregister/{PHONE}?expect=1").get_json() == {
        "code": 200, "data": "", "msg": "手机号已经被注册"}


@pytest.mark.parametrize("content_type, body", [("application/x-www-form-urlencoded", b"expect=1"),
                                                ("application/json", b'{"expect": "1"}')])
def test_isregister_reads_parameters_from_a_chunked_body(app, content_type, body):
    # No Content-Length: a chunked body, which gunicorn hands over decoded, the input marked
    # terminated (called as gunicorn calls the app: Flask's test client would add a length).
    def ask(chunked: bool) -> Any:
        environ = EnvironBuilder(path=f"{V4}/isregister/{PHONE}", method="POST", data=body if chunked else b"",
                                 content_type=content_type, environ_base={"REMOTE_ADDR": unique_ip()}).get_environ()
        environ.pop("CONTENT_LENGTH", None)
        if chunked:
            environ.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True})
        answer, _, _ = run_wsgi_app(app, environ, buffered=True)
        return json.loads(b"".join(answer))

    assert ask(chunked=True) == {"code": -1, "data": "", "msg": "手机号未注册"}  # expect=1 was read
    assert ask(chunked=False) == {"code": 200, "data": "", "msg": "手机号未注册"}  # no body: expect=0


def test_seed_register_example_needs_a_real_code(v4, client, app):
    url = ("/api/v4.0/register?code=xxx&phone=13126939916&name=%E4%BA%8E%E8%BF%9E%E6%9E%97"
           "&password=123456&device_identifier=uuid")
    code = v4.code(PHONE, "0")
    before = snapshot(app)

    refused = client.get(url)

    assert refused.status_code == 200
    assert refused.get_json() == {"code": -2, "data": "", "msg": "验证码错误"}
    assert v4.user(PHONE) is None
    assert snapshot(app)["counts"]["users"] == before["counts"]["users"]

    response = client.get(url.replace("code=xxx", f"code={code}"))

    data = _account_data(response, "注册成功")
    assert data["change_device"] is False
    assert data["enterprise_id"] == -1 and type(data["enterprise_id"]) is int
    assert HEX32.match(data["token"]) and HEX32.match(data["user_id"])
    assert data["name"] == "于连林"
    assert data["apply"] == {}
    assert data["permissions"] == []
    user = v4.user(PHONE)
    assert user.user_id == data["user_id"] and user.nickname == "于连林" and user.device_identifier == "uuid"


def test_seed_login_example(v4, client, app):
    registered = v4.register(PHONE, password="111111", device="uuid")
    runner = app.test_cli_runner()
    created = runner.invoke(args=["enterprise", "create", "apple"])
    assert created.exit_code == 0, created.output
    apple = int(created.output.split()[1])
    result = runner.invoke(args=["enterprise", "apply", PHONE, str(apple)])
    assert result.exit_code == 0, result.output

    response = client.get("/api/v4.0/login?phone=13126939916&password=111111&device_identifier=uuid")

    data = _account_data(response, "登录成功")
    assert data["apply"] == {"apply_eid": apple, "apply_name": "apple", "apply_state": "0"}
    assert type(data["apply"]["apply_eid"]) is int
    assert data["change_device"] is False
    assert data["enterprise_id"] == "-1"
    assert HEX32.match(data["token"]) and data["token"] != registered["token"]
    assert data["user_id"] == registered["user_id"]
    assert data["name"] == "asdasd"
    assert data["permissions"] == []


def test_seed_verify_code_example_needs_the_code(v4, client):
    v4.register(PHONE)
    code = v4.code(PHONE, "1")

    refused = client.get("/api/v4.0/verify_code?phone=13126939916")
    assert refused.status_code == 200
    assert refused.get_json() == {"code": -1, "data": "", "msg": "参数错误: 验证码"}

    response = client.get(f"/api/v4.0/verify_code?phone=13126939916&code={code}")
    assert response.status_code == 200
    body = response.get_json()
    assert body == {"code": 200, "data": "", "msg": "验证码正确"}
    assert type(body["code"]) is int


def test_seed_forget_password_example(v4, client, modern):
    token = v4.register(PHONE, password="111111")["token"]
    v4.grant(PHONE)

    response = client.get("/api/v4.0/forget_password?phone=13126939916&password=123456")

    assert response.status_code == 200
    body = response.get_json()
    assert body == {"code": 200, "data": "", "msg": "修改成功"}
    assert type(body["code"]) is int
    assert v4.login(PHONE, "111111") == {"code": -1, "data": "", "msg": "手机号或密码错误"}
    assert v4.login(PHONE, "123456")["code"] == 200
    # every session of the user was revoked
    assert modern.logout(token).status_code == 401


# --- parameters --------------------------------------------------------------------------


def test_parameters_from_form_and_json_bodies_with_post(v4, client):
    v4.register(PHONE, password="111111")
    form = client.post(f"{V4}/login", data={"phone": PHONE, "password": "111111", "device_identifier": "uuid"})
    assert form.get_json()["code"] == 200
    as_json = client.post(f"{V4}/login", json={"phone": PHONE, "password": "111111", "device_identifier": "uuid"})
    assert as_json.get_json()["code"] == 200
    v4.clock.advance(61)
    sms = client.post(f"{V4}/sendsms/{PHONE}", json={"expect": "1"})
    assert sms.get_json() == {"code": "200", "msg": "发送成功"}


def test_json_body_beats_form_body_beats_query_string(v4, client):
    v4.register(PHONE, password="111111")
    base = {"phone": PHONE, "device_identifier": "uuid"}

    json_wins = client.post(f"{V4}/login?password=wrong1", json={**base, "password": "111111"})
    assert json_wins.get_json()["code"] == 200
    form_wins = client.post(f"{V4}/login?password=wrong1", data={**base, "password": "111111"})
    assert form_wins.get_json()["code"] == 200
    query_loses = client.post(f"{V4}/login?password=111111", json={**base, "password": "wrong1"})
    assert query_loses.get_json() == {"code": -1, "data": "", "msg": "手机号或密码错误"}
    form_loses = client.post(f"{V4}/login?password=111111", data={**base, "password": "wrong1"})
    assert form_loses.get_json()["code"] == -1


# --- accounts, devices, tokens ------------------------------------------------------------


def test_change_device_tracks_the_last_device(v4):
    v4.register(PHONE, device="phone-a")
    assert v4.login(PHONE, device="phone-a")["data"]["change_device"] is False
    assert v4.login(PHONE, device="phone-b")["data"]["change_device"] is True
    assert v4.user(PHONE).device_identifier == "phone-b"
    assert v4.login(PHONE, device="phone-b")["data"]["change_device"] is False
    assert v4.login(PHONE, device="phone-a")["data"]["change_device"] is True


def test_first_v4_sign_in_of_a_user_without_a_device_is_not_a_change(v4, client, modern):
    modern.tokens(PHONE)  # created by code, no device, no password
    v4.clock.advance(61)
    new_code = modern.code(PHONE)
    client.post("/api/auth/set_password_by_code",
                json={"phone": PHONE, "code": new_code, "new_password": "modern-pass-1"})
    first = v4.login(PHONE, password="modern-pass-1", device="dev-1")
    assert first["code"] == 200 and first["data"]["change_device"] is False
    assert v4.login(PHONE, password="modern-pass-1", device="dev-2")["data"]["change_device"] is True


def test_v4_user_signs_in_through_modern_with_the_same_password(v4, client):
    v4.register(PHONE, password="abc123")
    response = client.post("/api/auth/phone_login", json={"phone": PHONE, "password": "abc123"})
    assert response.status_code == 200 and response.get_json()["data"]["access_token"]


def test_v4_token_authenticates_on_modern_endpoints(v4, modern):
    token = v4.register(PHONE)["token"]
    assert modern.logout(token).status_code == 200
    assert modern.logout(token).status_code == 401
    login_token = v4.login(PHONE)["data"]["token"]
    assert modern.logout(login_token, scheme="Token").status_code == 200


def test_login_errors(v4, modern):
    assert v4.login(PHONE) == {"code": -1, "data": "", "msg": "手机号未注册"}
    modern.tokens(PHONE)  # a code-only user has no password
    assert v4.login(PHONE) == {"code": -1, "data": "", "msg": "手机号或密码错误"}


def test_register_refuses_a_registered_phone(v4, client):
    v4.register(PHONE)
    response = v4.get("register", phone=PHONE, name="x", password="123456", device_identifier="d", code="123456")
    assert response.get_json() == {"code": -1, "data": "", "msg": "手机号已经被注册"}


def test_sendsms_checks_the_expectation(v4, client, outbox):
    assert client.get(f"{V4}/sendsms/{PHONE}?expect=1").get_json() == {"code": -1, "data": "", "msg": "手机号未注册"}
    v4.register(PHONE)
    v4.clock.advance(61)
    assert client.get(f"{V4}/sendsms/{PHONE}").get_json() == {"code": -1, "data": "", "msg": "手机号已经被注册"}
    sent = len(outbox.messages)
    # The refused expectation took the send limits (it tells whether the phone is registered).
    assert client.get(f"{V4}/sendsms/{PHONE}?expect=1").get_json() == {"code": -1, "data": "", "msg": "发送太频繁"}
    v4.clock.advance(61)
    assert client.get(f"{V4}/sendsms/{PHONE}?expect=1").get_json()["code"] == "200"
    assert client.get(f"{V4}/sendsms/{PHONE}?expect=1").get_json() == {"code": -1, "data": "", "msg": "发送太频繁"}
    assert len(outbox.messages) == sent + 1


# --- codes serve one purpose ----------------------------------------------------------------


def test_registration_code_does_not_serve_a_login(v4, client):
    other = "13800138000"
    v4.register(other)
    register_code = v4.code(PHONE, "0")
    # a modern code login or an image-to-sound login does not take it
    assert client.post("/api/auth/phone_code_login", json={"phone": PHONE, "code": register_code}).status_code == 400
    its = client.post("/image-to-sound/api/login", json={"mobile": PHONE, "rawCode": register_code})
    assert its.status_code == 400
    # it is still good for what it was sent for
    response = v4.get("register", phone=PHONE, name="n", password="123456", device_identifier="d",
                      code=register_code)
    assert response.get_json()["code"] == 200


def test_registration_code_does_not_serve_the_reset(v4, client, app):
    # The phone gets registered (here: written directly) after an expect=0 code was sent.
    register_code = v4.code(PHONE, "0")
    insert_user(app, PHONE)

    assert v4.get("verify_code", phone=PHONE, code=register_code).get_json() == REFUSED
    assert _forget(client) == REFUSED


def test_reset_code_does_not_serve_a_login(v4, client):
    v4.register(PHONE)
    reset_code = v4.code(PHONE, "1")
    assert client.post("/api/auth/phone_code_login", json={"phone": PHONE, "code": reset_code}).status_code == 400
    its = client.post("/image-to-sound/api/login", json={"mobile": PHONE, "rawCode": reset_code})
    assert its.status_code == 400
    # it is still good for the reset
    assert v4.get("verify_code", phone=PHONE, code=reset_code).get_json()["code"] == 200


def test_disabled_user_cannot_sign_in_or_use_a_token(v4, app, modern):
    token = v4.register(PHONE)["token"]
    with app.app_context():
        db.session.execute(update(User).values(is_active=False))
        db.session.commit()
    assert v4.login(PHONE) == {"code": -1, "data": "", "msg": "账号已被禁用"}
    assert modern.logout(token).status_code == 403


# --- forget_password: once, 10 minutes, same IP -------------------------------------------


def _forget(client, password: str = "654321", ip: str | None = None) -> Any:
    """``forget_password`` from ``ip`` (default: the test's client address)."""
    environ = {"REMOTE_ADDR": ip} if ip else {}
    return client.get(f"{V4}/forget_password?phone={PHONE}&password={password}",
                      environ_base=environ).get_json()


def test_forget_password_refused_without_verify_code(v4, client, app):
    v4.register(PHONE)
    before = snapshot(app, counters=False)  # the attempt itself counts (hourly caps)
    assert _forget(client) == REFUSED
    assert snapshot(app, counters=False) == before


def test_forget_password_refused_from_another_ip(v4, client, app):
    v4.register(PHONE)
    ip, other_ip = unique_ip(), unique_ip()
    v4.grant(PHONE, ip=ip)
    before = snapshot(app, counters=False)  # the attempt itself counts (hourly caps)
    assert _forget(client, ip=other_ip) == REFUSED
    assert snapshot(app, counters=False) == before
    assert _forget(client, ip=ip)["code"] == 200


def test_forget_password_refused_after_ten_minutes(v4, client):
    v4.register(PHONE)
    v4.grant(PHONE)
    v4.clock.advance(601)
    assert _forget(client) == REFUSED
    assert v4.login(PHONE, "111111")["code"] == 200


def test_forget_password_accepted_once(v4, client):
    v4.register(PHONE)
    v4.grant(PHONE)
    assert _forget(client, "222222")["code"] == 200
    assert _forget(client, "333333") == REFUSED
    assert v4.login(PHONE, "222222")["code"] == 200


def test_verify_code_refuses_a_wrong_code(v4, client):
    v4.register(PHONE)
    code = v4.code(PHONE, "1")
    wrong = "000000" if code != "000000" else "111111"
    assert v4.get("verify_code", phone=PHONE, code=wrong).get_json() == REFUSED
    assert _forget(client) == REFUSED


# --- error rendering ------------------------------------------------------------------------


def test_unknown_paths_and_wrong_methods_answer_in_the_v4_envelope(client):
    for response, msg in (
        (client.get(f"{V4}/nothing"), "访问的路径不存在"),
        (client.get(V4), "访问的路径不存在"),
        (client.put(f"{V4}/login"), "请求方法不允许"),
        (client.delete(f"{V4}/sendsms/{PHONE}"), "请求方法不允许"),
    ):
        assert response.status_code == 200
        assert response.get_json() == {"code": -1, "data": "", "msg": msg}


def test_server_faults_answer_in_the_v4_envelope(v4, client, monkeypatch):
    from lingo.services import legacy

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(legacy, "check_expectation", broken)
    response = client.get(f"{V4}/isregister/{PHONE}")
    assert response.status_code == 200
    assert response.get_json() == {"code": -1, "data": "", "msg": "服务器内部错误"}


def test_isregister_is_limited_per_client_ip(client):
    for _ in range(30):
        assert client.get(f"{V4}/isregister/{PHONE}").get_json()["code"] == 200
    limited = client.get(f"{V4}/isregister/{PHONE}")
    assert limited.status_code == 200
    assert limited.get_json() == {"code": -1, "data": "", "msg": "请求过于频繁"}
    other = client.get(f"{V4}/isregister/{PHONE}", environ_base={"REMOTE_ADDR": unique_ip()})
    assert other.get_json()["code"] == 200


# --- malformed input changes nothing ----------------------------------------------------------

HUGE = "x" * (70 * 1024)
GOOD_REGISTER = {"phone": "13800138000", "name": "n", "password": "123456", "device_identifier": "d"}
GOOD_LOGIN = {"phone": PHONE, "password": "111111", "device_identifier": "uuid"}

#: (endpoint, [(method, url, request kwargs), ...]); each case must answer -1.
MALFORMED: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "sendsms": [
        ("GET", f"{V4}/sendsms/1312693991", {}),
        ("GET", f"{V4}/sendsms/131269399160", {}),
        ("GET", f"{V4}/sendsms/2312693991a", {}),
        ("GET", f"{V4}/sendsms/+8613126939916", {}),
        ("GET", f"{V4}/sendsms/{PHONE}?expect=2", {}),
        ("GET", f"{V4}/sendsms/{PHONE}?expect=", {}),
        ("GET", f"{V4}/sendsms/{PHONE}?expect=%00", {}),
        ("POST", f"{V4}/sendsms/{PHONE}", {"json": {"expect": 1}}),
        ("POST", f"{V4}/sendsms/{PHONE}", {"data": "{not json", "content_type": "application/json"}),
        ("POST", f"{V4}/sendsms/{PHONE}", {"json": ["expect", "1"]}),
        ("POST", f"{V4}/sendsms/{PHONE}", {"data": {"expect": HUGE}}),
    ],
    "isregister": [
        ("GET", f"{V4}/isregister/abc", {}),
        ("GET", f"{V4}/isregister/{PHONE}?expect=yes", {}),
        ("POST", f"{V4}/isregister/{PHONE}", {"json": {"expect": None}}),
        ("POST", f"{V4}/isregister/{PHONE}", {"data": HUGE, "content_type": "text/plain"}),
    ],
    "register": [
        *[("POST", f"{V4}/register", {"data": {k: v for k, v in GOOD_REGISTER.items() if k != missing}})
          for missing in GOOD_REGISTER],
        ("POST", f"{V4}/register", {"data": {**GOOD_REGISTER, "password": "12345"}}),
        ("POST", f"{V4}/register", {"data": {**GOOD_REGISTER, "password": "123456789012345"}}),
        ("POST", f"{V4}/register", {"data": {**GOOD_REGISTER, "name": ""}}),
        ("POST", f"{V4}/register", {"data": {**GOOD_REGISTER, "name": "   "}}),
        ("POST", f"{V4}/register", {"data": {**GOOD_REGISTER, "name": "n" * 33}}),
        ("POST", f"{V4}/register", {"data": {**GOOD_REGISTER, "name": "a\x00b"}}),
        ("POST", f"{V4}/register", {"data": {**GOOD_REGISTER, "device_identifier": "d" * 129}}),
        ("POST", f"{V4}/register", {"data": {**GOOD_REGISTER, "phone": "1380013800"}}),
        ("POST", f"{V4}/register", {"json": {**GOOD_REGISTER, "name": 7}}),
        ("POST", f"{V4}/register", {"json": {**GOOD_REGISTER, "phone": 13800138000}}),
        ("POST", f"{V4}/register", {"data": json.dumps({**GOOD_REGISTER, "name": "\ud800"}),
                                    "content_type": "application/json"}),
        ("POST", f"{V4}/register", {"data": b"\xff\xfe{", "content_type": "application/json"}),
    ],
    "login": [
        ("GET", f"{V4}/login?phone={PHONE}&password=111111", {}),
        ("GET", f"{V4}/login?phone={PHONE}&device_identifier=uuid", {}),
        ("GET", f"{V4}/login?phone=1312693991x&password=111111&device_identifier=uuid", {}),
        ("POST", f"{V4}/login", {"json": {**GOOD_LOGIN, "password": ["111111"]}}),
        ("POST", f"{V4}/login", {"json": {**GOOD_LOGIN, "device_identifier": {"a": 1}}}),
        ("POST", f"{V4}/login", {"json": {**GOOD_LOGIN, "phone": True}}),
        ("POST", f"{V4}/login", {"data": "null", "content_type": "application/json"}),
        ("POST", f"{V4}/login", {"json": {**GOOD_LOGIN, "device_identifier": HUGE}}),
    ],
    "verify_code": [
        ("GET", f"{V4}/verify_code?phone={PHONE}", {}),
        ("GET", f"{V4}/verify_code?code=123456", {}),
        ("GET", f"{V4}/verify_code?phone={PHONE}&code={'1' * 65}", {}),
        ("POST", f"{V4}/verify_code", {"json": {"phone": PHONE, "code": 123456}}),
        ("POST", f"{V4}/verify_code", {"data": "[1,", "content_type": "application/json"}),
    ],
    "forget_password": [
        ("GET", f"{V4}/forget_password?phone={PHONE}", {}),
        ("GET", f"{V4}/forget_password?password=654321", {}),
        ("GET", f"{V4}/forget_password?phone={PHONE}&password=12345", {}),
        ("GET", f"{V4}/forget_password?phone={PHONE}&password=123456789012345", {}),
        ("POST", f"{V4}/forget_password", {"json": {"phone": PHONE, "password": 654321}}),
        ("POST", f"{V4}/forget_password", {"data": {"phone": PHONE, "password": "6543\x00"}}),
        ("POST", f"{V4}/forget_password", {"json": {"phone": PHONE, "password": "654321", "x": HUGE}}),
    ],
}


@pytest.mark.parametrize("endpoint", sorted(MALFORMED))
def test_malformed_input_answers_minus_one_and_changes_nothing(endpoint, v4, client, app, outbox):
    # a registered user with a live reset grant and a live reset code: malformed
    # requests must consume neither.
    v4.register(PHONE)
    v4.grant(PHONE)
    live_code = v4.code(PHONE, "1")
    before, sent = snapshot(app), len(outbox.messages)

    for method, url, kwargs in MALFORMED[endpoint]:
        response = client.open(url, method=method, **kwargs)
        assert response.status_code == 200, (url, kwargs)
        body = response.get_json()
        assert body is not None and body["code"] == -1 and body["data"] == "", (url, kwargs, body)
        assert isinstance(body["msg"], str) and body["msg"], body

    assert snapshot(app) == before
    assert len(outbox.messages) == sent
    assert v4.get("verify_code", phone=PHONE, code=live_code).get_json()["code"] == 200
    assert _forget(client, "765432")["code"] == 200


def test_racing_forget_password_requests_succeed_once(v4, app, client_ip):
    v4.register(PHONE)
    v4.grant(PHONE)
    barrier = threading.Barrier(4)
    results: list[Any] = []

    def reset(password: str) -> None:
        racer = app.test_client()
        racer.environ_base["REMOTE_ADDR"] = client_ip
        barrier.wait()
        results.append((password, _forget(racer, password)))

    threads = [threading.Thread(target=reset, args=(f"pass-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r["code"] for _, r in results) == [-1, -1, -1, 200]
    assert [r for _, r in results].count(REFUSED) == 3
    winner = next(password for password, r in results if r["code"] == 200)
    assert v4.login(PHONE, winner)["code"] == 200
