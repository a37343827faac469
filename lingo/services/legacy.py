"""Use cases only the legacy v4 dialect has: expectation checks and device tracking.

``sendsms`` and ``isregister`` say whether they expect the phone to be
registered; ``register`` and ``login`` remember the device the app runs on and
report when it changed.
"""

from __future__ import annotations

from datetime import datetime

from ..errors import DomainError, Error
from ..models import User
from ..models.code import PURPOSE_REGISTER, PURPOSE_RESET
from ..senders.sms import CodeSender
from . import accounts, codes
from .accounts import SignIn
from .identity import Account
from .sessions import TokenPolicy
from .transaction import use_case


def check_expectation(account: Account, *, registered: bool) -> None:
    """Check that ``account`` is (``registered``) or is not registered.

    :raises DomainError: ``NOT_REGISTERED`` or ``ALREADY_REGISTERED`` when the
        expectation does not hold.
    """
    exists = accounts.is_registered(account)
    if registered and not exists:
        raise DomainError(Error.NOT_REGISTERED)
    if not registered and exists:
        raise DomainError(Error.ALREADY_REGISTERED)


def send_code_expecting(account: Account, *, registered: bool, ip: str, now: datetime, sender: CodeSender) -> str:
    """Send a code that serves registration only (``registered`` false) or the reset only.

    :returns: the code (never log it).
    :raises DomainError: see :func:`check_expectation` and :func:`lingo.services.codes.send`.
    """
    purpose = PURPOSE_RESET if registered else PURPOSE_REGISTER
    # The expectation is checked only once the send limits are taken, and they
    # stay taken when it fails: the answer says whether the phone is
    # registered, so it must cost what a send costs.
    return codes.send(
        account,
        ip=ip,
        now=now,
        sender=sender,
        purpose=purpose,
        precondition=lambda: check_expectation(account, registered=registered),
    )


def remember_device(user: User, device_identifier: str, *, now: datetime) -> bool:
    """Remember the device ``user`` signs in on (caller commits).

    :returns: whether it differs from a device remembered before. A user with
        no remembered device (first v4 sign-in) has not changed device.
    """
    changed = bool(user.device_identifier) and user.device_identifier != device_identifier
    if user.device_identifier != device_identifier:
        user.device_identifier = device_identifier
        user.updated_at = now
    return changed


@use_case
def register_on_device(
    account: Account,
    code: str,
    password: str,
    *,
    name: str,
    device_identifier: str,
    policy: TokenPolicy,
    ip: str,
    now: datetime,
) -> SignIn:
    """Register with a registration code and sign in on a device. Commits.

    :raises DomainError: ``ALREADY_REGISTERED`` or ``INVALID_CODE``.
    """
    user = accounts.register(account, code, password, ip=ip, now=now, nickname=name, use=codes.REGISTER)
    remember_device(user, device_identifier, now=now)
    return accounts.signed_in(user, policy, method="code", ip=ip, now=now, is_new_user=True)


@use_case
def login_on_device(
    account: Account,
    password: str,
    *,
    device_identifier: str,
    policy: TokenPolicy,
    ip: str,
    now: datetime,
) -> tuple[SignIn, bool]:
    """Password sign-in on a device. Commits.

    :returns: the sign-in and whether the device changed (see :func:`remember_device`).
    :raises DomainError: ``NOT_REGISTERED``, ``ACCOUNT_DISABLED``,
        ``PASSWORD_NOT_SET`` or ``WRONG_PASSWORD``.
    """
    user = accounts.check_password(account, password, now=now)
    changed = remember_device(user, device_identifier, now=now)
    return accounts.signed_in(user, policy, method="password", ip=ip, now=now), changed
