"""Verification codes (docs/contract.md §3): send with limits, verify single-use with attempt limits."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache

import phonenumbers
from sqlalchemy import bindparam, insert, select, update

from ..database import changed
from ..errors import DomainError, Error, invalid
from ..extensions import db
from ..models import VerificationCode
from ..models.code import PURPOSE_ANY, PURPOSE_REGISTER, PURPOSE_RESET
from ..ops import metrics
from ..senders.sms import SCENE_ANY, SCENE_RESET, CodeSender, mask
from ..settings import current as settings
from . import audit, throttles
from .identity import PHONE, Account, email_account, modern_phone
from .transaction import use_case

log = logging.getLogger("lingo.codes")

#: What a code is being used for, and which purposes of code may serve it.
LOGIN = "login"
REGISTER = "register"
RESET = "reset"
ACCEPTS = {
    LOGIN: {PURPOSE_ANY},
    REGISTER: {PURPOSE_ANY, PURPOSE_REGISTER},
    RESET: {PURPOSE_ANY, PURPOSE_RESET},
}
#: A TEST_OTP code never expires.
NEVER = datetime(9999, 12, 31)

# Built once (Core, bound parameters): send_code is the busiest write, and
# building these per call cost more than running them.
#: Kill the account's live code (sending a new code kills the previous one).
_KILL_ACTIVE = (
    update(VerificationCode)
    .where(VerificationCode.account == bindparam("account_key"), VerificationCode.active.is_(True))
    .values(active=False)
)
#: Store a new code.
_INSERT_CODE = insert(VerificationCode)
#: Kill one code (its delivery failed).
_KILL_ONE = update(VerificationCode).where(VerificationCode.id == bindparam("code_id")).values(active=False)
#: The account's live code: the newest active one.
_LIVE_CODE = (
    select(VerificationCode)
    .where(VerificationCode.account == bindparam("account_key"), VerificationCode.active.is_(True))
    .order_by(VerificationCode.id.desc())
    .limit(1)
)
#: Count a wrong guess against the code.
_COUNT_ATTEMPT = (
    update(VerificationCode)
    .where(VerificationCode.id == bindparam("code_id"))
    .values(attempts=VerificationCode.attempts + 1)
    .execution_options(synchronize_session=False)
)
#: Use the code up, if it is still usable: of two racing requests exactly one changes the row.
_CONSUME = (
    update(VerificationCode)
    .where(
        VerificationCode.id == bindparam("code_id"),
        VerificationCode.active.is_(True),
        VerificationCode.used_at.is_(None),
        VerificationCode.attempts < bindparam("max_attempts"),
    )
    .values(used_at=bindparam("now"), active=False)
    .execution_options(synchronize_session=False)
)


def code_hash(account_key: str, code: str) -> str:
    """HMAC-SHA256 of ``account:code`` under the secret key, hex."""
    key = settings().secret_key.encode()
    return hmac.new(key, f"{account_key}:{code}".encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=8)
def _parse_test_otp(spec: str) -> dict[str, str]:
    fixed: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        who, sep, code = item.partition("=")
        if not sep or not code.strip().isdigit():
            raise RuntimeError(f"TEST_OTP entry {item!r} is not 'account=digits'")
        who = who.strip()
        account = email_account(who) if "@" in who else modern_phone(who)
        fixed[account.key] = code.strip()
    return fixed


def check_test_otp(spec: str) -> None:
    """Check a ``TEST_OTP`` setting at start (``account=digits`` items, valid accounts).

    :raises RuntimeError: naming ``TEST_OTP`` when it is malformed.
    """
    try:
        _parse_test_otp(str(spec or ""))
    except ValueError as exc:
        raise RuntimeError(f"TEST_OTP has an invalid account: {exc}") from exc


def warn_test_otp(spec: str) -> None:
    """Log each ``TEST_OTP`` account once, at WARNING: fixed codes are allowed (app-store
    review happens against production) but must never go unnoticed. The code is not logged."""
    for key in _parse_test_otp(str(spec or "")):
        log.warning("TEST_OTP: account %s has a fixed code that never expires", mask(key))


def test_otp(account: Account) -> str | None:
    """The fixed review code configured for ``account`` in ``TEST_OTP``, if any."""
    spec = settings().test_otp
    return _parse_test_otp(spec).get(account.key) if spec else None


Limit = tuple[str, int, int, Error]


def check_region(account: Account) -> None:
    """Refuse a phone outside ``SMS_ALLOWED_REGIONS`` (ISO codes, ``*`` for all); emails pass.

    Premium-rate and far-away numbers are where SMS pumping makes money: they
    are refused before any limit is taken or message sent.

    :raises DomainError: ``INVALID_INPUT``.
    """
    if account.kind != PHONE:
        return
    allowed = allowed_regions(settings().sms_allowed_regions)
    if "*" in allowed:
        return
    if region_of(account) not in allowed:
        raise invalid(["body", "phone"], "Value error, codes are not sent to numbers of this region")


def region_of(account: Account) -> str | None:
    """The ISO region of a phone account: from its calling code alone when only one region
    has it (+86 is China), else by parsing the number (+1 is shared by two dozen regions)."""
    regions = phonenumbers.region_codes_for_country_code(int(account.area or 0))
    if len(regions) == 1:
        return str(regions[0])
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(account.key, None))
    except phonenumbers.NumberParseException:
        return None


@lru_cache(maxsize=8)
def _regions(spec: str) -> frozenset[str]:
    return frozenset(part.strip().upper() for part in spec.split(",") if part.strip())


def allowed_regions(setting: object) -> frozenset[str]:
    """``SMS_ALLOWED_REGIONS`` as a set: a list, or a comma-separated string (``"CN,HK"``)."""
    if isinstance(setting, (list, tuple, set, frozenset)):
        setting = ",".join(str(item) for item in setting)
    return _regions(str(setting or ""))


def _limit_keys(account: Account, ip: str) -> list[Limit]:
    """The send limits: the account's two first, the client address's (IPv6: its /64) last."""
    cfg = settings()
    return [
        (f"send-gap:{account.key}", 1, cfg.code_resend_seconds, Error.SEND_TOO_FREQUENT),
        (f"send-day:{account.key}", cfg.code_sends_per_day, 86400, Error.SEND_TOO_FREQUENT),
        (f"send-ip:{throttles.client_group(ip)}", cfg.code_sends_per_ip_hour, 3600, Error.RATE_LIMITED),
    ]


def _take(limit: Limit, now: datetime) -> None:
    """Take one unit of ``limit``.

    :raises DomainError: the limit's error when it is used up (the use case
        rolls back: nothing is stored or sent).
    """
    key, most, window, error = limit
    if not throttles.take(key, most, window, now):
        raise DomainError(error)


@use_case
def send(
    account: Account,
    *,
    ip: str,
    now: datetime,
    sender: CodeSender,
    purpose: str = PURPOSE_ANY,
    precondition: Callable[[], None] | None = None,
) -> str:
    """Issue a new code for ``account`` and deliver it (:func:`_send`); audited. Commits.

    A delivered code is recorded as ``code.sent``; a refusal (region, limits,
    the precondition, the provider) as ``code.refused`` with the error's key,
    kept even though the use case rolls back.

    :returns: the code (for ``RETURN_CODE`` only; never log it).
    :raises DomainError: see :func:`_send`.
    """
    try:
        code = _send(account, ip=ip, now=now, sender=sender, purpose=purpose, precondition=precondition)
    except DomainError as exc:
        audit.record(
            "code.refused",
            now=now,
            account=account.key,
            details={"reason": exc.error.key, "purpose": purpose},
            failure=True,
        )
        raise
    # _send committed the code and the limits: the event is the last write, on its own.
    audit.record("code.sent", now=now, account=account.key, details={"purpose": purpose}, last=True)
    return code


def _send(
    account: Account,
    *,
    ip: str,
    now: datetime,
    sender: CodeSender,
    purpose: str = PURPOSE_ANY,
    precondition: Callable[[], None] | None = None,
) -> str:
    """Issue a new code for ``account`` and deliver it; the previous code dies.

    A phone outside ``SMS_ALLOWED_REGIONS`` is refused first. Limits (one per
    ``CODE_RESEND_SECONDS`` and per day for the account, per hour for the
    client address) are taken in the same transaction as the new code; when
    one is used up nothing is stored or sent. ``precondition`` (e.g. "this
    phone is registered") runs only once every limit is taken; when it fails
    the limits stay taken, so its answer cannot be asked for more often than a
    code can be sent. The sender is told the
    scene: ``reset`` for reset-only codes (v4 ``expect=1``), ``any`` otherwise.
    When delivery fails the new code is killed and the limits are given back,
    except after a provider time-out: the message may still arrive, so the
    code stays live and the limits stay taken (a slow provider must not turn
    into unlimited sends). Commits the new code before calling the provider.

    :returns: the code.
    :raises DomainError: ``INVALID_INPUT`` (region), ``SEND_TOO_FREQUENT``,
        ``RATE_LIMITED``, the precondition's or the sender's error.
    """
    check_region(account)
    limits = _limit_keys(account, ip)
    *account_limits, ip_limit = limits
    for limit in account_limits:
        _take(limit, now)
    if precondition is not None:
        _take(ip_limit, now)
        try:
            precondition()
        except DomainError as exc:
            exc.persist = True  # the limits stay taken
            raise
    fixed = test_otp(account)
    code = fixed or f"{secrets.randbelow(10**6):06d}"
    ttl = settings().code_ttl
    connection = db.session.connection()
    connection.execute(_KILL_ACTIVE, {"account_key": account.key})
    inserted = connection.execute(
        _INSERT_CODE,
        {
            "account": account.key,
            "purpose": purpose,
            "code_hash": code_hash(account.key, code),
            "attempts": 0,
            "active": True,
            "expires_at": NEVER if fixed else now + timedelta(seconds=ttl),
            "used_at": None,
            "ip": ip[:45],
            "created_at": now,
        },
    )
    assert inserted.inserted_primary_key is not None  # always set by an INSERT
    code_id = inserted.inserted_primary_key[0]
    if precondition is None:
        # Every send from one address updates the same counter row, whose lock is
        # held until the commit: taken last, sends from one IP queue only briefly.
        _take(ip_limit, now)
    db.session.commit()
    if fixed:
        return code  # review accounts: nothing is sent
    try:
        delivery = sender.send_code(account.key, code, ttl, SCENE_RESET if purpose == PURPOSE_RESET else SCENE_ANY)
    except DomainError as exc:  # a provider's refusal is counted where the sender logs it
        if getattr(exc, "maybe_delivered", False):
            raise  # the code may be on its way: it stays live and the limits stay taken
        db.session.execute(_KILL_ONE, {"code_id": code_id})
        for key, *_ in limits:
            throttles.give_back(key)
        exc.persist = True  # the code killed, the limits given back
        raise
    metrics.code_delivered(getattr(delivery, "provider", ""))
    return code


def _failure_limits(account: Account, ip: str) -> list[tuple[str, int]]:
    """The hourly failure caps: this account from this address (IPv6: its /64), and the account overall."""
    cfg = settings()
    return [
        (f"code-fail:{account.key}:{throttles.client_group(ip)}", cfg.code_failures_per_hour),
        (f"code-fail:{account.key}", cfg.code_failures_per_account_hour),
    ]


def verify(account: Account, code: object, *, use: str, ip: str, now: datetime, consume: bool = True) -> None:
    """Check ``code`` for ``account``; when ``consume``, use it up (single use).

    Failures are capped per hour for this account from this client address
    (``CODE_FAILURES_PER_HOUR``) and for the account from everywhere
    (``CODE_FAILURES_PER_ACCOUNT_HOUR``, higher): strangers who fail from
    their addresses stop themselves, not the owner. The check and the count
    are one step: a unit of both caps is taken *before* the code is looked at
    (the counter rows stay locked until this transaction ends, so parallel
    guesses queue) and given back when the code is right.

    The consuming update is conditional and runs in the caller's transaction:
    of two requests racing with one code exactly one succeeds, and the use
    case's commit makes it final. A wrong code also counts against the code
    (5 attempts); its error carries ``persist`` so the use case commits the count.

    :raises DomainError: ``INVALID_CODE`` when wrong, expired, used, killed,
        of the wrong purpose, or when a failure cap is used up (then nothing
        is counted: that request was not a guess).
    """
    max_attempts = settings().code_max_attempts
    caps = _failure_limits(account, ip)
    for key, most in caps:
        if not throttles.take(key, most, 3600, now):
            _failed(account, now, "failure_cap")
            raise DomainError(Error.INVALID_CODE)
    row = db.session.execute(_LIVE_CODE, {"account_key": account.key}).scalar_one_or_none()
    live = (
        row is not None
        and row.purpose in ACCEPTS[use]
        and row.expires_at > now
        and row.attempts < max_attempts
        and row.used_at is None
    )
    right = (
        live
        and row is not None
        and isinstance(code, str)
        and hmac.compare_digest(row.code_hash, code_hash(account.key, code))
    )
    if right:
        assert row is not None  # right implies live implies a row
        for key, _ in caps:
            throttles.give_back(key)
        if not consume:
            return
        if changed(_CONSUME, {"code_id": row.id, "max_attempts": max_attempts, "now": now}) == 1:
            audit.record("code.verified", now=now, account=account.key, details={"use": use})
            return
        _failed(account, now, "used_meanwhile")
        raise DomainError(Error.INVALID_CODE)  # another request used it a moment ago
    if live:
        assert row is not None  # live implies a row
        db.session.execute(_COUNT_ATTEMPT, {"code_id": row.id})
    _failed(account, now, "wrong" if live else "no_live_code")
    raise DomainError(Error.INVALID_CODE, persist=True)


def _failed(account: Account, now: datetime, reason: str) -> None:
    """Audit a refused code (kept when the use case rolls back)."""
    audit.record("code.failed", now=now, account=account.key, details={"reason": reason}, failure=True)


@use_case
def check(account: Account, code: object, *, use: str, ip: str, now: datetime) -> None:
    """Check ``code`` for ``account`` without using it (platform ``check_code``). Commits.

    :raises DomainError: see :func:`verify`.
    """
    verify(account, code, use=use, ip=ip, now=now, consume=False)
    audit.record("code.verified", now=now, account=account.key, details={"use": use, "consumed": False})
