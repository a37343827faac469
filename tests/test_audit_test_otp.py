"""Audit: a malformed ``TEST_OTP`` stops the app at start instead of failing every code request."""
from __future__ import annotations

import pytest

from lingo import create_app


@pytest.mark.parametrize("spec", ["13800000000=12a456", "13800000000", "not-a-phone=123456", "12=123456"])
def test_malformed_test_otp_is_refused_at_start(spec):
    with pytest.raises(RuntimeError, match="TEST_OTP"):
        create_app({"ENV_NAME": "testing", "DATABASE_URL": "sqlite://", "TEST_OTP": spec})


def test_well_formed_test_otp_starts():
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": "sqlite://",
                      "TEST_OTP": "13800000000=123456, demo@example.com=654321"})
    assert app.config["TEST_OTP"]
