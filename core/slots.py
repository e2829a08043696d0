"""The server's cap on concurrent jobs: plain threading, so the exercise checker and Home can use it
without importing torch."""
from __future__ import annotations

import threading


class JobSlots:
    """A process-wide cap on concurrent training jobs (several users share one server)."""

    def __init__(self, limit: int) -> None:
        self._lock = threading.Lock()
        self.limit = limit
        self.active = 0

    @property
    def free(self) -> int:
        with self._lock:
            return max(0, self.limit - self.active)

    def try_acquire(self) -> bool:
        with self._lock:
            if self.active >= self.limit:
                return False
            self.active += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.active = max(0, self.active - 1)

    def set_limit(self, limit: int) -> None:
        with self._lock:
            self.limit = max(1, int(limit))


SLOTS = JobSlots(limit=4)
