"""Refresh on flaky networks (issue 14, item 10; docs/contract.md §4): the ≤ 10 s grace for the
immediate parent.

A refresh answer lost on a mobile network must not log the user out: retrying the
parent refresh token within ``REFRESH_REUSE_GRACE`` seconds of its rotation gets a
working pair and kills the pair of the lost answer. Outside the grace, with an
older ancestor, or a second time, presenting a rotated token is reuse and revokes
the session as before. Parallel refreshes of one token leave exactly one live pair.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from helpers.clock import FakeClock
from helpers.concurrency import race
from helpers.modern import ModernApi
from lingo.extensions import db
from lingo.models import Session, SessionToken
from lingo.models.session import REFRESH
from lingo.services.sessions import token_hash

PHONE = "13700137001"


@dataclass(frozen=True)
class Pair:
    """One answered token pair."""

    access: str
    refresh: str


@dataclass(frozen=True)
class Dialect:
    """How one dialect signs in and refreshes."""

    name: str
    path: str
    field: str
    sign_in: Callable[[FlaskClient, ModernApi, Any], Pair]
    pair: Callable[[dict[str, Any]], Pair]


def _modern_sign_in(client: FlaskClient, modern: ModernApi, platform: Any) -> Pair:
    data = modern.tokens(PHONE)
    return Pair(data["access_token"], data["refresh_token"])


def _platform_sign_in(client: FlaskClient, modern: ModernApi, platform: Any) -> Pair:
    data = platform.tokens(PHONE)
    return Pair(data["access_token"], data["refresh_token"])


def _its_sign_in(client: FlaskClient, modern: ModernApi, platform: Any) -> Pair:
    response = client.post("/image-to-sound/api/login", json={"mobile": PHONE, "rawCode": modern.code(PHONE)})
    assert response.status_code == 200, response.get_json()
    return _its_pair(response.get_json())


def _snake_pair(body: dict[str, Any]) -> Pair:
    return Pair(body["data"]["access_token"], body["data"]["refresh_token"])


def _its_pair(body: dict[str, Any]) -> Pair:
    data = body["data"]
    return Pair(data["accessTokenRes"]["accessToken"], data["refreshTokenRes"]["refreshToken"])


MODERN = Dialect("modern", "/api/auth/refresh", "refresh_token", _modern_sign_in, _snake_pair)
PLATFORM = Dialect("platform", "/api/auth/refresh_token", "refresh_token", _platform_sign_in, _snake_pair)
ITS = Dialect("image-to-sound", "/image-to-sound/api/refresh", "refreshToken", _its_sign_in, _its_pair)
DIALECTS = [pytest.param(d, id=d.name) for d in (MODERN, PLATFORM, ITS)]


class Refresher:
    """Refreshes and checks tokens through one dialect's endpoints."""

    def __init__(self, app: Flask, client: FlaskClient, dialect: Dialect) -> None:
        self.app = app
        self.client = client
        self.dialect = dialect

    def refresh(self, refresh_token: str, client: FlaskClient | None = None) -> tuple[int, Pair | None]:
        """POST the dialect's refresh; the status and, on success, the new pair."""
        response = (client or self.client).post(self.dialect.path, json={self.dialect.field: refresh_token})
        body = response.get_json()
        assert body is not None, response.data
        return response.status_code, self.dialect.pair(body) if response.status_code == 200 else None

    def new_pair(self, refresh_token: str) -> Pair:
        """Refresh, which must succeed."""
        status, pair = self.refresh(refresh_token)
        assert status == 200 and pair is not None, status
        return pair

    def access_works(self, access_token: str) -> bool:
        """Whether ``access_token`` authenticates (read-only: nothing is rotated or revoked)."""
        response = self.client.get("/api/personal/info", headers={"Authorization": f"Bearer {access_token}"})
        assert response.status_code in (200, 401), response.get_json()
        return response.status_code == 200

    def session_revoked(self) -> bool:
        """Whether the one session of this test is revoked."""
        with self.app.app_context():
            return db.session.execute(select(Session.revoked_at)).scalar_one() is not None

    def live_refresh_hashes(self) -> set[str]:
        """Hashes of refresh tokens that are unspent, unexpired and in an unrevoked session."""
        with self.app.app_context():
            now = self.app.extensions["lingo.clock"]()
            return set(db.session.execute(
                select(SessionToken.token_hash)
                .join(Session, SessionToken.session_id == Session.id)
                .where(SessionToken.kind == REFRESH, SessionToken.used_at.is_(None),
                       SessionToken.expires_at > now, Session.revoked_at.is_(None))
            ).scalars())


@pytest.fixture
def signed_in(request: pytest.FixtureRequest, app: Flask, client: FlaskClient, modern: ModernApi,
              platform_api: Any) -> tuple[Refresher, Pair]:  # noqa: F811
    """A refresher for the parametrized dialect and the pair of a fresh sign-in."""
    dialect: Dialect = request.param
    return Refresher(app, client, dialect), dialect.sign_in(client, modern, platform_api)


def test_grace_defaults_to_ten_seconds(app: Flask) -> None:
    assert app.config["REFRESH_REUSE_GRACE"] == 10


@pytest.mark.parametrize("signed_in", DIALECTS, indirect=True)
def test_retry_within_the_grace_gets_a_working_pair_and_kills_the_lost_one(signed_in, clock: FakeClock) -> None:
    api, first = signed_in
    lost = api.new_pair(first.refresh)  # the answer a mobile network lost
    clock.advance(10)  # the grace is inclusive: ≤ 10 s after the rotation
    retried = api.new_pair(first.refresh)
    assert len({retried.access, retried.refresh, lost.access, lost.refresh}) == 4
    # the lost pair is dead, the retried one works, and nothing was revoked
    assert not api.access_works(lost.access)
    assert not api.access_works(first.access)
    assert api.access_works(retried.access)
    assert api.live_refresh_hashes() == {token_hash(retried.refresh)}
    assert not api.session_revoked()
    # ... and goes on rotating as usual
    after = api.new_pair(retried.refresh)
    assert api.access_works(after.access) and not api.access_works(retried.access)


@pytest.mark.parametrize("signed_in", DIALECTS, indirect=True)
def test_retry_after_the_grace_revokes_the_session(signed_in, clock: FakeClock) -> None:
    api, first = signed_in
    rotated = api.new_pair(first.refresh)
    clock.advance(11)
    assert api.refresh(first.refresh)[0] == 401
    assert api.session_revoked()
    assert not api.access_works(rotated.access)
    assert api.refresh(rotated.refresh)[0] == 401


@pytest.mark.parametrize("signed_in", DIALECTS, indirect=True)
def test_second_retry_after_a_grace_retry_is_reuse(signed_in, clock: FakeClock) -> None:
    api, first = signed_in
    api.new_pair(first.refresh)
    clock.advance(2)
    retried = api.new_pair(first.refresh)
    clock.advance(2)  # later than a burst of duplicates, still inside the grace
    assert api.refresh(first.refresh)[0] == 401
    assert api.session_revoked()
    assert not api.access_works(retried.access)
    assert api.refresh(retried.refresh)[0] == 401


@pytest.mark.parametrize("signed_in", [DIALECTS[0]], indirect=True)
def test_an_older_ancestor_within_the_grace_is_reuse(signed_in, clock: FakeClock) -> None:
    api, first = signed_in
    second = api.new_pair(first.refresh)
    third = api.new_pair(second.refresh)  # the client got the answer and refreshed again
    clock.advance(1)
    assert api.refresh(first.refresh)[0] == 401
    assert api.session_revoked()
    assert not api.access_works(third.access)
    assert api.refresh(third.refresh)[0] == 401


@pytest.mark.parametrize("signed_in", [DIALECTS[0]], indirect=True)
def test_the_lost_answers_refresh_token_presented_later_is_reuse(signed_in, clock: FakeClock) -> None:
    # Whoever holds the killed token did get the "lost" answer: someone else retried.
    api, first = signed_in
    lost = api.new_pair(first.refresh)
    clock.advance(3)
    retried = api.new_pair(first.refresh)
    clock.advance(3)
    assert api.refresh(lost.refresh)[0] == 401
    assert api.session_revoked()
    assert not api.access_works(retried.access)


@pytest.mark.parametrize("app_overrides", [{"REFRESH_REUSE_GRACE": 0}])
@pytest.mark.parametrize("signed_in", [DIALECTS[0]], indirect=True)
def test_a_zero_grace_turns_it_off(signed_in, app_overrides) -> None:
    api, first = signed_in
    rotated = api.new_pair(first.refresh)
    assert api.refresh(first.refresh)[0] == 401
    assert api.session_revoked()
    assert not api.access_works(rotated.access)


@pytest.mark.parametrize("app_overrides", [{"REFRESH_REUSE_GRACE": 60}])
@pytest.mark.parametrize("signed_in", [DIALECTS[0]], indirect=True)
def test_the_grace_never_exceeds_the_contracts_ten_seconds(signed_in, app_overrides, clock: FakeClock) -> None:
    api, first = signed_in
    api.new_pair(first.refresh)
    clock.advance(11)
    assert api.refresh(first.refresh)[0] == 401
    assert api.session_revoked()


def _assert_exactly_one_live_pair(api: Refresher, pairs: list[Pair], presented: str) -> None:
    """Of the answered ``pairs`` exactly one works (access and refresh); every other token fails."""
    assert not api.session_revoked()
    live = [p for p in pairs if api.access_works(p.access)]
    assert len(live) == 1, (len(pairs), len(live))
    assert api.live_refresh_hashes() == {token_hash(live[0].refresh)}
    # The live refresh token works (checked first: presenting a dead one may revoke the session).
    after = api.new_pair(live[0].refresh)
    assert api.access_works(after.access)
    for token in [p.refresh for p in pairs if p is not live[0]] + [presented]:
        assert api.refresh(token)[0] == 401


@pytest.mark.parametrize("signed_in", DIALECTS, indirect=True)
def test_twelve_parallel_refreshes_of_one_token_leave_exactly_one_live_pair(signed_in) -> None:
    api, first = signed_in

    def refresh(_: int) -> tuple[int, Pair | None]:
        # Each thread its own client, so its own request and app context.
        return api.refresh(first.refresh, api.app.test_client())

    results = race(12, refresh)
    assert all(status in (200, 401) for status, _ in results), results
    pairs = [pair for status, pair in results if status == 200 and pair is not None]
    assert pairs, results
    assert not api.access_works(first.access)
    _assert_exactly_one_live_pair(api, pairs, first.refresh)


@pytest.mark.parametrize("signed_in", [DIALECTS[0]], indirect=True)
def test_a_burst_of_parallel_retries_after_a_lost_answer_leaves_exactly_one_live_pair(
        signed_in, clock: FakeClock) -> None:
    api, first = signed_in
    lost = api.new_pair(first.refresh)
    clock.advance(4)

    def retry(_: int) -> tuple[int, Pair | None]:
        return api.refresh(first.refresh, api.app.test_client())

    results = race(12, retry)
    assert all(status in (200, 401) for status, _ in results), results
    pairs = [pair for status, pair in results if status == 200 and pair is not None]
    assert len(pairs) == 1, results  # one grace retry; the duplicates are refused
    assert not api.access_works(lost.access)
    _assert_exactly_one_live_pair(api, pairs + [lost], first.refresh)
