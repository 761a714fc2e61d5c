"""What is parked in the dead-letter queues, and sending it back to be processed.

`conveyor dlq show` and `conveyor dlq redrive` (tools/cli) are built on this.

- Listing never consumes: messages are received with a short visibility
  timeout and made visible again at once.
- Redriving uses SQS's own StartMessageMoveTask when the whole DLQ goes back
  and the endpoint supports it; otherwise (an event-type filter, or an
  emulator without it) each message is sent to its source queue first and
  deleted from the DLQ second. A crash between the two leaves a copy in both;
  the handlers are idempotent, so processing it twice changes nothing.
- Only messages present when the redrive starts are moved, each once; one that
  fails again and is parked anew during the redrive stays parked.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from conveyor_aws import tracing
from conveyor_aws.broker.attributes import ERROR_ATTRIBUTE
from conveyor_aws.publisher import EVENT_TYPE_ATTRIBUTE

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# Long enough to list or move a DLQ's messages before they show up again.
LISTING_VISIBILITY_SECONDS = 30
MOVING_VISIBILITY_SECONDS = 60
_BATCH = 10
# What SQS endpoints that lack StartMessageMoveTask answer.
_UNSUPPORTED_CODES = frozenset(
    {"InvalidAction", "UnsupportedOperation", "NotImplemented", "InvalidParameterValue"}
)


class NotADeadLetterSource(LookupError):
    """The queue has no redrive policy naming a DLQ."""


@dataclass(frozen=True)
class QueuePair:
    """A worker's queue and the DLQ its redrive policy names."""

    name: str
    url: str
    arn: str
    dlq_name: str
    dlq_url: str
    dlq_arn: str


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    message_id: str
    event_type: str | None
    event_id: str | None
    receive_count: int
    reason: str | None
    body: str = field(repr=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "messageId": self.message_id,
            "eventType": self.event_type,
            "eventId": self.event_id,
            "receiveCount": self.receive_count,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RedriveResult:
    queue: str
    moved: int = 0
    # Copies with the same body as one already moved: deleted, not sent again.
    duplicates: int = 0
    # Set when SQS moves the messages itself (StartMessageMoveTask).
    task_handle: str | None = None


def queue_pair(sqs: SQSClient, name: str) -> QueuePair:
    """The queue `name` (a worker's queue, or its DLQ) with its DLQ."""
    url = _url(sqs, name)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes.get("RedrivePolicy") or "null")
    if not redrive:
        if name.endswith("-dlq"):
            return queue_pair(sqs, name.removesuffix("-dlq"))
        raise NotADeadLetterSource(f"SQS queue {name!r} has no redrive policy to a DLQ")
    dlq_arn = redrive["deadLetterTargetArn"]
    dlq_name = dlq_arn.rsplit(":", 1)[-1]
    return QueuePair(
        name=name,
        url=url,
        arn=attributes["QueueArn"],
        dlq_name=dlq_name,
        dlq_url=_url(sqs, dlq_name),
        dlq_arn=dlq_arn,
    )


def peek(sqs: SQSClient, pair: QueuePair, *, event_type: str | None = None) -> list[DeadLetter]:
    """Every message in the pair's DLQ (of one event type, if given), left in place."""
    letters: dict[str, DeadLetter] = {}
    handles: list[str] = []
    try:
        for batch in _receive_batches(sqs, pair.dlq_url, LISTING_VISIBILITY_SECONDS):
            for message in batch:
                handles.append(message["ReceiptHandle"])
                letter = _dead_letter(pair.name, message)
                letters.setdefault(letter.message_id, letter)
    finally:
        _make_visible(sqs, pair.dlq_url, handles)
    return [
        letter
        for letter in letters.values()
        if event_type is None or letter.event_type == event_type
    ]


def redrive(sqs: SQSClient, pair: QueuePair, *, event_type: str | None = None) -> RedriveResult:
    """Send the DLQ's messages (of one event type, if given) back to their queue."""
    if event_type is None:
        try:
            response = sqs.start_message_move_task(SourceArn=pair.dlq_arn, DestinationArn=pair.arn)
        except ClientError as error:
            if not _unsupported(error):
                raise
        else:
            return RedriveResult(queue=pair.name, task_handle=response["TaskHandle"])
    return move_one_by_one(sqs, pair, event_type=event_type)


def move_one_by_one(
    sqs: SQSClient, pair: QueuePair, *, event_type: str | None = None
) -> RedriveResult:
    """Send each message to the source queue, then delete it from the DLQ."""
    to_move = {letter.message_id for letter in peek(sqs, pair, event_type=event_type)}
    moved_bodies: set[str] = set()
    moved = duplicates = 0
    untouched: list[str] = []
    try:
        for batch in _receive_batches(sqs, pair.dlq_url, MOVING_VISIBILITY_SECONDS):
            for message in batch:
                if message["MessageId"] not in to_move:
                    # Another event type, or parked after the redrive started.
                    untouched.append(message["ReceiptHandle"])
                    continue
                to_move.discard(message["MessageId"])
                body = message["Body"]
                if body in moved_bodies:
                    duplicates += 1
                else:
                    sqs.send_message(
                        QueueUrl=pair.url,
                        MessageBody=body,
                        MessageAttributes=_routing_attributes(message),
                    )
                    moved_bodies.add(body)
                    moved += 1
                sqs.delete_message(QueueUrl=pair.dlq_url, ReceiptHandle=message["ReceiptHandle"])
            if not to_move:
                break
    finally:
        _make_visible(sqs, pair.dlq_url, untouched)
    return RedriveResult(queue=pair.name, moved=moved, duplicates=duplicates)


def _receive_batches(sqs: SQSClient, url: str, visibility_seconds: int) -> Iterator[list[Any]]:
    """Receive until the queue has nothing more to show (received ones stay hidden)."""
    while True:
        messages = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=_BATCH,
            WaitTimeSeconds=1,
            VisibilityTimeout=visibility_seconds,
            AttributeNames=["ApproximateReceiveCount"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return
        yield list(messages)


def _make_visible(sqs: SQSClient, url: str, handles: Sequence[str]) -> None:
    for start in range(0, len(handles), _BATCH):
        batch = handles[start : start + _BATCH]
        with contextlib.suppress(ClientError):
            sqs.change_message_visibility_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                    for i, handle in enumerate(batch)
                ],
            )


def _dead_letter(queue: str, message: Any) -> DeadLetter:
    attributes = message.get("MessageAttributes") or {}
    event_type = attributes.get(EVENT_TYPE_ATTRIBUTE, {}).get("StringValue")
    event_id = None
    try:
        body = json.loads(message["Body"])
    except ValueError:
        body = None
    if isinstance(body, dict):
        event_type = event_type or _text(body.get("event_type"))
        event_id = _text(body.get("event_id"))
    return DeadLetter(
        queue=queue,
        message_id=message["MessageId"],
        event_type=event_type,
        event_id=event_id,
        # Counts this listing's own receive too.
        receive_count=int(message.get("Attributes", {}).get("ApproximateReceiveCount", 0)),
        reason=attributes.get(ERROR_ATTRIBUTE, {}).get("StringValue"),
        body=message["Body"],
    )


def _routing_attributes(message: Any) -> dict[str, Any]:
    """What routes the message, and its trace context: a redriven message starts a fresh
    retry history, in the trace of the request it came from."""
    attributes = tracing.as_attributes(tracing.context_of(message.get("MessageAttributes") or {}))
    event_type = _dead_letter("", message).event_type
    if event_type:
        attributes[EVENT_TYPE_ATTRIBUTE] = {"DataType": "String", "StringValue": event_type}
    return attributes


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _unsupported(error: ClientError) -> bool:
    response: Any = error.response
    code = response.get("Error", {}).get("Code", "")
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    # moto server answers an action it does not implement with a bare HTTP 500 page.
    emulator_refusal = status == 500 and code == "500"
    return code in _UNSUPPORTED_CODES or status in (404, 501) or emulator_refusal


def _url(sqs: SQSClient, name: str) -> str:
    return sqs.get_queue_url(QueueName=name)["QueueUrl"]
