"""Defects found by the platform audit, each proved through the HTTP API on SQLite and MariaDB."""
from __future__ import annotations

from content_helpers import data

ALICE = "13800000002"
BOB = "13800000003"


def error_code(response) -> int:
    body = response.get_json()
    assert body is not None and body["data"] == {}, response.data
    return body["code"]


def test_client_ids_differing_only_in_case_are_different_devices(staff):
    """MariaDB's default collation compares case-insensitively: Bob binding ``abcdef``
    must not take over Alice's ``ABCdef`` (push client ids are case-sensitive)."""
    alice, bob = staff.user(ALICE), staff.user(BOB)
    mine = data(staff.api("POST", "/api/push/bind", alice, json={"client_id": "ABCdef", "client_type": "android"}))
    his = data(staff.api("POST", "/api/push/bind", bob, json={"client_id": "abcdef", "client_type": "ios"}))
    assert his["id"] != mine["id"] and his["client_id"] == "abcdef"

    assert data(staff.api("GET", "/api/push/switch/ABCdef", alice)) == mine
    assert data(staff.api("GET", "/api/push/switch/abcdef", bob)) == his
    r = staff.api("GET", "/api/push/switch/abcdef", alice)
    assert r.status_code == 404 and error_code(r) == 10001
    r = staff.api("PUT", "/api/push/switch/ABCDEF", alice, json={"switch": False})
    assert r.status_code == 404 and error_code(r) == 10001
    assert data(staff.api("GET", "/api/push/switch/ABCdef", alice))["switch"] is True


def test_client_ids_with_slashes_can_be_switched(staff):
    """MiPush regIds are base64 (``/``, ``+``, ``=``, even ``//``): a device one can bind
    must be reachable by the switch endpoints."""
    alice, bob = staff.user(ALICE), staff.user(BOB)
    reg_id = "d//igwEhgBGCI2TG6lWqlK5PtvMoSF+dY/r9JULmYHY="
    bound = data(staff.api("POST", "/api/push/bind", alice, json={"client_id": reg_id, "client_type": "android"}))
    path = "/api/push/switch/" + reg_id.replace("/", "%2F").replace("+", "%2B")
    assert data(staff.api("GET", path, alice)) == bound
    assert data(staff.api("PUT", path, alice, json={"switch": False})) == {}
    assert data(staff.api("GET", path, alice))["switch"] is False
    r = staff.api("GET", path, bob)
    assert r.status_code == 404 and error_code(r) == 10001
