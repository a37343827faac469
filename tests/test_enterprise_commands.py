"""``flask enterprise ...``: the records the commands write are what v4 ``login`` returns."""
from __future__ import annotations

import pytest

from helpers.v4 import V4Api

PHONE = "13126939916"


@pytest.fixture
def v4(app, client, outbox, clock) -> V4Api:
    return V4Api(app, client, outbox, clock)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _ok(runner, *args: str) -> str:
    result = runner.invoke(args=["enterprise", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _create(runner, name: str) -> int:
    """``enterprise create NAME`` → the new id (ids are not reset between tests on MySQL)."""
    word, eid, echoed = _ok(runner, "create", name).split()
    assert word == "enterprise" and echoed == name
    return int(eid)


def _apply(runner, phone: str, enterprise_id: int) -> int:
    word, aid, state = _ok(runner, "apply", phone, str(enterprise_id)).split()
    assert word == "application" and state == "pending"
    return int(aid)


def test_approved_application_sets_the_enterprise(v4, runner):
    v4.register(PHONE)
    _create(runner, "apple")
    pear = _create(runner, "pear")
    application = _apply(runner, PHONE, pear)
    assert _ok(runner, "approve", str(application)) == f"application {application} approved\n"

    data = v4.login(PHONE)["data"]

    assert data["enterprise_id"] == str(pear)
    assert data["apply"] == {"apply_eid": pear, "apply_name": "pear", "apply_state": "1"}


def test_refused_application_leaves_no_enterprise(v4, runner):
    v4.register(PHONE)
    apple = _create(runner, "apple")
    application = _apply(runner, PHONE, apple)
    assert _ok(runner, "refuse", str(application)) == f"application {application} refused\n"

    data = v4.login(PHONE)["data"]

    assert data["enterprise_id"] == "-1"
    assert data["apply"] == {"apply_eid": apple, "apply_name": "apple", "apply_state": "-1"}


def test_latest_application_is_reported(v4, runner):
    v4.register(PHONE)
    apple, pear = _create(runner, "apple"), _create(runner, "pear")
    _ok(runner, "approve", str(_apply(runner, PHONE, apple)))
    _apply(runner, PHONE, pear)

    data = v4.login(PHONE)["data"]

    assert data["enterprise_id"] == str(apple)
    assert data["apply"] == {"apply_eid": pear, "apply_name": "pear", "apply_state": "0"}


def test_permissions_are_reported(v4, runner):
    v4.register(PHONE)
    assert _ok(runner, "permissions", PHONE, "report", "admin", "report") == "permissions report,admin\n"
    assert v4.login(PHONE)["data"]["permissions"] == ["report", "admin"]
    assert _ok(runner, "permissions", PHONE) == "permissions (none)\n"
    assert v4.login(PHONE)["data"]["permissions"] == []


def test_commands_refuse_bad_requests(v4, runner):
    v4.register(PHONE)
    apple = _create(runner, "apple")
    for args, expected in (
        (["apply", "13800138000", str(apple)], "not_registered"),
        (["apply", PHONE, str(apple + 1000)], "not_found"),
        (["apply", "not-a-phone", str(apple)], "Invalid value"),
        (["approve", "987654321"], "not_found"),
        (["permissions", "13800138000", "x"], "not_registered"),
        (["create", "   "], "invalid_input"),
    ):
        result = runner.invoke(args=["enterprise", *args])
        assert result.exit_code != 0 and expected in result.output, (args, result.output)
    application = _apply(runner, PHONE, apple)
    _ok(runner, "refuse", str(application))
    # a decided application cannot be decided again
    result = runner.invoke(args=["enterprise", "approve", str(application)])
    assert result.exit_code == 1 and f"no pending application {application}" in result.output
    assert v4.login(PHONE)["data"]["enterprise_id"] == "-1"
