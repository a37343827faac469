"""Push messages: device bindings, sending (through a push sender), each user's push log.

A push to everyone (scope 0) is visible to every user; a push to listed users
(scope 1) only to them. Each user can hide pushes from their own log
(:class:`~lingo.models.PushHidden`) without touching anyone else's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, bindparam, exists, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from ..errors import DomainError, Error, invalid
from ..extensions import db
from ..models import PushBinding, PushHidden, PushMessage, PushRecipient, User
from ..models.content import PUSH_FAILED, PUSH_PENDING, PUSH_SCOPE_ALL, PUSH_SCOPE_USERS, PUSH_SENT
from ..senders.push import PushNotice, PushSender
from ..settings import current as settings
from . import audit, pages
from .content import stamps
from .feedback import lock_user
from .pages import Listing, Page, PageRequest
from .transaction import use_case

log = logging.getLogger("lingo.push")

CLIENT_TYPES = ("android", "ios")

_bindings = cast(Table, PushBinding.__table__)
_messages = cast(Table, PushMessage.__table__)
_recipients = cast(Table, PushRecipient.__table__)
_hidden = cast(Table, PushHidden.__table__)
_users = cast(Table, User.__table__)

#: The binding of the device ``:client_id`` (whoever it is bound to).
BINDING_OF_CLIENT = select(PushBinding).where(PushBinding.client_id == bindparam("client_id"))
#: The binding of the device ``:client_id`` when it is bound to the user ``:user_id``.
OWN_BINDING = select(PushBinding).where(
    PushBinding.client_id == bindparam("client_id"), PushBinding.user_id == bindparam("user_id")
)
#: How many devices other than ``:client_id`` the user ``:user_id`` has bound.
OTHER_BINDINGS_COUNT = select(func.count(_bindings.c.id)).where(
    _bindings.c.user_id == bindparam("user_id"), _bindings.c.client_id != bindparam("client_id")
)

#: A push is in the log of the user ``:user_id`` when addressed to them (to everyone,
#: or to a list naming them) and not hidden by them.
VISIBLE_TO = (
    or_(
        _messages.c.push_scope == PUSH_SCOPE_ALL,
        exists().where(_recipients.c.push_id == _messages.c.id, _recipients.c.user_id == bindparam("user_id")),
    ),
    ~exists().where(_hidden.c.push_id == _messages.c.id, _hidden.c.user_id == bindparam("user_id")),
)
#: The push log of the user ``:user_id``, newest first.
VISIBLE_PUSHES: Listing[PushMessage] = Listing(select(PushMessage).where(*VISIBLE_TO).order_by(PushMessage.id.desc()))
#: The push ``:push_id`` when it is in the log of the user ``:user_id``.
VISIBLE_PUSH = select(PushMessage).where(PushMessage.id == bindparam("push_id"), *VISIBLE_TO)
#: How many pushes the log of the user ``:user_id`` has.
VISIBLE_COUNT = select(func.count(_messages.c.id)).where(*VISIBLE_TO)
#: How many pushes the log of the user ``:user_id`` has that are not among ``:seen_ids``.
UNSEEN_COUNT = VISIBLE_COUNT.where(_messages.c.id.not_in(bindparam("seen_ids", expanding=True)))
#: The ids of the pushes in the log of the user ``:user_id``.
VISIBLE_IDS = select(_messages.c.id).where(*VISIBLE_TO)
#: The ids among ``:push_ids`` of pushes in the log of the user ``:user_id``.
VISIBLE_IDS_AMONG = VISIBLE_IDS.where(_messages.c.id.in_(bindparam("push_ids", expanding=True)))
#: Hide the push ``:push_id`` from the log of the user ``:user_id``.
HIDE = insert(_hidden)
#: Every push managers sent, newest first.
ALL_PUSHES: Listing[PushMessage] = Listing(select(PushMessage).order_by(PushMessage.id.desc()))

#: The ids among ``:user_ids`` of users who exist.
EXISTING_USER_IDS = select(_users.c.id).where(_users.c.id.in_(bindparam("user_ids", expanding=True)))
#: The devices that receive a push to everyone: switched on, of active users.
RECEIVING_CLIENT_IDS = (
    select(_bindings.c.client_id)
    .join(_users, _bindings.c.user_id == _users.c.id)
    .where(_bindings.c.switch.is_(True), _users.c.is_active.is_(True))
    .order_by(_bindings.c.id)
)
#: The devices of the users ``:user_ids`` that receive a push to them.
RECEIVING_CLIENT_IDS_OF = RECEIVING_CLIENT_IDS.where(_bindings.c.user_id.in_(bindparam("user_ids", expanding=True)))


def _binding_cap_reached(user_id: int, client_id: str, limit: int) -> bool:
    """Whether the user already has ``limit`` devices bound other than ``client_id`` (locks the user's row).

    ``client_id`` itself is not counted: when a parallel request of the same
    user bound it a moment ago, binding it again stays allowed.
    """
    lock_user(user_id)
    bound = db.session.execute(OTHER_BINDINGS_COUNT, {"user_id": user_id, "client_id": client_id}).scalar_one()
    return bool(bound >= limit)


@use_case
def bind(user_id: int, client_id: str, client_type: str, *, now: datetime) -> PushBinding:
    """Bind a device's push ``client_id`` to the user; a bound id moves to this user. Commits.

    A user has at most ``PUSH_BINDINGS_PER_USER_MAX`` bindings; binding an id
    they already have again is always allowed.

    :raises DomainError: ``FORBIDDEN`` (platform 10003, 403: "this user may
        not do this"; the platform table has no quota code, and a 429 would
        invite retries that cannot succeed) when one more binding would pass
        the cap.
    """
    binding = db.session.execute(BINDING_OF_CLIENT, {"client_id": client_id}).scalar_one_or_none()
    if binding is None or binding.user_id != user_id:
        limit = settings().push_bindings_per_user_max
        if _binding_cap_reached(user_id, client_id, limit):
            raise DomainError(Error.FORBIDDEN, f"绑定的设备数量已达上限 ({limit} 台)")
    if binding is None:
        binding = PushBinding(user_id=user_id, client_id=client_id, client_type=client_type, switch=True, **stamps(now))
        try:
            with db.session.begin_nested():
                db.session.add(binding)
        except IntegrityError:
            # bound by a concurrent request a moment ago: take it over below
            binding = db.session.execute(BINDING_OF_CLIENT, {"client_id": client_id}).scalar_one()
    if (binding.user_id, binding.client_type) != (user_id, client_type):
        binding.user_id, binding.client_type, binding.updated_at = user_id, client_type, now
    return binding


def own_binding(user_id: int, client_id: str) -> PushBinding:
    """The user's binding of ``client_id``.

    :raises DomainError: ``NOT_FOUND`` when unbound or bound to someone else.
    """
    binding = db.session.execute(OWN_BINDING, {"client_id": client_id, "user_id": user_id}).scalar_one_or_none()
    if binding is None:
        raise DomainError(Error.NOT_FOUND)
    return binding


@use_case
def set_switch(user_id: int, client_id: str, on: bool, *, now: datetime) -> PushBinding:
    """Turn pushes on or off for one of the user's devices. Commits.

    :raises DomainError: ``NOT_FOUND``.
    """
    binding = own_binding(user_id, client_id)
    binding.switch, binding.updated_at = on, now
    return binding


def visible_page(user_id: int, request: PageRequest) -> Page[PushMessage]:
    """A page of the user's push log: pushes addressed to them that they have not hidden, newest first."""
    return pages.fetch(VISIBLE_PUSHES, request, {"user_id": user_id})


def visible_push(user_id: int, push_id: int) -> PushMessage:
    """One push of the user's log.

    :raises DomainError: ``NOT_FOUND`` when it does not exist, was not addressed to them or was hidden.
    """
    push = db.session.execute(VISIBLE_PUSH, {"push_id": push_id, "user_id": user_id}).scalar_one_or_none()
    if push is None:
        raise DomainError(Error.NOT_FOUND)
    return push


def unseen_count(user_id: int, seen_ids: Iterable[int]) -> int:
    """How many pushes of the user's log are not among ``seen_ids``."""
    seen = sorted(set(seen_ids))
    if seen:
        return db.session.execute(UNSEEN_COUNT, {"user_id": user_id, "seen_ids": seen}).scalar_one()
    return db.session.execute(VISIBLE_COUNT, {"user_id": user_id}).scalar_one()


@use_case
def hide(user_id: int, push_ids: Iterable[int] | None) -> int:
    """Hide pushes from the user's own log: those of ``push_ids``, or all when ``None``. Commits.

    Ids that are not in the user's log are ignored.

    :returns: how many pushes were hidden.
    """
    if push_ids is None:
        found = db.session.execute(VISIBLE_IDS, {"user_id": user_id})
    else:
        wanted = sorted(set(push_ids))
        if not wanted:
            return 0
        found = db.session.execute(VISIBLE_IDS_AMONG, {"user_id": user_id, "push_ids": wanted})
    hidden = 0
    for push_id in found.scalars().all():
        try:
            with db.session.begin_nested():
                db.session.execute(HIDE, {"push_id": push_id, "user_id": user_id})
            hidden += 1
        except IntegrityError:
            pass  # hidden by a concurrent request
    return hidden


def all_page(request: PageRequest) -> Page[PushMessage]:
    """A page of every push managers sent, newest first."""
    return pages.fetch(ALL_PUSHES, request)


def _client_ids(push: PushMessage, user_ids: list[int]) -> list[str]:
    """The devices ``push`` goes to: every receiving device, or those of ``user_ids`` for a scope-1 push."""
    if push.push_scope == PUSH_SCOPE_USERS:
        found = db.session.execute(RECEIVING_CLIENT_IDS_OF, {"user_ids": user_ids})
    else:
        found = db.session.execute(RECEIVING_CLIENT_IDS)
    return list(found.scalars().all())


@use_case
def send(
    manager_id: int, title: str, body: str, user_ids: list[int] | None, *, now: datetime, sender: PushSender
) -> PushMessage:
    """Record a push in the log and hand it to ``sender``.

    ``user_ids`` ``None`` pushes to everyone (scope 0); a list pushes to those
    users (scope 1). ``push_status`` becomes 1 when the sender took it, 2 when
    it failed (the failure is logged, never raised). Commits (the push once
    recorded, then its status).

    :raises DomainError: ``INVALID_INPUT`` when a listed user does not exist.
    """
    targets = sorted(set(user_ids)) if user_ids is not None else []
    if targets:
        found = set(db.session.execute(EXISTING_USER_IDS, {"user_ids": targets}).scalars())
        missing = [uid for uid in targets if uid not in found]
        if missing:
            raise invalid(["body", "user_ids"], f"No such users: {missing[:10]}")
    push = PushMessage(
        push_title=title,
        push_body=body,
        push_scope=PUSH_SCOPE_USERS if user_ids is not None else PUSH_SCOPE_ALL,
        manager_id=manager_id,
        push_status=PUSH_PENDING,
        **stamps(now),
    )
    db.session.add(push)
    db.session.flush()
    db.session.add_all(PushRecipient(push_id=push.id, user_id=uid) for uid in targets)
    audit.record(
        "admin.push_sent",
        now=now,
        actor_id=manager_id,
        details={"push_id": push.id, "recipients": "everyone" if user_ids is None else len(targets)},
    )
    db.session.commit()  # the push is on record before the sender runs

    notice = PushNotice(
        push_id=push.id,
        title=title,
        body=body,
        audience="users" if push.push_scope == PUSH_SCOPE_USERS else "all",
        user_ids=targets,
        client_ids=_client_ids(push, targets),
        sent_at=now.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"),
    )
    try:
        sender.send(notice)
        push.push_status = PUSH_SENT
    except Exception as exc:  # noqa: BLE001  a provider failure is recorded on the push, never a 500
        log.warning("push %s not delivered: %s", push.id, exc)
        push.push_status = PUSH_FAILED
    push.updated_at = now
    return push
