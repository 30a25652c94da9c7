"""Rollbar items leave from one background thread with a bounded queue: the request only hands
the item over, a backend that is down never slows it, and a full queue drops items and counts
them. The thread is a daemon, so a stuck Rollbar never holds shutdown."""

import os
import queue
import threading

from observability.problems import problems

MAX_QUEUED_ITEMS = 200
sending = threading.local()


class RollbarSender:
    """Takes Rollbar payloads from any thread; sends them, one at a time, from its own."""

    def __init__(self, max_queued=MAX_QUEUED_ITEMS):
        self.queue = queue.Queue(max_queued)
        self.dropped = 0
        self._pid = None
        self._lock = threading.Lock()

    def take(self, payload):
        """A payload handler: queue the item and stop Rollbar sending it from this thread."""
        if getattr(sending, "now", False):
            return payload
        self._ensure_thread()
        try:
            self.queue.put_nowait(payload)
        except queue.Full:
            self.dropped += 1
            problems.warn(
                ("rollbar", "queue-full"),
                "observability: Rollbar is not keeping up; %d items dropped so far",
                self.dropped,
            )
        return False

    def _ensure_thread(self):
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                threading.Thread(target=self._run, name="rollbar-sender", daemon=True).start()
                self._pid = os.getpid()

    def _run(self):
        import rollbar

        sending.now = True
        while True:
            payload = self.queue.get()
            try:
                rollbar.send_payload(payload, payload.get("access_token"))
            except Exception:
                problems.warn(
                    ("rollbar", "send"), "observability: Rollbar item not sent", exc_info=True
                )
            finally:
                self.queue.task_done()


def send_now(report):
    """Run `report` (a rollbar.report_* call) sending synchronously from this thread."""
    sending.now = True
    try:
        return report()
    finally:
        sending.now = False
