"""The oldest message's age, from CloudWatch, unknown when CloudWatch has none."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from conveyor_cli.queue_stats import AGE_LOOKBACK, oldest_ages
from conveyor_common.clock import utc_now


class FakeCloudWatch:
    def __init__(self, answer: dict[str, Any] | Exception) -> None:
        self.answer = answer
        self.asked: dict[str, Any] = {}

    def get_metric_data(self, **request: Any) -> dict[str, Any]:
        self.asked = request
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_oldest_ages_take_each_queues_latest_datapoint() -> None:
    now = utc_now()
    cloudwatch = FakeCloudWatch(
        {
            "MetricDataResults": [
                {"Id": "q0", "Values": [42.0, 30.0]},
                {"Id": "q1", "Values": []},
            ]
        }
    )

    ages = oldest_ages(cloudwatch, ["work", "work-dlq"], now=now)

    assert ages == {"work": 42.0}
    queries = cloudwatch.asked["MetricDataQueries"]
    assert [q["MetricStat"]["Metric"]["Dimensions"] for q in queries] == [
        [{"Name": "QueueName", "Value": "work"}],
        [{"Name": "QueueName", "Value": "work-dlq"}],
    ]
    assert cloudwatch.asked["StartTime"] == now - AGE_LOOKBACK
    assert cloudwatch.asked["ScanBy"] == "TimestampDescending"
    assert timedelta(minutes=5) <= AGE_LOOKBACK


def test_ages_are_unknown_when_cloudwatch_refuses() -> None:
    refusal = ClientError({"Error": {"Code": "AccessDenied"}}, "GetMetricData")

    assert oldest_ages(FakeCloudWatch(refusal), ["work"], now=utc_now()) == {}
    assert oldest_ages(FakeCloudWatch({}), [], now=utc_now()) == {}
