"""Sending telemetry off the request path: a bounded queue drained by one daemon thread per
process (started on first use, so each gunicorn worker gets its own after the fork). A full queue
drops the item and counts it; a failed send is logged, rate-limited; a daemon thread never holds
shutdown."""

import os
import queue
import threading
import time

from observability.problems import problems


class BackgroundSender:
    """Calls `send(item)` for each item put, from a thread of its own."""

    def __init__(self, name, send, max_queued):
        self.name = name
        self.send = send
        self.queue = queue.Queue(max_queued)
        self.dropped = 0
        self._pid = None
        self._lock = threading.Lock()

    def put(self, item):
        """Queue `item` without waiting; False (and counted) when the queue is full."""
        self._ensure_thread()
        try:
            self.queue.put_nowait(item)
            return True
        except queue.Full:
            self.dropped += 1
            problems.warn(
                (self.name, "queue-full"),
                "observability: %s is not keeping up; %d items dropped so far",
                self.name, self.dropped,
            )  # fmt: skip
            return False

    def flush(self, timeout=1.0):
        """Wait, at most `timeout` seconds, until what was queued has been sent."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def _ensure_thread(self):
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                threading.Thread(target=self._run, name=f"{self.name}-sender", daemon=True).start()
                self._pid = os.getpid()

    def _run(self):
        while True:
            item = self.queue.get()
            try:
                self.send(item)
            except Exception:
                problems.warn(
                    (self.name, "send"), "observability: %s: not sent", self.name, exc_info=True
                )
            finally:
                self.queue.task_done()
