"""Broker addresses and the NATS JetStream stream (no Django here, so benchmarks and
publishers can use it without settings)."""

from __future__ import annotations

from urllib.parse import urlparse

from . import protocol

NATS_STREAM = "JILIANG_TELEMETRY"
NATS_SUBJECTS = "jiliang.t.>"


def parse_broker(url: str) -> tuple[str, str, int]:
    u = urlparse(url)
    if u.scheme not in ("mqtt", "nats") or not u.hostname:
        raise ValueError(f"broker: expected mqtt://host:port or nats://host:port, got {url!r}")
    return u.scheme, u.hostname, u.port or (1883 if u.scheme == "mqtt" else 4222)


async def ensure_stream(js) -> None:
    """Create the telemetry stream if it does not exist (file storage, limits retention)."""
    from nats.js.api import StreamConfig
    from nats.js.errors import NotFoundError

    try:
        await js.stream_info(NATS_STREAM)
    except NotFoundError:
        await js.add_stream(StreamConfig(name=NATS_STREAM, subjects=[NATS_SUBJECTS]))


def nats_subject(device_code: str) -> str:
    """The NATS subject of a device's MQTT topic (NATS maps '/' to '.')."""
    return protocol.topic_for(device_code).replace("/", ".")
