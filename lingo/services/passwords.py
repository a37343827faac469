"""Password hashing with argon2id and the per-dialect length policies (docs/contract.md §2)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from ..settings import current as settings

#: (min, max) characters.
MODERN_POLICY = (8, 128)
LEGACY_POLICY = (6, 14)


def check_policy(password: str, policy: tuple[int, int] = MODERN_POLICY) -> None:
    """Check a new password's length.

    :raises ValueError: with a readable reason when it is too short or too long.
    """
    low, high = policy
    if not low <= len(password) <= high:
        raise ValueError(f"password must be {low}-{high} characters")


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID)


def hasher() -> PasswordHasher:
    """The argon2id hasher configured by ``ARGON2_*``."""
    cfg = settings()
    return _hasher(cfg.argon2_time_cost, cfg.argon2_memory_cost, cfg.argon2_parallelism)


def hash_password(password: str) -> str:
    """Hash a password into an argon2id PHC string."""
    return hasher().hash(password)


def verify_password(stored: str, password: str) -> tuple[bool, str | None]:
    """Check a password against a stored hash.

    :returns: ``(ok, new_hash)``; ``new_hash`` is set when the hash should be
        replaced because the configured parameters changed.
    """
    ph = hasher()
    try:
        ph.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, (ph.hash(password) if ph.check_needs_rehash(stored) else None)
