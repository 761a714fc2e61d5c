"""Publishes event envelopes to the SNS topic that fans out to every service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conveyor_aws import clients
from conveyor_common.envelope import Envelope, encode

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

# SNS filter policies match on this message attribute.
EVENT_TYPE_ATTRIBUTE = "event_type"


class EventPublisher:
    def __init__(self, *, topic_arn: str, client: SNSClient | None = None) -> None:
        self._topic_arn = topic_arn
        self._client = client

    def publish(self, envelope: Envelope) -> str:
        """Publish once; returns the SNS message id. Raises on any failure."""
        client = self._client or clients.sns()
        response = client.publish(
            TopicArn=self._topic_arn,
            Message=encode(envelope).decode(),
            MessageAttributes={
                EVENT_TYPE_ATTRIBUTE: {"DataType": "String", "StringValue": envelope.event_type},
                "schema_version": {
                    "DataType": "Number",
                    "StringValue": str(envelope.schema_version),
                },
            },
        )
        return response["MessageId"]
