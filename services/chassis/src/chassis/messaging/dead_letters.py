"""What operators do with dead letters: see what failed and why, and send it back once fixed."""

from __future__ import annotations

import json
from dataclasses import dataclass

from kombu import Connection, Producer

from chassis.messaging.consumer import ATTEMPT_HEADER, ERROR_HEADER
from chassis.messaging.topology import ServiceTopology


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered message, as an operator needs to see it."""

    queue: str
    message_id: str
    event_type: str
    subject: str
    attempts: int
    error: str


def _describe(queue: str, body: bytes | str, headers: dict, message_id: str | None) -> DeadLetter:
    try:
        envelope = json.loads(body)
        event_type, subject = str(envelope.get("type", "?")), str(envelope.get("subject", "?"))
    except (ValueError, AttributeError):
        event_type, subject = "(unreadable)", "?"
    deaths = headers.get("x-death") or [{}]
    error = headers.get(ERROR_HEADER) or f"dead-lettered by the broker: {deaths[0].get('reason', 'unknown')}"
    return DeadLetter(queue, message_id or "?", event_type, subject, int(headers.get(ATTEMPT_HEADER, 0)), str(error))


def list_dead_letters(
    url: str, topology: ServiceTopology, queue: str | None = None, limit: int = 100
) -> list[DeadLetter]:
    """Up to ``limit`` dead letters of each of the service's queues (or of ``queue``), oldest first,
    left in place."""
    found = []
    with Connection(url) as conn:
        channel = conn.channel()
        for name in [queue] if queue else topology.queues:
            taken = 0
            while taken < limit and (message := channel.basic_get(queue=topology.dead_letter_queue(name))):
                found.append(_describe(name, message.body, message.headers or {}, message.properties.get("message_id")))
                taken += 1
        # Closing the channel without acknowledging returns every message peeked at to its DLQ.
    return found


def replay_dead_letters(url: str, topology: ServiceTopology, queue: str | None = None, limit: int | None = None) -> int:
    """Move dead letters back to the queue they failed in, with a fresh attempt count; returns how many.

    Each copy is confirmed by the broker before its dead letter is acknowledged, so a failure midway
    leaves a message in both places (the inbox drops the duplicate), never in neither.
    """
    moved = 0
    with Connection(url, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        producer = Producer(channel, auto_declare=False)
        for name in [queue] if queue else topology.queues:
            while limit is None or moved < limit:
                message = channel.basic_get(queue=topology.dead_letter_queue(name))
                if message is None:
                    break
                headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith(("x-icms-", "x-death"))}
                producer.publish(
                    message.body,
                    exchange="",
                    routing_key=name,
                    headers=headers,
                    content_type=message.properties.get("content_type"),
                    content_encoding=message.properties.get("content_encoding") or "utf-8",
                    message_id=message.properties.get("message_id"),
                    delivery_mode=2,
                    retry=False,
                )
                channel.basic_ack(message.delivery_info["delivery_tag"])
                moved += 1
    return moved
