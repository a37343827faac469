"""``flask enterprise ...``: the records the commands write are what v4 ``login`` returns."""
from __future__ import annotations

import pytest

from v4_api import V4Api

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


def test_approved_application_sets_the_enterprise(v4, runner):
    v4.register(PHONE)
    assert _ok(runner, "create", "apple") == "enterprise 1 apple\n"
    assert _ok(runner, "create", "pear") == "enterprise 2 pear\n"
    assert _ok(runner, "apply", PHONE, "2") == "application 1 pending\n"
    assert _ok(runner, "approve", "1") == "application 1 approved\n"

    data = v4.login(PHONE)["data"]

    assert data["enterprise_id"] == "2"
    assert data["apply"] == {"apply_eid": 2, "apply_name": "pear", "apply_state": "1"}


def test_refused_application_leaves_no_enterprise(v4, runner):
    v4.register(PHONE)
    _ok(runner, "create", "apple")
    _ok(runner, "apply", PHONE, "1")
    assert _ok(runner, "refuse", "1") == "application 1 refused\n"

    data = v4.login(PHONE)["data"]

    assert data["enterprise_id"] == "-1"
    assert data["apply"] == {"apply_eid": 1, "apply_name": "apple", "apply_state": "-1"}


def test_latest_application_is_reported(v4, runner):
    v4.register(PHONE)
    _ok(runner, "create", "apple")
    _ok(runner, "create", "pear")
    _ok(runner, "apply", PHONE, "1")
    _ok(runner, "approve", "1")
    _ok(runner, "apply", PHONE, "2")

    data = v4.login(PHONE)["data"]

    assert data["enterprise_id"] == "1"
    assert data["apply"] == {"apply_eid": 2, "apply_name": "pear", "apply_state": "0"}


def test_permissions_are_reported(v4, runner):
    v4.register(PHONE)
    assert _ok(runner, "permissions", PHONE, "report", "admin", "report") == "permissions report,admin\n"
    assert v4.login(PHONE)["data"]["permissions"] == ["report", "admin"]
    assert _ok(runner, "permissions", PHONE) == "permissions (none)\n"
    assert v4.login(PHONE)["data"]["permissions"] == []


def test_commands_refuse_bad_requests(v4, runner):
    v4.register(PHONE)
    _ok(runner, "create", "apple")
    for args, expected in (
        (["apply", "13800138000", "1"], "not_registered"),
        (["apply", PHONE, "99"], "not_found"),
        (["apply", "not-a-phone", "1"], "Invalid value"),
        (["approve", "5"], "not_found"),
        (["permissions", "13800138000", "x"], "not_registered"),
        (["create", "   "], "invalid_input"),
    ):
        result = runner.invoke(args=["enterprise", *args])
        assert result.exit_code != 0 and expected in result.output, (args, result.output)
    _ok(runner, "apply", PHONE, "1")
    _ok(runner, "refuse", "1")
    # a decided application cannot be decided again
    result = runner.invoke(args=["enterprise", "approve", "1"])
    assert result.exit_code == 1 and "no pending application 1" in result.output
    assert v4.login(PHONE)["data"]["enterprise_id"] == "-1"
