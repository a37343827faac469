"""The controllable application clock the ``app`` fixture installs."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

#: Where every test's clock starts (08:00 UTC, 16:00 in Asia/Shanghai).
START = datetime(2026, 1, 5, 8, 0, 0)


class FakeClock:
    """A controllable clock: ``advance(seconds)`` instead of ``sleep``."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.current += timedelta(seconds=seconds)
