"""JWT replay protection: each (issuer, jti) is accepted once until it expires.

The guard is an interface so that several API processes can share one: the
SQLite / PostgreSQL audit store implements it with a unique key, the
in-memory guard serves a single process and the tests.
"""

from __future__ import annotations

import heapq
import threading
import time
from typing import Protocol


class ReplayGuard(Protocol):
    def claim_nonce(self, issuer: str, jti: str, expires_at: float) -> bool:
        """Record the nonce; False when it was already seen (a replay)."""
        ...


class MemoryReplayGuard:
    """A process-local guard; entries are dropped once their token has expired."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()
        self._expiry: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()

    def claim_nonce(self, issuer: str, jti: str, expires_at: float) -> bool:
        now = time.time()
        with self._lock:
            while self._expiry and self._expiry[0][0] < now:
                _, iss, old = heapq.heappop(self._expiry)
                self._seen.discard((iss, old))
            if (issuer, jti) in self._seen:
                return False
            self._seen.add((issuer, jti))
            heapq.heappush(self._expiry, (expires_at, issuer, jti))
            return True
