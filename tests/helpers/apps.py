"""The configuration of an app under test."""
from __future__ import annotations

import os
import uuid
from typing import Any

#: Redis for the limiter when set (CI sets it); memory otherwise.
REDIS_URL = os.environ.get("LINGO_TEST_REDIS_URL", "")


def app_config(url: str, **extra: Any) -> dict[str, Any]:
    """Testing configuration for a database URL."""
    cfg: dict[str, Any] = {
        "ENV_NAME": "testing",
        "DATABASE_URL": url,
        "RATELIMIT_KEY_PREFIX": f"lingo-test-{uuid.uuid4().hex[:8]}",
    }
    if REDIS_URL:
        cfg["RATELIMIT_STORAGE_URI"] = REDIS_URL
    cfg.update(extra)
    return cfg
