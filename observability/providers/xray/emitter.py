"""An X-Ray emitter that keeps the request path free: the request only hands the finished segment
to a bounded queue; a background thread scrubs it and sends it to the daemon over UDP."""

import json

import orjson
from aws_xray_sdk.core.emitters.udp_emitter import PROTOCOL_DELIMITER, PROTOCOL_HEADER, UDPEmitter

from observability.background import BackgroundSender
from observability.scrubbing import scrub

MAX_QUEUED_SEGMENTS = 2000
PREFIX = f"{PROTOCOL_HEADER}{PROTOCOL_DELIMITER}"
PREFIX_BYTES = PREFIX.encode()
# What json.dumps(..., default=str), the SDK's serializer, writes, at a fraction of its cost:
# datetimes and dataclasses go to str() as they would there, keys need not be strings.
ORJSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def dumps(document):
    """The segment's JSON text, as the SDK's json.dumps(document, default=str) would write it."""
    return encoded(document).decode()


def encoded(document):
    """dumps(document), as UTF-8 bytes: what goes into the datagram."""
    try:
        return orjson.dumps(document, default=str, option=ORJSON_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):  # an integer over 64 bits, say
        return json.dumps(document, default=str).encode()


class BackgroundUDPEmitter(UDPEmitter):
    """The SDK's UDP emitter, sending from observability's background sender."""

    def __init__(self, daemon_address, max_queued=MAX_QUEUED_SEGMENTS):
        super().__init__(daemon_address)
        self.sender = BackgroundSender("X-Ray", self.send_now, max_queued)

    def send_entity(self, entity):
        self.sender.put(entity)

    def send_now(self, entity):
        # What Entity.serialize() does, with the scrubbing in between.
        self._send_data(PREFIX + dumps(scrub(entity.to_dict())))

    def send_document(self, document):
        """Send a segment document now that is scrubbed already (the otel source's): the
        datagram _send_data sends, made as bytes rather than text encoded again."""
        self._socket.sendto(PREFIX_BYTES + encoded(document), (self._ip, self._port))

    def flush(self, timeout=1.0):
        self.sender.flush(timeout)
