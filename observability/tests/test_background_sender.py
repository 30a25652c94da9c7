"""The background sender keeps its queue bounded, counts what it drops, and keeps sending after a
failed send."""

import logging
import threading

from observability.background import BackgroundSender


def test_a_full_queue_drops_and_counts():
    release = threading.Event()
    sent = []

    def send(item):
        release.wait(5)
        sent.append(item)

    sender = BackgroundSender("test-full", send, max_queued=2)
    results = [sender.put(i) for i in range(6)]
    release.set()
    sender.flush(5)
    assert results.count(False) == sender.dropped
    assert sender.dropped >= 3
    assert len(sent) == 6 - sender.dropped


def test_a_failed_send_is_logged_and_the_next_item_still_goes(caplog):
    sent = []

    def send(item):
        if item == "bad":
            raise OSError("backend down")
        sent.append(item)

    sender = BackgroundSender("test-failing", send, max_queued=10)
    with caplog.at_level(logging.WARNING, logger="observability.problems"):
        sender.put("bad")
        sender.put("good")
        sender.flush(5)
    assert sent == ["good"]
    assert any("test-failing" in record.getMessage() for record in caplog.records)


def test_items_wait_for_the_interval_and_leave_together():
    batches = []
    sender = BackgroundSender("test-batched", batches.append, max_queued=100, interval=60,
                              batched=True)  # fmt: skip
    for i in range(50):
        sender.put(i)
    # No item wakes the thread: within the interval, nothing has been sent.
    threading.Event().wait(0.3)
    assert batches == []
    sender.flush(5)
    assert batches == [list(range(50))]
    assert not sender.pending()


def test_items_leave_on_their_own_after_the_interval():
    sent = []
    sender = BackgroundSender("test-interval", sent.append, max_queued=10, interval=0.05)
    sender.put("a")
    sender.put("b")
    for _ in range(200):
        if sent == ["a", "b"]:
            break
        threading.Event().wait(0.01)
    assert sent == ["a", "b"]
