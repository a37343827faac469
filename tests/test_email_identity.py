"""An email identity is the same on SQLite and MariaDB.

MariaDB compares ``users.email`` (and the code and counter keys) with an
accent-insensitive collation: ``josé@…`` and ``jose@…``, or ``…@exämple.com``
and ``…@example.com``, were one account there and two on SQLite. Addresses are
kept in their ASCII form (IDN domains as punycode); non-ASCII mailbox names are
refused.
"""
from __future__ import annotations

from lingo.extensions import db
from lingo.models import User


def test_accented_mailbox_is_refused_and_leaves_the_plain_one_alone(app, platform_api):
    platform_api.tokens("jose@example.com")
    refused = platform_api.send_code("josé@example.com")
    assert refused.status_code == 400 and refused.get_json()["code"] == 10005
    assert platform_api.client.post(
        "/api/auth/access_token", json={"account": "jose@example.com", "password": "secret-pass-1"}
    ).status_code == 200


def test_idn_domain_is_another_account_than_its_ascii_lookalike(app, platform_api, email_outbox):
    platform_api.tokens("jose@example.com")
    response = platform_api.send_code("jose@exämple.com")
    assert response.status_code == 200, response.get_json()
    code = email_outbox.last_code("jose@xn--exmple-cua.com")
    assert code is not None
    registered = platform_api.client.post(
        "/api/auth/register", json={"account": "jose@exämple.com", "code": code, "password": "secret-pass-2"}
    )
    assert registered.status_code == 200, registered.get_json()
    with app.app_context():
        assert sorted(db.session.scalars(db.select(User.email))) == ["jose@example.com", "jose@xn--exmple-cua.com"]
