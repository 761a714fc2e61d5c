"""Worker liveness against moto server: the health check passes while a worker's
consumer receives, and fails, within its bound, once the consumer cannot.

The real worker processes are checked with the very command docker-compose.yml
gives their containers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import yaml

from conveyor_aws import clients
from conveyor_aws.broker.envelope_broker import EnvelopeBroker, MissingQueue
from conveyor_aws.broker.liveness import (
    DRAMATIQ_PASS_SECONDS,
    EXIT_ALIVE,
    EXIT_NOT_ALIVE,
    MIN_MAX_AGE_SECONDS,
    last_recorded,
    problem,
)
from conveyor_aws.broker.liveness_recorder import LivenessRecorder
from conveyor_common.clock import utc_now
from conveyor_common.events import OrderSubmitted
from conveyor_devstack.services import WORKER_READY_MARK, ServiceProcess

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
# Short, so that a failing consumer shows soon: the shortest bound the settings allow,
# and a second for a busy machine.
MAX_AGE_SECONDS = MIN_MAX_AGE_SECONDS + 1
# Scheduling on a busy machine, on top of the bound and one consumer pass.
SLACK_SECONDS = 3.0
START_TIMEOUT_SECONDS = 30
POLL_SECONDS = 0.1
# dramatiq's message when its consumer fails and is started again.
CONSUMER_FAILED_MARK = "Consumer encountered an unexpected error"
STOP_WAIT_MS = 500


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}")
        time.sleep(POLL_SECONDS)


def compose_check(service: str) -> list[str]:
    """The container health check docker-compose.yml gives the service, without CMD."""
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    test: list[str] = compose["services"][service]["healthcheck"]["test"]
    assert test[0] == "CMD"
    return [sys.executable if part == "python" else part for part in test[1:]]


def run_check(service: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        compose_check(service), env=env, capture_output=True, text=True, timeout=60
    )


def alive(path: Path) -> bool:
    found = problem(last_recorded(path), now=utc_now(), max_age_seconds=MAX_AGE_SECONDS)
    return found is None


@pytest.fixture
def worker_env(aws: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LIVENESS_FILE": str(tmp_path / "worker.alive"),
        "LIVENESS_MAX_AGE_SECONDS": str(MAX_AGE_SECONDS),
        "SKIP_SES": "true",
        "WORKER_THREADS": "1",
        "EXPORT_TEMP_DIR": str(tmp_path / "exports"),
        "LOG_JSON": "false",
        # Where the processor's e-mailed links would lead; no test here follows one.
        "PUBLIC_API_URL": "http://127.0.0.1:8000",
    }


@pytest.fixture
def services(tmp_path: Path) -> Iterator[list[ServiceProcess]]:
    """The worker processes a test starts; each is stopped after it, and must stop cleanly."""
    started: list[ServiceProcess] = []
    yield started
    codes = [service.stop() for service in started]
    assert codes == [0] * len(started)


def start(
    services: list[ServiceProcess], name: str, *, env: dict[str, str], log_dir: Path
) -> ServiceProcess:
    service = ServiceProcess(name, f"conveyor_{name}", env=env, log_dir=log_dir).start()
    services.append(service)
    return service


def test_a_processor_that_receives_is_alive(
    worker_env: dict[str, str],
    database_url: str,
    services: list[ServiceProcess],
    tmp_path: Path,
) -> None:
    # given a processor process consuming its queue
    processor = start(
        services, "processor", env=worker_env | {"DATABASE_URL": database_url}, log_dir=tmp_path
    )
    processor.wait_until(WORKER_READY_MARK, timeout_seconds=START_TIMEOUT_SECONDS)

    # when its container's health check runs, then it passes
    check = run_check("processor", worker_env)
    assert (check.returncode, check.stdout) == (EXIT_ALIVE, "processor alive\n")


def test_a_notifier_is_not_alive_until_its_missing_queue_exists(
    worker_env: dict[str, str], services: list[ServiceProcess], tmp_path: Path
) -> None:
    # given a notifier pointed at a queue that does not exist, whose earlier run left a
    # record behind
    Path(worker_env["LIVENESS_FILE"]).write_text(utc_now().isoformat(), encoding="utf-8")
    queue_name = f"liveness-{uuid.uuid4().hex}"
    env = worker_env | {"NOTIFIER_QUEUE": queue_name}
    notifier = start(services, "notifier", env=env, log_dir=tmp_path)

    # when its consumer has failed, and is being started again by dramatiq
    notifier.wait_until(CONSUMER_FAILED_MARK, timeout_seconds=START_TIMEOUT_SECONDS)
    check = run_check("notifier", env)

    # then the process is up, but neither says it started nor passes its check
    assert notifier.process is not None
    assert notifier.process.poll() is None
    assert f"SQS queue '{queue_name}' does not exist" in notifier.log()
    assert WORKER_READY_MARK not in notifier.log()
    assert check.returncode == EXIT_NOT_ALIVE
    assert "notifier not alive: its consumer has not received from SQS yet" in check.stderr

    # and once the queue exists, the next consumer receives from it, and the check passes
    a_queue_with_its_dlq(queue_name)
    notifier.wait_until(WORKER_READY_MARK, timeout_seconds=START_TIMEOUT_SECONDS)
    recovered = run_check("notifier", env)
    assert (recovered.returncode, recovered.stdout) == (EXIT_ALIVE, "notifier alive\n")


def a_queue_with_its_dlq(name: str | None = None) -> tuple[str, str]:
    """A pair of the test's own, so that deleting it leaves the shared queues alone."""
    sqs, name = clients.sqs(), name or f"liveness-{uuid.uuid4().hex}"
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    redrive = {"deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"], "maxReceiveCount": 3}
    sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": json.dumps(redrive)})
    return name, dlq_url


def a_broker(queue_name: str, liveness: LivenessRecorder) -> EnvelopeBroker:
    broker = EnvelopeBroker(service="test", visibility_timeout_seconds=30, liveness=liveness)

    def ignore(envelope_json: str) -> None:
        pass

    dramatiq.actor(actor_name=OrderSubmitted.event_type, queue_name=queue_name, broker=broker)(
        ignore
    )
    return broker


def test_a_consumer_that_loses_its_queue_is_not_alive_within_the_bound(
    aws: dict[str, str], tmp_path: Path
) -> None:
    # given a worker consuming a queue, alive for longer than the bound
    queue_name, _ = a_queue_with_its_dlq()
    path = tmp_path / "worker.alive"
    broker = a_broker(queue_name, LivenessRecorder(path))
    worker = dramatiq.Worker(broker, queues={queue_name}, worker_threads=1)
    worker.start()
    try:
        assert broker.liveness.consuming.wait(START_TIMEOUT_SECONDS)
        watch_until = time.monotonic() + MAX_AGE_SECONDS
        while time.monotonic() < watch_until:
            assert alive(path)
            time.sleep(POLL_SECONDS)

        # when its queue is deleted, so that every receive fails
        url = clients.sqs().get_queue_url(QueueName=queue_name)["QueueUrl"]
        clients.sqs().delete_queue(QueueUrl=url)
        deleted_at = time.monotonic()

        # then the record ages past the bound: soon after it, not later
        # (a receive under way when the queue went may still have been recorded)
        bound = MAX_AGE_SECONDS + DRAMATIQ_PASS_SECONDS + SLACK_SECONDS
        wait_for(lambda: not alive(path), seconds=bound, what="the liveness check to fail")
        assert time.monotonic() - deleted_at >= MAX_AGE_SECONDS - DRAMATIQ_PASS_SECONDS
    finally:
        # Its consumer thread sleeps out dramatiq's 3 s restart delay, then ends by itself.
        worker.stop(timeout=STOP_WAIT_MS)


def test_a_missing_dlq_stops_the_consumer_before_it_records(aws: dict[str, str]) -> None:
    # given a queue whose DLQ has been deleted
    queue_name, dlq_url = a_queue_with_its_dlq()
    clients.sqs().delete_queue(QueueUrl=dlq_url)
    broker = a_broker(queue_name, LivenessRecorder())

    # when a consumer is made for it, then it fails, and nothing was recorded
    with pytest.raises(MissingQueue, match=r"SQS queue 'liveness-[0-9a-f]+-dlq' does not exist"):
        broker.consume(queue_name)
    assert not broker.liveness.consuming.is_set()
