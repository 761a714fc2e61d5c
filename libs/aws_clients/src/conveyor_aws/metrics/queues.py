"""Each queue's depth, from SQS's approximate counts, sampled at most every 15 s.

SQS's GetQueueAttributes gives no age for the oldest message (only CloudWatch's
ApproximateAgeOfOldestMessage does), so that age is not reported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from conveyor_aws.metrics.sampling import Sampled

# SQS attribute -> the `state` label of conveyor_queue_messages.
STATES = {
    "ApproximateNumberOfMessages": "visible",
    "ApproximateNumberOfMessagesNotVisible": "in_flight",
    "ApproximateNumberOfMessagesDelayed": "delayed",
}

# queue name -> state -> messages
QueueCounts = dict[str, dict[str, int]]


def read_counts(queues: Mapping[str, Any]) -> QueueCounts:
    """Each queue's counts; `queues` maps names to boto3 Queue resources, whose
    client (unlike the resource) may be used from the metrics server's thread."""
    counts: QueueCounts = {}
    for name, queue in queues.items():
        attributes = queue.meta.client.get_queue_attributes(
            QueueUrl=queue.url, AttributeNames=list(STATES)
        )["Attributes"]
        counts[name] = {state: int(attributes.get(key, 0)) for key, state in STATES.items()}
    return counts


class QueueCollector(Collector):
    """conveyor_queue_messages{queue,state} for each queue a worker consumes, and its DLQ."""

    def __init__(self, queues: Callable[[], Mapping[str, Any]], **sampling: Any) -> None:
        self._counts: Sampled[QueueCounts] = Sampled(
            lambda: read_counts(queues()), empty={}, **sampling
        )

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "conveyor_queue_messages",
            "Messages on each queue and DLQ, by state, as SQS approximates them.",
            labels=["queue", "state"],
        )
        for queue, states in sorted(self._counts.get().items()):
            for state, count in states.items():
                family.add_metric([queue, state], count)
        yield family


def broker_queues(broker: Any) -> Callable[[], dict[str, Any]]:
    """The queues and DLQs the broker has found so far (none before it consumes)."""

    def found() -> dict[str, Any]:
        queues = dict(broker.queues)
        return queues | {_name(dlq): dlq for dlq in list(broker.dead_letter_queues.values())}

    return found


def _name(queue: Any) -> str:
    return str(queue.url).rsplit("/", 1)[-1]
