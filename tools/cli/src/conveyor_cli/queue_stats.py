"""What each worker queue holds, read without receiving a single message: how many
wait, how many are in flight, how many its DLQ holds, and how old the oldest is.

The counts are SQS's approximate queue attributes. SQS has no attribute for the age
of a standard queue's oldest message, and receiving one to read its SentTimestamp is
not harmless: the receive counts towards the redrive policy's MAX_RECEIVE_COUNT (a
glance could push a message into the DLQ) and hides the message from the workers
meanwhile. So the age is CloudWatch's AWS/SQS ApproximateAgeOfOldestMessage, the
latest datapoint of the last few minutes (SQS sends it once a minute). Where there is
none (an emulator such as moto server, a queue idle for hours, no cloudwatch:
GetMetricData permission), the age is unknown, shown as such rather than guessed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from conveyor_aws import dlq

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

AGE_METRIC = "ApproximateAgeOfOldestMessage"
AGE_NAMESPACE = "AWS/SQS"
# SQS sends its metrics every minute, and CloudWatch may show them a few minutes late.
AGE_LOOKBACK = timedelta(minutes=15)
AGE_PERIOD_SECONDS = 60
_Count = Literal[
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]
_COUNTS: tuple[_Count, ...] = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


@dataclass(frozen=True, kw_only=True)
class QueueStats:
    name: str
    waiting: int
    in_flight: int
    delayed: int
    dlq_name: str | None
    # Every message the DLQ holds, including any a `conveyor dlq show` is looking at.
    dlq_depth: int | None
    oldest_age_seconds: float | None
    dlq_oldest_age_seconds: float | None

    def as_json(self) -> dict[str, Any]:
        return {
            "queue": self.name,
            "waiting": self.waiting,
            "inFlight": self.in_flight,
            "delayed": self.delayed,
            "dlq": self.dlq_name,
            "dlqDepth": self.dlq_depth,
            "oldestAgeSeconds": self.oldest_age_seconds,
            "dlqOldestAgeSeconds": self.dlq_oldest_age_seconds,
        }


@dataclass(frozen=True)
class _Counts:
    name: str
    attributes: dict[str, int]
    dlq_name: str | None
    dlq_attributes: dict[str, int] | None


def queue_stats(
    sqs: SQSClient, cloudwatch: Any, names: Sequence[str], *, now: datetime
) -> list[QueueStats]:
    """Each queue's numbers; a queue that does not exist raises QueueDoesNotExist."""
    counted = [_counted(sqs, name) for name in names]
    every_name = [c.name for c in counted] + [c.dlq_name for c in counted if c.dlq_name]
    ages = oldest_ages(cloudwatch, every_name, now=now)
    return [
        QueueStats(
            name=c.name,
            waiting=c.attributes["ApproximateNumberOfMessages"],
            in_flight=c.attributes["ApproximateNumberOfMessagesNotVisible"],
            delayed=c.attributes["ApproximateNumberOfMessagesDelayed"],
            dlq_name=c.dlq_name,
            dlq_depth=_depth(c.dlq_attributes),
            oldest_age_seconds=ages.get(c.name),
            dlq_oldest_age_seconds=ages.get(c.dlq_name) if c.dlq_name else None,
        )
        for c in counted
    ]


def oldest_ages(cloudwatch: Any, names: Iterable[str], *, now: datetime) -> dict[str, float]:
    """The latest ApproximateAgeOfOldestMessage of each queue that has one, in seconds."""
    ids = {f"q{index}": name for index, name in enumerate(names)}
    if not ids:
        return {}
    queries = [_age_query(query_id, name) for query_id, name in ids.items()]
    ages: dict[str, float] = {}
    # Unknown rather than failed: the counts are worth showing without the ages.
    with contextlib.suppress(BotoCoreError, ClientError):
        answer = cloudwatch.get_metric_data(
            MetricDataQueries=queries,
            StartTime=now - AGE_LOOKBACK,
            EndTime=now,
            ScanBy="TimestampDescending",
        )
        for result in answer.get("MetricDataResults", []):
            values = result.get("Values") or []
            if result.get("Id") in ids and values:
                ages[ids[result["Id"]]] = float(values[0])
    return ages


def _age_query(query_id: str, queue: str) -> dict[str, Any]:
    metric = {
        "Namespace": AGE_NAMESPACE,
        "MetricName": AGE_METRIC,
        "Dimensions": [{"Name": "QueueName", "Value": queue}],
    }
    return {
        "Id": query_id,
        "MetricStat": {"Metric": metric, "Period": AGE_PERIOD_SECONDS, "Stat": "Maximum"},
        "ReturnData": True,
    }


def _counted(sqs: SQSClient, name: str) -> _Counts:
    try:
        pair = dlq.queue_pair(sqs, name)
    except dlq.NotADeadLetterSource:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return _Counts(name, _attributes(sqs, url), None, None)
    return _Counts(
        pair.name, _attributes(sqs, pair.url), pair.dlq_name, _attributes(sqs, pair.dlq_url)
    )


def _attributes(sqs: SQSClient, url: str) -> dict[str, int]:
    answer = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=_COUNTS)
    found = answer.get("Attributes", {})
    return {name: int(found.get(name, "0")) for name in _COUNTS}


def _depth(attributes: dict[str, int] | None) -> int | None:
    if attributes is None:
        return None
    return sum(attributes.values())
