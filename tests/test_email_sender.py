"""Email codes over real SMTP (aiosmtpd on 127.0.0.1), the console sender, and failures → 10014."""
from __future__ import annotations

import logging
import re
import socket
from email import message_from_bytes, policy
from typing import Any, Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from lingo import create_app
from lingo.senders.email import ConsoleEmailSender, SmtpSender
from deploy.ports import free_port

EMAIL = "ann.lee@example.com"
SENDER = "lingo <no-reply@lingo.test>"
SMTP_USER = "mailer"
SMTP_PASSWORD = "smtp-pass-Zq81"

# The test server takes a login over plain TCP; aiosmtpd warns about exactly that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


class Mailbox:
    """aiosmtpd handler: keeps accepted messages; refuses ``nobody@…`` recipients."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 Message accepted"

    def code_for(self, to: str) -> str:
        """The six-digit code in the last message to ``to``."""
        envelope = [e for e in self.messages if to in e.rcpt_tos][-1]
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        match = re.search(r"\b(\d{6})\b", message.get_content())
        assert match, message.get_content()
        return match.group(1)


def check_login(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    """Accept only ``SMTP_USER`` / ``SMTP_PASSWORD``."""
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


def start(mailbox: Mailbox, **kwargs: Any) -> Controller:
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def smtp_server(mailbox: Mailbox) -> Iterator[Controller]:
    """A real SMTP server that requires a login (plain connection, for the test only)."""
    controller = start(mailbox, authenticator=check_login, auth_required=True, auth_require_tls=False)
    yield controller
    controller.stop()


@pytest.fixture
def app_overrides(smtp_server: Controller) -> dict[str, Any]:
    return {
        "MAIL_BACKEND": "smtp", "MAIL_HOST": "127.0.0.1", "MAIL_PORT": smtp_server.port,
        "MAIL_USERNAME": SMTP_USER, "MAIL_PASSWORD": SMTP_PASSWORD, "MAIL_FROM": SENDER, "MAIL_TIMEOUT": 5,
    }


def send(client: Any, account: str) -> Any:
    return client.post("/api/auth/send_code", json={"account": account})


def register(client: Any, account: str, code: str) -> Any:
    return client.post("/api/auth/register", json={"account": account, "code": code, "password": "secret-pass-1"})


def test_smtp_round_trip_delivers_a_working_code(client, mailbox):
    response = send(client, "Ann.Lee@Example.com")
    assert response.get_json() == {"code": 0, "message": "success", "data": {}}
    assert len(mailbox.messages) == 1
    envelope = mailbox.messages[0]
    assert envelope.rcpt_tos == [EMAIL] and envelope.mail_from == "no-reply@lingo.test"
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["To"] == EMAIL and "验证码" in message["Subject"]
    code = mailbox.code_for(EMAIL)
    data = register(client, EMAIL, code).get_json()
    assert data["code"] == 0 and len(data["data"]["access_token"]) == 50


def test_smtp_does_not_log_code_or_password(client, mailbox, caplog):
    caplog.set_level(logging.DEBUG)
    assert send(client, EMAIL).status_code == 200
    code = mailbox.code_for(EMAIL)
    assert code not in caplog.text and SMTP_PASSWORD not in caplog.text


def replace_sender(app: Any, **config: Any) -> list[str]:
    """Put an SMTP sender with ``config`` changes in place; returns the codes it was asked to send."""
    real = SmtpSender({**app.config, **config})
    seen: list[str] = []

    class Spy:
        def send_code(self, to: str, code: str, ttl: int, scene: str = "any") -> None:
            seen.append(code)
            real.send_code(to, code, ttl, scene)

    app.extensions["lingo.email"] = Spy()
    return seen


def assert_10014_and_code_dead(client: Any, seen: list[str], account: str = EMAIL) -> None:
    response = send(client, account)
    assert response.status_code == 503
    assert response.get_json() == {"code": 10014, "message": response.get_json()["message"], "data": {}}
    assert len(seen) == 1
    # The undelivered code cannot be used: neither checked nor spent.
    check = client.post("/api/auth/check_code", json={"account": account, "code": seen[0]}).get_json()
    assert check["code"] == 10008
    assert register(client, account, seen[0]).get_json()["code"] == 10008


def test_dead_smtp_port_is_10014_and_the_code_is_unusable(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    seen = replace_sender(app, MAIL_PORT=free_port())
    assert_10014_and_code_dead(client, seen)
    assert seen[0] not in caplog.text and SMTP_PASSWORD not in caplog.text
    # The failed send gave its limits back: a retry is not "too frequent".
    assert send(client, EMAIL).get_json()["code"] == 10014


def test_wrong_smtp_password_is_10014(app, client, mailbox, caplog):
    caplog.set_level(logging.DEBUG)
    seen = replace_sender(app, MAIL_PASSWORD="wrong-password-77")
    assert_10014_and_code_dead(client, seen)
    assert mailbox.messages == [] and "wrong-password-77" not in caplog.text


def test_non_ascii_smtp_password_is_10014_not_500(app, client, mailbox, caplog):
    # smtplib encodes AUTH as ASCII: a non-ASCII password raised UnicodeEncodeError,
    # which escaped as a 500 and left the undelivered code alive.
    caplog.set_level(logging.DEBUG)
    seen = replace_sender(app, MAIL_PASSWORD="pässwört-77")
    assert_10014_and_code_dead(client, seen)
    assert mailbox.messages == [] and "pässwört-77" not in caplog.text


def test_refused_recipient_is_10014(app, client, mailbox):
    seen = replace_sender(app)
    assert_10014_and_code_dead(client, seen, "nobody@example.com")
    assert mailbox.messages == []


def test_silent_smtp_server_times_out_as_10014(app, client):
    with socket.socket() as silent:  # accepts connections (backlog) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        seen = replace_sender(app, MAIL_PORT=silent.getsockname()[1], MAIL_TIMEOUT=0.3)
        assert_10014_and_code_dead(client, seen)


def test_smtp_without_login_when_no_username(app, client, mailbox):
    open_server = start(mailbox)
    try:
        replace_sender(app, MAIL_PORT=open_server.port, MAIL_USERNAME="", MAIL_PASSWORD="")
        assert send(client, EMAIL).status_code == 200
        assert mailbox.code_for(EMAIL)
    finally:
        open_server.stop()


# --- configuration and the console sender ------------------------------------------------------


def test_smtp_config_is_checked_at_start():
    with pytest.raises(RuntimeError, match="MAIL_FROM"):
        SmtpSender({"MAIL_BACKEND": "smtp", "MAIL_HOST": "localhost"})
    with pytest.raises(RuntimeError, match="only one"):
        SmtpSender({"MAIL_FROM": SENDER, "MAIL_USE_TLS": True, "MAIL_USE_SSL": True})


def test_unknown_mail_backend_refuses_to_start(tmp_path):
    with pytest.raises(RuntimeError, match="MAIL_BACKEND"):
        create_app({"ENV_NAME": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "MAIL_BACKEND": "pigeon"})


def test_mail_keys_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LINGO_MAIL_BACKEND", "smtp")
    monkeypatch.setenv("LINGO_MAIL_HOST", "smtp.example.com")
    monkeypatch.setenv("LINGO_MAIL_PORT", "587")
    monkeypatch.setenv("LINGO_MAIL_USE_TLS", "true")
    monkeypatch.setenv("LINGO_MAIL_USERNAME", "12345")
    monkeypatch.setenv("LINGO_MAIL_PASSWORD", "123456")  # JSON-parsed as a number: must still work
    monkeypatch.setenv("LINGO_MAIL_FROM", "no-reply@example.com")
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite"})
    sender = app.extensions["lingo.email"]
    assert isinstance(sender, SmtpSender)
    assert (sender.host, sender.port, sender.use_tls, sender.username) == ("smtp.example.com", 587, True, "12345")
    assert "123456" not in repr(sender)


@pytest.mark.parametrize("shows", [False, True])
def test_console_sender_shows_the_code_only_in_development(caplog, shows):
    caplog.set_level(logging.DEBUG, logger="lingo.email")
    ConsoleEmailSender({"CONSOLE_SHOWS_CODE": shows}).send_code(EMAIL, "493817", 300)
    assert [r.name for r in caplog.records] == ["lingo.email"]
    assert ("493817" in caplog.text) is shows
    assert EMAIL not in caplog.text  # the address is masked


def test_development_config_uses_the_console_email_sender(tmp_path, monkeypatch):
    monkeypatch.delenv("LINGO_MAIL_BACKEND", raising=False)
    app = create_app({"ENV_NAME": "development", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite"})
    sender = app.extensions["lingo.email"]
    assert isinstance(sender, ConsoleEmailSender) and sender.shows_code is True
