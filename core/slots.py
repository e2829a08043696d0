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
        self._listeners: list = []  # called after every release (the training queue starts its next run)

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
            listeners = list(self._listeners)
        for listener in listeners:  # outside the lock: a listener may acquire a slot
            listener()

    def add_release_listener(self, listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_release_listener(self, listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def set_limit(self, limit: int) -> None:
        with self._lock:
            self.limit = max(1, int(limit))
            listeners = list(self._listeners)
        for listener in listeners:  # a higher limit may let a queued run start
            listener()


SLOTS = JobSlots(limit=4)
