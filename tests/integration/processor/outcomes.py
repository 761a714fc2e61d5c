"""What the processor announced, as its integration tests read it back."""

from __future__ import annotations

from conveyor_aws import clients
from conveyor_aws.resources import ResourceNames
from conveyor_common.envelope import Envelope, decode

NAMES = ResourceNames()


def outcome_events(event_type: str) -> list[Envelope]:
    """Every envelope of that type on the notifier queue (publishing is synchronous)."""
    sqs = clients.sqs()
    url = sqs.get_queue_url(QueueName=NAMES.queue("notifier"))["QueueUrl"]
    envelopes: list[Envelope] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=60
        ).get("Messages", [])
        if not messages:
            return [envelope for envelope in envelopes if envelope.event_type == event_type]
        envelopes.extend(decode(message["Body"]) for message in messages)
