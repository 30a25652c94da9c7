"""Rollbar items leave from observability's background sender: the request only hands the item
over, a Rollbar that is down never slows it, and a stuck Rollbar never holds shutdown."""

import threading

from observability.background import BackgroundSender

MAX_QUEUED_ITEMS = 200
sending = threading.local()


class RollbarSender:
    """A Rollbar payload handler that queues items, and sends them from its own thread."""

    def __init__(self, max_queued=MAX_QUEUED_ITEMS):
        self.sender = BackgroundSender("Rollbar", self.send_now, max_queued)

    def take(self, payload):
        """Queue the item and stop Rollbar sending it from this thread (unless this thread is
        the one sending)."""
        if getattr(sending, "now", False):
            return payload
        self.sender.put(payload)
        return False

    def send_now(self, payload):
        import rollbar

        # The token goes in Rollbar's header only (enrich_payload took it out of the body).
        token = rollbar.SETTINGS["access_token"]
        send_now(lambda: rollbar.send_payload(payload, token))


def send_now(report):
    """Run `report` (a rollbar call) sending synchronously from this thread."""
    sending.now = True
    try:
        return report()
    finally:
        sending.now = False
