"""SQS and the job catalogue are read at most once every 15 s, however often Prometheus scrapes."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry

from conveyor_aws.metrics.queues import QueueCollector
from conveyor_aws.metrics.sampling import SAMPLE_INTERVAL_SECONDS, Sampled


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Reads:
    def __init__(self, *, fail: bool = False) -> None:
        self.count = 0
        self.fail = fail

    def __call__(self) -> int:
        self.count += 1
        if self.fail:
            raise ConnectionError("SQS unreachable")
        return self.count


def test_a_value_is_read_again_only_once_the_interval_has_passed() -> None:
    clock, reads = FakeClock(), Reads()
    sampled = Sampled(reads, empty=0, clock=clock)

    first = sampled.get()
    clock.now += SAMPLE_INTERVAL_SECONDS - 0.1
    cached = sampled.get()
    clock.now += 0.1
    fresh = sampled.get()

    assert (first, cached, fresh) == (1, 1, 2)
    assert reads.count == 2


def test_a_failed_read_gives_the_empty_value_and_is_not_retried_sooner() -> None:
    clock, reads = FakeClock(), Reads(fail=True)
    sampled = Sampled(reads, empty=-1, clock=clock)

    assert sampled.get() == -1
    clock.now += SAMPLE_INTERVAL_SECONDS / 2
    assert sampled.get() == -1
    assert reads.count == 1


class FakeSqsClient:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def get_queue_attributes(self, *, QueueUrl: str, AttributeNames: list[str]) -> Any:  # noqa: N803 - boto3's names
        self.calls.append(QueueUrl)
        return {
            "Attributes": {
                "ApproximateNumberOfMessages": "3",
                "ApproximateNumberOfMessagesNotVisible": "1",
                "ApproximateNumberOfMessagesDelayed": "0",
            }
        }


class FakeQueue:
    def __init__(self, client: FakeSqsClient, name: str) -> None:
        self.url = f"http://sqs/123/{name}"
        self.meta = type("Meta", (), {"client": client})()


def test_queue_gauges_are_scraped_from_a_sample_of_sqs_attributes() -> None:
    clock, client = FakeClock(), FakeSqsClient()
    queues = {name: FakeQueue(client, name) for name in ("orders", "orders-dlq")}
    registry = CollectorRegistry()
    registry.register(QueueCollector(lambda: queues, clock=clock))

    for _ in range(3):
        visible = registry.get_sample_value(
            "conveyor_queue_messages", {"queue": "orders-dlq", "state": "visible"}
        )
    in_flight = registry.get_sample_value(
        "conveyor_queue_messages", {"queue": "orders", "state": "in_flight"}
    )

    assert (visible, in_flight) == (3, 1)
    # Three scrapes, one read of each queue.
    assert sorted(client.calls) == [queues["orders"].url, queues["orders-dlq"].url]
