"""Publishes event envelopes to the SNS topic that fans out to every service.

Publishes from concurrent callers go out together, up to ten a PublishBatch call
(conveyor_aws.group_commit): one call's client-side cost and one request to SNS
for up to ten events, while a lone publish is still sent at once. Each caller
learns its own event's fate before `publish` (or the awaited `publish_async`) returns.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from conveyor_aws import clients, tracing
from conveyor_aws.group_commit import GroupCommit, Outcomes
from conveyor_common.envelope import Envelope, encode

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

# SNS filter policies match on this message attribute.
EVENT_TYPE_ATTRIBUTE = "event_type"
# SNS takes at most 10 messages a PublishBatch, and 256 KiB of messages and
# attributes (names, types and values) in all.
MAX_BATCH_MESSAGES = 10
MAX_BATCH_BYTES = 256 * 1024
# At most this many PublishBatch calls in flight at once (a second would start only once
# a full batch waits: conveyor_aws.group_commit). One: on a 2-core host the API took
# 237-259 orders a second through boto3 with one, 184-189 with up to four, 128 with
# four always on: more senders make more, smaller calls for the same CPU. One call of
# ten events a round trip passes several hundred events a second to SNS.
DEFAULT_SENDERS = 1
BATCH_OPERATION = "PublishBatch"
# Messages SNS failed on its side are sent again this many times, after a back-off
# doubling from the first delay, while the caller's deadline allows.
RETRY_ATTEMPTS = 3
RETRY_FIRST_DELAY_SECONDS = 0.05

Attributes = dict[str, "MessageAttributeValueTypeDef"]


@dataclass(frozen=True)
class _Message:
    body: str
    attributes: Attributes
    size_bytes: int


def _message(envelope: Envelope, carried: Mapping[str, Mapping[str, str]]) -> _Message:
    body = encode(envelope).decode()
    attributes: Attributes = {
        EVENT_TYPE_ATTRIBUTE: {"DataType": "String", "StringValue": envelope.event_type},
        "schema_version": {"DataType": "Number", "StringValue": str(envelope.schema_version)},
    }
    for name, value in carried.items():
        attributes[name] = {"DataType": value["DataType"], "StringValue": value["StringValue"]}
    size = len(body.encode()) + sum(
        len(name) + len(value["DataType"]) + len(value["StringValue"].encode())
        for name, value in attributes.items()
    )
    return _Message(body, attributes, size)


def _fits(batch: list[_Message], message: _Message) -> bool:
    return sum(m.size_bytes for m in batch) + message.size_bytes <= MAX_BATCH_BYTES


class EventPublisher:
    def __init__(
        self,
        *,
        topic_arn: str,
        client: SNSClient | None = None,
        senders: int = DEFAULT_SENDERS,
    ) -> None:
        self._topic_arn = topic_arn
        self._client = client
        self._batches: GroupCommit[_Message, str] = GroupCommit(
            self._publish_batch,
            operation=BATCH_OPERATION,
            max_items=MAX_BATCH_MESSAGES,
            senders=senders,
            fits=_fits,
        )

    def publish(self, envelope: Envelope) -> str:
        """Publish once; returns the SNS message id. Raises on any failure."""
        with tracing.publishing(self._topic_arn) as carried:
            return self._batches.submit(_message(envelope, carried))

    async def publish_async(self, envelope: Envelope) -> str:
        """`publish` for a coroutine: the event loop goes on while the batch is out."""
        with tracing.publishing(self._topic_arn) as carried:
            return await self._batches.submit_async(_message(envelope, carried))

    def _publish_batch(self, messages: list[_Message]) -> Outcomes[str]:
        """One PublishBatch, then the messages SNS failed on its side (throttled, an
        internal error) again, with back-off, as botocore retries a failed Publish."""
        outcomes: list[str | BaseException] = list(self._send(messages))
        delay = RETRY_FIRST_DELAY_SECONDS
        for _ in range(RETRY_ATTEMPTS):
            again = [i for i, outcome in enumerate(outcomes) if isinstance(outcome, _ServerFault)]
            left = clients.time_left()
            if not again or (left is not None and left < 2 * delay):
                break
            time.sleep(delay)
            delay *= 2
            try:
                retried = self._send([messages[i] for i in again])
            except Exception:  # the others were published: these keep their failure
                break
            for index, outcome in zip(again, retried, strict=True):
                outcomes[index] = outcome
        return outcomes

    def _send(self, messages: list[_Message]) -> list[str | BaseException]:
        client = self._client or clients.sns()
        # Each message carries its own caller's trace context (tracing.publishing):
        # botocore's instrumentation would give them all the batch call's.
        with tracing.untraced():
            response = client.publish_batch(
                TopicArn=self._topic_arn,
                PublishBatchRequestEntries=[
                    {"Id": str(index), "Message": m.body, "MessageAttributes": m.attributes}
                    for index, m in enumerate(messages)
                ],
            )
        outcomes: list[str | BaseException] = [
            _failure("NoAnswer", "SNS answered nothing for this message") for _ in messages
        ]
        for published in response.get("Successful", []):
            outcomes[int(published["Id"])] = published["MessageId"]
        for failed in response.get("Failed", []):
            fault = _failure if failed.get("SenderFault") else _ServerFault.of
            outcomes[int(failed["Id"])] = fault(failed["Code"], failed.get("Message", ""))
        return outcomes


def _failure(code: str, message: str) -> ClientError:
    """A message SNS refused, raised to its caller as a failed call would be."""
    return ClientError({"Error": {"Code": code, "Message": message}}, BATCH_OPERATION)


class _ServerFault(ClientError):
    """A message SNS failed on its own side: worth sending again."""

    @classmethod
    def of(cls, code: str, message: str) -> _ServerFault:
        return cls({"Error": {"Code": code, "Message": message}}, BATCH_OPERATION)
