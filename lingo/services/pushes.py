"""Push messages: device bindings, sending (through a push sender), each user's push log.

A push to everyone (scope 0) is visible to every user; a push to listed users
(scope 1) only to them. Each user can hide pushes from their own log
(:class:`~lingo.models.PushHidden`) without touching anyone else's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from ..errors import DomainError, Error, invalid
from ..extensions import db
from ..models import PushBinding, PushHidden, PushMessage, PushRecipient, User
from ..models.content import PUSH_FAILED, PUSH_PENDING, PUSH_SCOPE_ALL, PUSH_SCOPE_USERS, PUSH_SENT
from ..senders.push import PushNotice, PushSender
from .content import stamps
from .feedback import lock_user

log = logging.getLogger("lingo.push")

CLIENT_TYPES = ("android", "ios")


def _check_binding_cap(user_id: int, client_id: str, limit: int) -> None:
    """Refuse one more binding when the user already has ``limit`` other devices bound.

    ``client_id`` itself is not counted: when a parallel request of the same
    user bound it a moment ago, binding it again stays allowed.

    :raises DomainError: ``FORBIDDEN`` (platform 10003, 403: "this user may
        not do this"; the platform table has no quota code, and a 429 would
        invite retries that cannot succeed).
    """
    lock_user(user_id)
    bound = db.session.execute(
        select(func.count(PushBinding.id)).where(PushBinding.user_id == user_id, PushBinding.client_id != client_id)
    ).scalar_one()
    if bound >= limit:
        db.session.rollback()
        raise DomainError(Error.FORBIDDEN, f"绑定的设备数量已达上限 ({limit} 台)")


def bind(user_id: int, client_id: str, client_type: str, *, now: datetime, limit: int) -> PushBinding:
    """Bind a device's push ``client_id`` to the user; a bound id moves to this user. Commits.

    A user has at most ``limit`` bindings; binding an id they already have
    again is always allowed.

    :raises DomainError: ``FORBIDDEN`` when one more binding would pass ``limit``.
    """
    binding = db.session.execute(select(PushBinding).where(PushBinding.client_id == client_id)).scalar_one_or_none()
    if binding is None or binding.user_id != user_id:
        _check_binding_cap(user_id, client_id, limit)
    if binding is None:
        binding = PushBinding(user_id=user_id, client_id=client_id, client_type=client_type, switch=True, **stamps(now))
        try:
            with db.session.begin_nested():
                db.session.add(binding)
        except IntegrityError:
            # bound by a concurrent request a moment ago: take it over below
            binding = db.session.execute(select(PushBinding).where(PushBinding.client_id == client_id)).scalar_one()
    if (binding.user_id, binding.client_type) != (user_id, client_type):
        binding.user_id, binding.client_type, binding.updated_at = user_id, client_type, now
    db.session.commit()
    return binding


def own_binding(user_id: int, client_id: str) -> PushBinding:
    """The user's binding of ``client_id``.

    :raises DomainError: ``NOT_FOUND`` when unbound or bound to someone else.
    """
    binding = db.session.execute(
        select(PushBinding).where(PushBinding.client_id == client_id, PushBinding.user_id == user_id)
    ).scalar_one_or_none()
    if binding is None:
        raise DomainError(Error.NOT_FOUND)
    return binding


def set_switch(user_id: int, client_id: str, on: bool, *, now: datetime) -> PushBinding:
    """Turn pushes on or off for one of the user's devices. Commits.

    :raises DomainError: ``NOT_FOUND``.
    """
    binding = own_binding(user_id, client_id)
    binding.switch, binding.updated_at = on, now
    db.session.commit()
    return binding


def _addressed_to(user_id: int) -> ColumnElement[bool]:
    recipient = exists().where(PushRecipient.push_id == PushMessage.id, PushRecipient.user_id == user_id)
    return or_(PushMessage.push_scope == PUSH_SCOPE_ALL, recipient)


def _visible_to(user_id: int) -> list[ColumnElement[bool]]:
    hidden = exists().where(PushHidden.push_id == PushMessage.id, PushHidden.user_id == user_id)
    return [_addressed_to(user_id), ~hidden]


def visible_query(user_id: int) -> Select:
    """The user's push log: pushes addressed to them that they have not hidden, newest first."""
    return select(PushMessage).where(*_visible_to(user_id)).order_by(PushMessage.id.desc())


def visible_push(user_id: int, push_id: int) -> PushMessage:
    """One push of the user's log.

    :raises DomainError: ``NOT_FOUND`` when it does not exist, was not addressed to them or was hidden.
    """
    push = db.session.execute(
        select(PushMessage).where(PushMessage.id == push_id, *_visible_to(user_id))
    ).scalar_one_or_none()
    if push is None:
        raise DomainError(Error.NOT_FOUND)
    return push


def unseen_count(user_id: int, seen_ids: Iterable[int]) -> int:
    """How many pushes of the user's log are not among ``seen_ids``."""
    query = select(func.count(PushMessage.id)).where(*_visible_to(user_id))
    seen = sorted(set(seen_ids))
    if seen:
        query = query.where(PushMessage.id.not_in(seen))
    return db.session.execute(query).scalar_one()


def hide(user_id: int, push_ids: Iterable[int] | None) -> int:
    """Hide pushes from the user's own log: those of ``push_ids``, or all when ``None``. Commits.

    Ids that are not in the user's log are ignored.

    :returns: how many pushes were hidden.
    """
    query = select(PushMessage.id).where(*_visible_to(user_id))
    if push_ids is not None:
        wanted = sorted(set(push_ids))
        if not wanted:
            return 0
        query = query.where(PushMessage.id.in_(wanted))
    hidden = 0
    for push_id in db.session.execute(query).scalars().all():
        try:
            with db.session.begin_nested():
                db.session.add(PushHidden(push_id=push_id, user_id=user_id))
            hidden += 1
        except IntegrityError:
            pass  # hidden by a concurrent request
    db.session.commit()
    return hidden


def all_pushes_query() -> Select:
    """Every push managers sent, newest first."""
    return select(PushMessage).order_by(PushMessage.id.desc())


def _client_ids(push: PushMessage, user_ids: list[int]) -> list[str]:
    query = (
        select(PushBinding.client_id)
        .join(User, PushBinding.user_id == User.id)
        .where(PushBinding.switch.is_(True), User.is_active.is_(True))
        .order_by(PushBinding.id)
    )
    if push.push_scope == PUSH_SCOPE_USERS:
        query = query.where(PushBinding.user_id.in_(user_ids))
    return list(db.session.execute(query).scalars().all())


def send(
    manager_id: int, title: str, body: str, user_ids: list[int] | None, *, now: datetime, sender: PushSender
) -> PushMessage:
    """Record a push in the log and hand it to ``sender``.

    ``user_ids`` ``None`` pushes to everyone (scope 0); a list pushes to those
    users (scope 1). ``push_status`` becomes 1 when the sender took it, 2 when
    it failed (the failure is logged, never raised). Commits.

    :raises DomainError: ``INVALID_INPUT`` when a listed user does not exist.
    """
    targets = sorted(set(user_ids)) if user_ids is not None else []
    if targets:
        found = set(db.session.execute(select(User.id).where(User.id.in_(targets))).scalars())
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
    db.session.commit()

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
    db.session.commit()
    return push
