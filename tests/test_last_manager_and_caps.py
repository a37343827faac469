"""One active manager always remains; per-user caps on feedback and push bindings (issue 14, item 12)."""
from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from helpers.concurrency import race
from helpers.staff import MANAGER_PHONE, data
from lingo.extensions import db
from lingo.models import User
from lingo.models.user import ROLE_MANAGER

ALICE = "13800000002"
BOB = "13800000003"
OTHER_MANAGER = "13900000002"
LAST_MANAGER = "至少要保留一个启用的管理员"
#: What a client sees when a cap is reached: 10003 "not allowed" (platform has no quota code).
CAP_REACHED = {"code": 10003, "message": "该用户没有访问或操作权限", "data": {}}


def active_managers(app: Any) -> int:
    with app.app_context():
        return db.session.execute(
            select(func.count(User.id)).where(User.role == ROLE_MANAGER, User.is_active.is_(True))
        ).scalar_one()


def cli(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["manager", *args])


# --- the last active manager -----------------------------------------------------------------------


def test_cli_cannot_disable_or_demote_the_last_active_manager(app, staff):
    manager = staff.make_manager()
    for args in (["disable", MANAGER_PHONE], ["set-role", MANAGER_PHONE, "0"]):
        result = cli(app, *args)
        assert result.exit_code != 0 and LAST_MANAGER in result.output, result.output
    assert active_managers(app) == 1
    assert data(staff.admin("GET", "/faqs", manager), 200)["total"] == 0  # still a working manager


def test_cli_can_disable_or_demote_a_manager_while_another_stays_active(app, staff):
    staff.make_manager()
    second = staff.make_manager(OTHER_MANAGER)
    assert cli(app, "disable", OTHER_MANAGER).exit_code == 0
    assert staff.admin("GET", "/faqs", second).status_code == 401  # disabling revoked its sessions
    # the disabled one does not count: the first is now the last active manager
    assert LAST_MANAGER in cli(app, "set-role", MANAGER_PHONE, "0").output
    assert cli(app, "set-role", OTHER_MANAGER, "0").exit_code == 0  # demoting a disabled manager is fine
    assert cli(app, "set-role", OTHER_MANAGER, "1").exit_code == 0
    assert cli(app, "enable", OTHER_MANAGER).exit_code == 0
    assert cli(app, "set-role", MANAGER_PHONE, "0").exit_code == 0
    assert LAST_MANAGER in cli(app, "disable", OTHER_MANAGER).output
    assert active_managers(app) == 1


def test_plain_users_are_disabled_as_before_when_one_manager_is_left(app, staff):
    manager = staff.make_manager()
    staff.user(ALICE)
    assert cli(app, "disable", ALICE).exit_code == 0
    alice = staff.user_id(manager, ALICE)
    assert data(staff.admin("PUT", f"/users/{alice}/active", manager, json={"is_active": True}), 200)["is_active"]
    assert data(staff.admin("PUT", f"/users/{alice}/active", manager, json={"is_active": False}), 200)[
        "is_active"] is False


def test_admin_api_keeps_one_active_manager(app, staff):
    first = staff.make_manager()
    second = staff.make_manager(OTHER_MANAGER)
    second_id = staff.user_id(first, OTHER_MANAGER)
    assert data(staff.admin("PUT", f"/users/{second_id}/active", first, json={"is_active": False}), 200)[
        "is_active"] is False
    first_id = staff.user_id(first, MANAGER_PHONE)
    response = staff.admin("PUT", f"/users/{first_id}/active", first, json={"is_active": False})
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"  # never oneself
    assert staff.admin("GET", "/faqs", second).status_code == 401
    assert active_managers(app) == 1


def test_two_managers_disabling_each_other_at_once_leave_one_active(app, staff):
    # Each request waits at its commit for the other (up to a second): a read-then-write
    # check lets both pass on MariaDB (each still sees the other active) and no manager
    # is left. With the active managers' rows locked, the second request waits for the
    # first to commit, then sees that it would leave nobody. (SQLite serialises the two
    # requests at their first statement either way.)
    tokens = [staff.make_manager(), staff.make_manager(OTHER_MANAGER)]
    ids = [staff.user_id(tokens[0], MANAGER_PHONE), staff.user_id(tokens[0], OTHER_MANAGER)]
    at_commit = threading.Barrier(2)
    racing = threading.local()

    def meet_before_commit(_session: Session) -> None:
        if getattr(racing, "pending", False):
            racing.pending = False
            try:
                at_commit.wait(timeout=1)
            except threading.BrokenBarrierError:
                pass  # the other request is blocked on a lock (or refused): go on alone

    def disable_the_other(i: int) -> int:
        racing.pending = True
        response = app.test_client().put(f"/api/admin/users/{ids[1 - i]}/active", json={"is_active": False},
                                         headers=tokens[i])
        return response.status_code

    event.listen(Session, "before_commit", meet_before_commit)
    try:
        statuses = race(2, disable_the_other)
    finally:
        event.remove(Session, "before_commit", meet_before_commit)
    assert statuses.count(200) == 1, statuses
    assert active_managers(app) == 1


# --- feedback per user ----------------------------------------------------------------------------------


@pytest.mark.parametrize("app_overrides", [{"FEEDBACK_PER_USER_MAX": 3}])
def test_feedback_cap_per_user(staff):
    alice, bob = staff.user(ALICE), staff.user(BOB)
    filed = [data(staff.api("POST", "/api/feedback", alice, json={"feedback_content": f"n{i}"})) for i in range(3)]
    response = staff.api("POST", "/api/feedback", alice, json={"feedback_content": "one too many"})
    assert response.status_code == 403 and response.get_json() == CAP_REACHED
    assert data(staff.api("GET", "/api/feedback", alice))["total"] == 3
    data(staff.api("POST", "/api/feedback", bob, json={"feedback_content": "bob's own cap"}))
    data(staff.api("DELETE", f"/api/feedback/{filed[0]['id']}", alice))  # deleting one frees a place
    data(staff.api("POST", "/api/feedback", alice, json={"feedback_content": "again"}))
    assert staff.api("POST", "/api/feedback", alice, json={"feedback_content": "x"}).status_code == 403


@pytest.mark.parametrize("app_overrides", [{"FEEDBACK_PER_USER_MAX": 3}])
def test_feedback_cap_holds_under_parallel_requests(app, staff):
    alice = staff.user(ALICE)

    def file(i: int) -> int:
        response = app.test_client().post("/api/feedback", json={"feedback_content": f"n{i}"}, headers=alice)
        return response.status_code

    statuses = race(8, file)
    assert sorted(statuses) == [200] * 3 + [403] * 5, statuses
    assert data(staff.api("GET", "/api/feedback", alice))["total"] == 3


def test_feedback_cap_default_is_configured(app):
    assert app.config["FEEDBACK_PER_USER_MAX"] == 100
    assert app.config["PUSH_BINDINGS_PER_USER_MAX"] == 50


# --- push bindings per user -----------------------------------------------------------------------------


def bind(staff: Any, headers: dict[str, str], client_id: str, client_type: str = "android") -> Any:
    return staff.api("POST", "/api/push/bind", headers, json={"client_id": client_id, "client_type": client_type})


@pytest.mark.parametrize("app_overrides", [{"PUSH_BINDINGS_PER_USER_MAX": 2}])
def test_push_binding_cap_per_user(staff):
    alice, bob = staff.user(ALICE), staff.user(BOB)
    data(bind(staff, alice, "a1"))
    data(bind(staff, alice, "a2"))
    assert data(bind(staff, alice, "a1", "ios"))["client_type"] == "ios"  # one of hers again: allowed
    response = bind(staff, alice, "a3")
    assert response.status_code == 403 and response.get_json() == CAP_REACHED
    assert staff.api("GET", "/api/push/switch/a3", alice).status_code == 404
    # A device that moves to Bob frees Alice's place ...
    data(bind(staff, bob, "a1"))
    data(bind(staff, alice, "a3"))
    # ... and counts against Bob's cap: at it, a device of Alice's cannot move to him.
    data(bind(staff, bob, "b1"))
    assert bind(staff, bob, "a3").status_code == 403
    assert data(staff.api("GET", "/api/push/switch/a3", alice))["client_id"] == "a3"


@pytest.mark.parametrize("app_overrides", [{"PUSH_BINDINGS_PER_USER_MAX": 2}])
def test_push_binding_cap_holds_under_parallel_requests(app, staff):
    alice = staff.user(ALICE)

    def bind_one(i: int) -> int:
        response = app.test_client().post("/api/push/bind", json={"client_id": f"c{i}", "client_type": "ios"},
                                          headers=alice)
        return response.status_code

    statuses = race(6, bind_one)
    assert sorted(statuses) == [200] * 2 + [403] * 4, statuses


@pytest.mark.parametrize("app_overrides", [{"PUSH_BINDINGS_PER_USER_MAX": 2}])
def test_one_device_bound_in_parallel_by_its_user_is_never_refused(app, staff):
    # The device being bound is not counted against the cap: a parallel request that bound
    # it a moment ago does not make its own retry "one too many".
    alice = staff.user(ALICE)
    data(bind(staff, alice, "a1"))

    def bind_a2(_: int) -> int:
        response = app.test_client().post("/api/push/bind", json={"client_id": "a2", "client_type": "ios"},
                                          headers=alice)
        return response.status_code

    assert race(4, bind_a2) == [200] * 4
    assert bind(staff, alice, "a3").status_code == 403
