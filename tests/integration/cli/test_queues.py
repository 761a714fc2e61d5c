"""`conveyor queues` against moto server's SQS and CloudWatch."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from conveyor_aws import clients
from conveyor_aws.resources import ResourceNames
from conveyor_cli.main import cli
from conveyor_cli.queue_stats import AGE_METRIC, AGE_NAMESPACE
from conveyor_common.clock import utc_now

pytestmark = pytest.mark.integration

NAMES = ResourceNames()


def send(queue: str, count: int) -> None:
    sqs = clients.sqs()
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    for index in range(count):
        sqs.send_message(QueueUrl=url, MessageBody=f"message {index}")


def queues(*args: str) -> Any:
    result = CliRunner().invoke(cli, ["queues", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_queues_shows_each_worker_queue_with_its_numbers(aws: dict[str, str]) -> None:
    # given three messages on the processor's queue, one of them taken by a worker,
    # and two parked in the notifier's DLQ
    processor, notifier = NAMES.queue("processor"), NAMES.queue("notifier")
    send(processor, 3)
    sqs = clients.sqs()
    url = sqs.get_queue_url(QueueName=processor)["QueueUrl"]
    taken = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60)
    assert len(taken["Messages"]) == 1
    send(NAMES.dead_letter_queue("notifier"), 2)

    # when the operator looks at the queues
    report = {entry["queue"]: entry for entry in json.loads(queues("--json"))}

    # then each worker queue has its counts and its DLQ's depth, and no age (moto
    # server's CloudWatch has no SQS metrics)
    assert report[processor] == {
        "queue": processor,
        "waiting": 2,
        "inFlight": 1,
        "delayed": 0,
        "dlq": NAMES.dead_letter_queue("processor"),
        "dlqDepth": 0,
        "oldestAgeSeconds": None,
        "dlqOldestAgeSeconds": None,
    }
    assert (report[notifier]["waiting"], report[notifier]["dlqDepth"]) == (0, 2)
    # and looking received nothing: the message taken stays the only one in flight
    assert json.loads(queues("--json"))[0]["inFlight"] == 1

    # and the table says the same to people
    table = queues().splitlines()
    assert table[0].split()[:3] == ["QUEUE", "WAITING", "IN"]
    assert table[1].split()[:4] == [processor, "2", "1", "0"]


def test_queues_reads_the_oldest_age_from_cloudwatch(aws: dict[str, str]) -> None:
    # given a datapoint of SQS's age metric for the processor's DLQ, a minute old as
    # SQS's are (CloudWatch, and moto, leave out a datapoint of the current second)
    dlq = NAMES.dead_letter_queue("processor")
    cloudwatch = clients.build("cloudwatch", clients.WORKER_PROFILE)
    cloudwatch.put_metric_data(
        Namespace=AGE_NAMESPACE,
        MetricData=[
            {
                "MetricName": AGE_METRIC,
                "Dimensions": [{"Name": "QueueName", "Value": dlq}],
                "Timestamp": utc_now() - timedelta(minutes=1),
                "Value": 5400.0,
                "Unit": "Seconds",
            }
        ],
    )

    # when one queue is looked at
    (entry,) = json.loads(queues("--queue", NAMES.queue("processor"), "--json"))

    # then its DLQ's oldest message is 90 minutes old
    assert entry["dlqOldestAgeSeconds"] == 5400.0
    assert "1h 30m" in queues("--queue", NAMES.queue("processor"))


def test_an_unknown_queue_is_an_error_naming_it(aws: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["queues", "--queue", "no-such-queue"])

    assert result.exit_code == 1
    assert "Error: " in result.output
    assert "does not exist" in result.output
