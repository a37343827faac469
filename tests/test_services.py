"""The account use cases called directly, without HTTP: sign-in by code, registration
with a password, tokens (authenticate, rotate, revoke) and codes (send, verify).

Each test runs inside an app context on the ``app`` fixture's database, with its
fake clock and its in-memory SMS outbox (the sender codes go to). The outcomes
are what a route turns into an answer: a ``SignIn`` whose tokens authenticate,
or a ``DomainError`` naming its ``Error``.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from helpers.clock import FakeClock
from lingo.dialects.modern import DIALECT as MODERN
from lingo.errors import DomainError, Error
from lingo.extensions import db
from lingo.models import User, VerificationCode
from lingo.services import accounts, codes, sessions
from lingo.services.identity import Account, modern_phone
from lingo.services.sessions import TokenPolicy

PHONE = "13800138000"
IP = "203.0.113.7"
PASSWORD = "service-Pass-1"


@pytest.fixture
def policy(app: Flask) -> Iterator[TokenPolicy]:
    """The modern dialect's token policy, as its routes get it; the test body runs inside the app context."""
    with app.app_context():
        yield MODERN.token_policy()


@pytest.fixture
def account() -> Account:
    return modern_phone(PHONE)


@pytest.fixture
def send(outbox: Any, clock: FakeClock) -> Callable[[Account], str]:
    """``send(account)``: a new code through :func:`codes.send`, read from the outbox."""

    def send_code(account: Account) -> str:
        clock.advance(61)  # past the resend gap
        codes.send(account, ip=IP, now=clock(), sender=outbox)
        code = outbox.last_code(account.key)
        assert code is not None
        return code

    return send_code


def error_of(call: Callable[[], Any]) -> Error:
    """The ``Error`` of the :class:`DomainError` that ``call()`` raises."""
    with pytest.raises(DomainError) as info:
        call()
    return info.value.error


def test_code_sign_in_registers_once_and_its_tokens_authenticate(policy, account, send, clock):
    first = accounts.login_with_code(account, send(account), policy, ip=IP, now=clock())
    assert first.is_new_user
    user, session_id = sessions.authenticate(first.tokens.access_token, clock())
    assert (user.id, user.e164, session_id) == (first.user.id, "+86" + PHONE, first.tokens.session_id)

    again = accounts.login_with_code(account, send(account), policy, ip=IP, now=clock())
    assert not again.is_new_user and again.user.id == first.user.id
    assert again.tokens.session_id != first.tokens.session_id
    assert sessions.authenticate(again.tokens.access_token, clock())[1] == again.tokens.session_id


def test_a_code_signs_in_once(policy, account, send, clock):
    code = send(account)
    accounts.login_with_code(account, code, policy, ip=IP, now=clock())
    assert error_of(lambda: accounts.login_with_code(account, code, policy, ip=IP, now=clock())) is Error.INVALID_CODE


def test_a_wrong_code_is_invalid_and_counts_an_attempt(policy, account, send, clock):
    code = send(account)
    wrong = "000000" if code != "000000" else "111111"
    assert error_of(lambda: accounts.login_with_code(account, wrong, policy, ip=IP, now=clock())) is Error.INVALID_CODE
    db.session.rollback()  # the count stands: it was committed with the failure
    attempts = db.session.execute(
        select(VerificationCode.attempts).where(VerificationCode.account == account.key)
    ).scalar_one()
    assert attempts == 1
    assert accounts.find_user(account) is None
    assert accounts.login_with_code(account, code, policy, ip=IP, now=clock()).is_new_user  # the right one still works


def test_after_the_last_attempt_the_right_code_is_refused(app, policy, account, send, clock):
    code = send(account)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(app.config["CODE_MAX_ATTEMPTS"]):
        assert error_of(lambda: accounts.login_with_code(account, wrong, policy, ip=IP, now=clock())) is Error.INVALID_CODE
    assert error_of(lambda: accounts.login_with_code(account, code, policy, ip=IP, now=clock())) is Error.INVALID_CODE
    assert accounts.find_user(account) is None


def test_a_new_code_kills_the_previous_one(policy, account, send, clock):
    first = send(account)
    second = send(account)
    if first == second:
        pytest.skip("the two random codes are equal (one chance in a million)")
    check = lambda code: codes.verify(account, code, use=codes.LOGIN, ip=IP, now=clock(), consume=False)  # noqa: E731
    assert error_of(lambda: check(first)) is Error.INVALID_CODE
    check(second)  # no error: the live code is the newest


def test_rotate_kills_the_old_pair_and_reusing_its_refresh_token_revokes_the_session(policy, account, send, clock):
    signed = accounts.login_with_code(account, send(account), policy, ip=IP, now=clock())
    old = signed.tokens
    new = sessions.rotate(old.refresh_token, policy, now=clock())
    assert new.session_id == old.session_id and new.refresh_token != old.refresh_token
    assert error_of(lambda: sessions.authenticate(old.access_token, clock())) is Error.INVALID_TOKEN
    assert sessions.authenticate(new.access_token, clock())[1] == old.session_id

    clock.advance(11)  # past the ≤ 10 s grace for a lost answer (docs/contract.md §4)
    assert error_of(lambda: sessions.rotate(old.refresh_token, policy, now=clock())) is Error.INVALID_TOKEN
    assert error_of(lambda: sessions.authenticate(new.access_token, clock())) is Error.INVALID_TOKEN
    assert error_of(lambda: sessions.rotate(new.refresh_token, policy, now=clock())) is Error.INVALID_TOKEN


def test_revoking_a_session_kills_its_tokens_and_no_other_sessions(policy, account, send, clock):
    signed_in = accounts.login_with_code(account, send(account), policy, ip=IP, now=clock())
    phone = signed_in.tokens
    tablet = accounts.login_with_code(account, send(account), policy, ip=IP, now=clock()).tokens
    sessions.revoke_session(phone.session_id, user_id=signed_in.user.id, now=clock())
    assert error_of(lambda: sessions.authenticate(phone.access_token, clock())) is Error.INVALID_TOKEN
    assert error_of(lambda: sessions.rotate(phone.refresh_token, policy, now=clock())) is Error.INVALID_TOKEN
    assert sessions.authenticate(tablet.access_token, clock())[1] == tablet.session_id


def test_a_disabled_user_cannot_sign_in_and_their_tokens_stop(policy, account, send, clock):
    signed = accounts.login_with_code(account, send(account), policy, ip=IP, now=clock())
    user = accounts.find_user(account)
    assert user is not None
    user.is_active = False
    db.session.commit()
    code = send(account)
    assert error_of(lambda: accounts.login_with_code(account, code, policy, ip=IP, now=clock())) is Error.ACCOUNT_DISABLED
    assert error_of(lambda: sessions.authenticate(signed.tokens.access_token, clock())) is Error.ACCOUNT_DISABLED
    assert error_of(lambda: accounts.check_password(account, PASSWORD, now=clock())) is Error.ACCOUNT_DISABLED


def test_register_with_a_password_then_check_it(policy, account, send, clock):
    signed = accounts.register_and_sign_in(account, send(account), PASSWORD, policy, ip=IP, now=clock())
    assert signed.is_new_user
    assert sessions.authenticate(signed.tokens.access_token, clock())[0].id == signed.user.id
    assert accounts.check_password(account, PASSWORD, now=clock()).id == signed.user.id
    assert error_of(lambda: accounts.check_password(account, "not-" + PASSWORD, now=clock())) is Error.WRONG_PASSWORD
    code = send(account)
    assert error_of(
        lambda: accounts.register_and_sign_in(account, code, PASSWORD, policy, ip=IP, now=clock())
    ) is Error.ALREADY_REGISTERED


def test_check_password_tells_unknown_and_passwordless_accounts_apart(policy, account, send, clock):
    assert error_of(lambda: accounts.check_password(account, PASSWORD, now=clock())) is Error.NOT_REGISTERED
    accounts.login_with_code(account, send(account), policy, ip=IP, now=clock())  # registered by code only
    assert error_of(lambda: accounts.check_password(account, PASSWORD, now=clock())) is Error.PASSWORD_NOT_SET


def test_a_read_inside_a_unit_of_work_sees_its_uncommitted_writes(policy, account, clock):
    # lingo.reads: a read runs through the session once the session holds a connection
    # (flushed first, as the session's own statements are); on a pool connection of its
    # own it would miss the row (MySQL) or wait for the write lock the session holds (SQLite).
    assert not accounts.is_registered(account)
    accounts._new_user(account, now=clock(), password_hash=None, nickname="unit")  # flushed in a savepoint
    assert accounts.is_registered(account)
    db.session.rollback()
    assert not accounts.is_registered(account)
    other = modern_phone("13900139000")
    db.session.execute(select(VerificationCode.id).limit(1))  # the session now holds a connection
    db.session.add(User(user_id="u" * 32, openid="o" * 40, area=other.area, phone=other.national, e164=other.key,
                        username=other.national, nickname="", avatar="", gender=2, address="", role=0, is_active=True,
                        permissions=[], device_identifier="", app_id="", created_at=clock(), updated_at=clock()))
    assert accounts.is_registered(other)  # not flushed yet: the read flushes it
    db.session.rollback()
    assert not accounts.is_registered(other)
