"""The console's dashboard: the last :data:`DAYS` days (UTC) in numbers.

Each series is one grouped query over a bounded time range (``:since``),
every statement built once below: sign-ups per day (``users.created_at``),
sign-ins per day by dialect (``sign_in.succeeded``), codes per day by outcome
(``code.sent``, ``code.refused`` by its ``details.reason``, read with
SQLAlchemy's JSON path accessor, which is ``JSON_EXTRACT`` on SQLite and
``JSON_UNQUOTE(JSON_EXTRACT(...))`` on MySQL/MariaDB), and how much feedback
is open (unanswered and not closed). Days are grouped with SQL ``DATE()``
(the same on both); the rows are filled into one list per series, a zero for
a day without any.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select

from ..extensions import db
from ..models import AuditEvent, Feedback, User
from ..models.content import FEEDBACK_OPEN

#: How many days the dashboard shows (today included).
DAYS = 30
#: The outcome of a code that was sent.
SENT = "sent"

_users, _events, _feedbacks = (cast(Table, model.__table__) for model in (User, AuditEvent, Feedback))
_user_day = func.date(_users.c.created_at)
_event_day = func.date(_events.c.at)
_reason = AuditEvent.details["reason"].as_string()

#: Sign-ups per day since ``:since``.
SIGN_UPS = select(_user_day, func.count()).where(_users.c.created_at >= bindparam("since")).group_by(_user_day)
#: Successful sign-ins per day and dialect since ``:since``.
SIGN_INS = (
    select(_event_day, _events.c.dialect, func.count())
    .where(_events.c.event == "sign_in.succeeded", _events.c.at >= bindparam("since"))
    .group_by(_event_day, _events.c.dialect)
)
#: Codes sent and refused (by reason) per day since ``:since``.
CODES = (
    select(_event_day, _events.c.event, _reason, func.count())
    .where(_events.c.event.in_(("code.sent", "code.refused")), _events.c.at >= bindparam("since"))
    .group_by(_event_day, _events.c.event, _reason)
)
#: How many feedback items no manager has answered nor closed.
OPEN_FEEDBACK = select(func.count(_feedbacks.c.id)).where(
    _feedbacks.c.feedback_status == FEEDBACK_OPEN, _feedbacks.c.closed_at.is_(None)
)


@dataclass(frozen=True)
class Dashboard:
    """Per-day series over :attr:`days` (oldest first), each list as long as ``days``."""

    days: list[date]
    sign_ups: list[int]
    #: dialect → sign-ins per day
    sign_ins: dict[str, list[int]]
    #: ``sent`` or the refusal's reason (``send_too_frequent`` …) → codes per day
    codes: dict[str, list[int]]
    open_feedback: int


def _day(value: Any) -> date:
    """A ``DATE()`` result: a ``date`` (MySQL/MariaDB) or ``'YYYY-MM-DD'`` (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def summary(*, now: datetime, days: int = DAYS) -> Dashboard:
    """The dashboard for the ``days`` days up to ``now`` (naive UTC), today included."""
    first = now.date() - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time())
    all_days = [first + timedelta(days=n) for n in range(days)]
    index = {day: n for n, day in enumerate(all_days)}

    def series() -> list[int]:
        return [0] * days

    sign_ups = series()
    for day, count in db.session.execute(SIGN_UPS, {"since": since}):
        if _day(day) in index:
            sign_ups[index[_day(day)]] += count
    sign_ins: defaultdict[str, list[int]] = defaultdict(series)
    for day, dialect, count in db.session.execute(SIGN_INS, {"since": since}):
        if _day(day) in index:
            sign_ins[dialect or "?"][index[_day(day)]] += count
    codes: defaultdict[str, list[int]] = defaultdict(series)
    for day, event, reason, count in db.session.execute(CODES, {"since": since}):
        if _day(day) in index:
            codes[SENT if event == "code.sent" else (reason or "?")][index[_day(day)]] += count
    open_feedback = db.session.execute(OPEN_FEEDBACK).scalar_one()
    return Dashboard(
        days=all_days,
        sign_ups=sign_ups,
        sign_ins=dict(sorted(sign_ins.items())),
        codes=dict(sorted(codes.items(), key=lambda item: (item[0] != SENT, item[0]))),
        open_feedback=open_feedback,
    )
