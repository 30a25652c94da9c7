"""An X-Ray emitter that keeps the request path free: the request only hands the finished segment
to a bounded queue; a background thread scrubs it and sends it to the daemon over UDP."""

import json
import os
import queue
import threading
import time

from aws_xray_sdk.core.emitters.udp_emitter import PROTOCOL_DELIMITER, PROTOCOL_HEADER, UDPEmitter

from observability.problems import problems
from observability.scrubbing import scrub

MAX_QUEUED_SEGMENTS = 2000


class BackgroundUDPEmitter(UDPEmitter):
    """The SDK's UDP emitter, sending from a thread of its own (started per process, so it
    survives gunicorn's fork); a full queue drops segments and counts them."""

    def __init__(self, daemon_address, max_queued=MAX_QUEUED_SEGMENTS):
        super().__init__(daemon_address)
        self.queue = queue.Queue(max_queued)
        self.dropped = 0
        self._thread_pid = None
        self._lock = threading.Lock()

    def send_entity(self, entity):
        self._ensure_thread()
        try:
            self.queue.put_nowait(entity)
        except queue.Full:
            self.dropped += 1
            problems.warn(
                ("xray", "queue-full"),
                "observability: X-Ray segments are not being sent fast enough; %d dropped so far",
                self.dropped,
            )

    def flush(self, timeout=1.0):
        """Wait (a little) until the queued segments are sent."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def _ensure_thread(self):
        if self._thread_pid == os.getpid():
            return
        with self._lock:
            if self._thread_pid != os.getpid():
                threading.Thread(target=self._run, name="xray-emitter", daemon=True).start()
                self._thread_pid = os.getpid()

    def _run(self):
        while True:
            entity = self.queue.get()
            try:
                # What Entity.serialize() does, with the scrubbing in between.
                document = json.dumps(scrub(entity.to_dict()), default=str)
                self._send_data(f"{PROTOCOL_HEADER}{PROTOCOL_DELIMITER}{document}")
            except Exception:
                problems.warn(
                    ("xray", "send"), "observability: X-Ray segment not sent", exc_info=True
                )
            finally:
                self.queue.task_done()
