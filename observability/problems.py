"""Telling the operator about a telemetry problem without flooding the log: each kind of problem
is logged at most once per interval, with a count of how many were held back."""

import logging
import threading
import time

logger = logging.getLogger("observability.problems")

INTERVAL_SECONDS = 60.0


class RateLimiter:
    """Lets one event per key through each `interval` seconds and counts the ones it held back:
    the one rate limit for everything telemetry says about itself."""

    def __init__(self, interval=INTERVAL_SECONDS):
        self.interval = interval
        self._lock = threading.Lock()
        self._last = {}
        self._held = {}

    def allow(self, key):
        """(True, held back since the last one let through), or (False, None)."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval:
                self._held[key] = self._held.get(key, 0) + 1
                return False, None
            self._last[key] = now
            return True, self._held.pop(key, 0)


class ProblemLog:
    """Rate-limits warnings per key (a provider id and what went wrong)."""

    def __init__(self, interval=INTERVAL_SECONDS):
        self.limiter = RateLimiter(interval)

    def warn(self, key, message, *args, exc_info=False):
        """Log `message` unless this key was logged less than the interval ago."""
        allowed, held = self.limiter.allow(key)
        if not allowed:
            return False
        suffix = f" ({held} more like this since the last report)" if held else ""
        logger.warning(message + suffix, *args, exc_info=exc_info)
        return True


problems = ProblemLog()
