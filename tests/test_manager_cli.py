"""``flask manager ...`` through the CLI runner, checked through the API."""
from __future__ import annotations

from helpers.staff import data

PHONE = "13900000009"
PASSWORD = "cli-Password-1"


def login(client, phone: str, password: str):
    return client.post("/api/auth/phone_login", json={"phone": phone, "password": password})


def test_create_prompts_for_password_with_confirmation(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["manager", "create", PHONE], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "manager" in result.output and PASSWORD not in result.output
    token = data(login(client, PHONE, PASSWORD), 200)["access_token"]
    assert data(client.get("/api/admin/users", headers={"Authorization": f"Bearer {token}"}), 200)["total"] == 1


def test_create_refuses_mismatch_short_password_and_existing_account(app, client, modern):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["manager", "create", PHONE], input=f"{PASSWORD}\nother-Password\n")
    assert result.exit_code != 0
    assert login(client, PHONE, PASSWORD).status_code == 404
    result = runner.invoke(args=["manager", "create", PHONE, "--password", "short"])
    assert result.exit_code != 0 and "8-128" in result.output
    result = runner.invoke(args=["manager", "create", "not-a-phone", "--password", PASSWORD])
    assert result.exit_code != 0
    modern.tokens("13800000002")
    result = runner.invoke(args=["manager", "create", "13800000002", "--password", PASSWORD])
    assert result.exit_code != 0 and "set-role" in result.output


def test_create_by_email(app, client):
    result = app.test_cli_runner().invoke(args=["manager", "create", "Boss@Example.com", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    # another active manager: the last one cannot be disabled
    assert app.test_cli_runner().invoke(args=["manager", "create", PHONE, "--password", PASSWORD]).exit_code == 0
    result = app.test_cli_runner().invoke(args=["manager", "disable", "boss@example.com"])
    assert result.exit_code == 0, result.output


def test_set_role_enable_disable(app, client, modern, clock):
    runner = app.test_cli_runner()
    # another active manager: the last one cannot be disabled
    assert runner.invoke(args=["manager", "create", PHONE, "--password", PASSWORD]).exit_code == 0
    user = {"Authorization": f"Token {modern.tokens('13800000002')['access_token']}"}
    assert client.get("/api/admin/faqs", headers=user).status_code == 403

    assert runner.invoke(args=["manager", "set-role", "13800000002", "1"]).exit_code == 0
    assert data(client.get("/api/admin/faqs", headers=user), 200)["total"] == 0
    assert runner.invoke(args=["manager", "set-role", "13800000002", "2"]).exit_code != 0

    result = runner.invoke(args=["manager", "disable", "+8613800000002"])
    assert result.exit_code == 0, result.output
    r = client.get("/api/faq", headers=user)
    assert r.status_code == 401 and r.get_json()["code"] == 10004
    clock.advance(61)
    assert modern.code_login("13800000002").status_code == 403

    assert runner.invoke(args=["manager", "enable", "13800000002"]).exit_code == 0
    clock.advance(61)
    assert modern.code_login("13800000002").status_code == 200
    result = runner.invoke(args=["manager", "enable", "13800000099"])
    assert result.exit_code != 0 and "no user" in result.output
