"""Request throttles of the HTTP routes: per client address on the sign-in route and the API, per token on the API.

In memory, per process: behind a load balancer of N processes a client gets up to N times the rate (see
docs/deployment.md)."""

from __future__ import annotations

import threading
import time
from collections import deque

from starlette.requests import Request

from data_access import accounts
from data_access.settings import get_settings


def address(request: Request) -> str:
    """The client's address a request came from (behind a proxy on this machine, the last address it forwards)."""
    return accounts.client_address(
        request.client.host if request.client else "", request.headers.get("x-forwarded-for")
    )


class Throttle:
    """At most ``limit`` requests per key in any ``window`` seconds (a sliding log)."""

    MAX_KEYS = 100_000  # beyond this many keys at once the oldest are forgotten (a flood of addresses)

    def __init__(self, limit: int, window: float = 60.0):
        self.limit, self.window = limit, window
        self._log: dict[str, deque] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str, now: float | None = None) -> int:
        """0 when a request under ``key`` may go ahead now (and count it); else the seconds until one may."""
        now = time.monotonic() if now is None else now
        with self._lock:
            log = self._log.get(key)
            if log is None:
                if len(self._log) >= self.MAX_KEYS:
                    self._log.pop(next(iter(self._log)))
                log = self._log[key] = deque()
            while log and log[0] <= now - self.window:
                log.popleft()
            if len(log) >= self.limit:
                return max(1, int(log[0] + self.window - now + 0.999))
            log.append(now)
            return 0


PER_ADDRESS = Throttle(get_settings().throttle_per_min)  # sign-in posts and API calls
PER_TOKEN = Throttle(get_settings().api_rate_per_min)
