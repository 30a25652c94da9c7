"""Sending telemetry off the request path: a bounded buffer drained by one daemon thread per
process (started on first use, so each gunicorn worker gets its own after the fork). A full buffer
drops the item and counts it; a failed send is logged, rate-limited; a daemon thread never holds
shutdown.

A process that stops (gunicorn's graceful stop or max-requests recycling, a deploy's SIGTERM,
runserver's reload, a management command's end) first sends what every sender holds, all of them
within EXIT_BUDGET seconds together: what was accepted is not lost, and a backend that is down
delays the stop by that much at most.

The thread wakes on a timer, not on every item: a request only appends to a deque. Waking a thread
per item (as queue.Queue does) hands it the GIL whenever the request thread blocks on the database
or the socket, and the request then waits for it: the benchmark measured that hand-off as most of
the telemetry's cost per request."""

import atexit
import collections
import os
import threading
import time
import weakref

from observability.problems import problems

# Seconds a stopping process gives its senders, together, to send what they hold.
EXIT_BUDGET = 2.0
# The senders whose thread runs in this process, and what else must run when it stops.
running = weakref.WeakSet()
exit_hooks = []


def on_exit(hook, first=False):
    """Call `hook()` (which bounds its own time) when this process stops, while the senders
    send what they hold; `first`, before the hooks registered without it (one that only starts
    a send in a thread of its own, so that it runs beside the others')."""
    exit_hooks.insert(0, (os.getpid(), hook)) if first else exit_hooks.append((os.getpid(), hook))


@atexit.register
def flush_all(budget=EXIT_BUDGET):
    """Send what every sender of this process holds, within `budget` seconds in all, while the
    exit hooks run; later flushes (logging's own, at its shutdown) no longer wait. No thread is
    started here: an exiting interpreter may refuse one."""
    deadline = time.monotonic() + budget
    senders = [sender for sender in list(running) if sender._pid == os.getpid()]
    for sender in senders:
        sender._wake.set()
    for owner, hook in exit_hooks:
        if owner == os.getpid():
            try:
                hook()
            except Exception:
                problems.warn(("exit", repr(hook)), "observability: %r failed", hook, exc_info=True)
    for sender in senders:
        sender.flush(max(0.0, deadline - time.monotonic()))
        sender.closed = True


class BackgroundSender:
    """Calls `send(item)` for each item put (or `send(items)`, with batched=True), from a thread
    of its own, at most `interval` seconds after the item was put."""

    def __init__(self, name, send, max_queued, interval=0.2, batched=False):
        self.name = name
        self.send = send
        self.max_queued = max_queued
        self.interval = interval
        self.batched = batched
        self.items = collections.deque()
        self.dropped = 0
        self._busy = False
        self._wake = threading.Event()
        self._pid = None
        self._lock = threading.Lock()
        # Notified when a drain ends: flush waits on it rather than polling.
        self._idle = threading.Condition(threading.Lock())
        self.closed = False

    def put(self, item):
        """Buffer `item` without waiting; False (and counted) when the buffer is full."""
        if self._pid != os.getpid():
            self._ensure_thread()
        if len(self.items) >= self.max_queued:
            self.dropped += 1
            problems.warn(
                (self.name, "queue-full"),
                "observability: %s is not keeping up; %d items dropped so far",
                self.name, self.dropped,
            )  # fmt: skip
            return False
        self.items.append(item)
        return True

    def pending(self):
        return bool(self.items) or self._busy

    def flush(self, timeout=1.0):
        """Send what is buffered now, and wait at most `timeout` seconds for it to be sent."""
        if self._pid != os.getpid() or self.closed:
            return
        self._wake.set()
        with self._idle:
            self._idle.wait_for(lambda: not self.pending(), timeout)

    def _ensure_thread(self):
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                threading.Thread(target=self._run, name=f"{self.name}-sender", daemon=True).start()
                self._pid = os.getpid()
                running.add(self)

    def _run(self):
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            self._busy = True
            try:
                self._drain()
            finally:
                with self._idle:
                    self._busy = False
                    self._idle.notify_all()

    def _drain(self):
        items = []
        while self.items:
            items.append(self.items.popleft())
        for batch in [items] if self.batched and items else [[item] for item in items]:
            try:
                self.send(batch if self.batched else batch[0])
            except Exception:
                problems.warn(
                    (self.name, "send"), "observability: %s: not sent", self.name, exc_info=True
                )
