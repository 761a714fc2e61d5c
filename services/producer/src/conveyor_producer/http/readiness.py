"""Readiness: can this instance reach PostgreSQL and AWS right now?

A probe gets its answer within READINESS_DEADLINE_SECONDS whatever the
dependencies do: the checks run concurrently, each on a thread of its own, and
one that has not answered by then is reported as failing. A check still running
from an earlier probe is awaited again rather than started twice, so a hung
dependency holds at most one thread per check, and only until its own short
timeouts end it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future, wait
from typing import TYPE_CHECKING, Protocol

import anyio

from conveyor_aws import clients
from conveyor_producer.database import Database
from conveyor_producer.outages import DependencyUnavailable
from conveyor_producer.settings import ProducerSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient

# Orchestrators' probes commonly give up after 1 to 2 s; answer before that.
READINESS_DEADLINE_SECONDS = 1.5
# Threads that wait for the checks' outcomes, apart from the request handlers' threads.
REPORTING_THREADS = 2


class ReadinessCheck(Protocol):
    name: str

    def open(self) -> None: ...

    def check(self) -> None:
        """Returns if the dependency answers; raises otherwise."""
        ...

    def close(self) -> None: ...


class DatabaseCheck:
    """Probes the pool the API queries with; the app opens and closes that pool."""

    name = "database"

    def __init__(self, database: Database) -> None:
        self._database = database

    def open(self) -> None:
        pass

    def check(self) -> None:
        self._database.ping(timeout_seconds=READINESS_DEADLINE_SECONDS)

    def close(self) -> None:
        pass


class AwsCheck:
    name = "aws"

    def __init__(self, settings: ProducerSettings) -> None:
        self._table = settings.state_table
        self._topic_arn = settings.events_topic_arn
        # Clients of its own, with one short attempt: the service's clients retry, a probe must not.
        self._dynamodb: DynamoDBClient = clients.build("dynamodb", clients.PROBE_PROFILE)
        self._sns: SNSClient = clients.build("sns", clients.PROBE_PROFILE)

    def open(self) -> None:
        pass

    def check(self) -> None:
        # Both calls together within the probe's deadline, so the thread is free again by then.
        with clients.deadline(READINESS_DEADLINE_SECONDS):
            self._dynamodb.describe_table(TableName=self._table)
            self._sns.get_topic_attributes(TopicArn=self._topic_arn)

    def close(self) -> None:
        self._dynamodb.close()
        self._sns.close()


class ReadinessService:
    def __init__(
        self,
        checks: Sequence[ReadinessCheck],
        *,
        deadline_seconds: float = READINESS_DEADLINE_SECONDS,
    ) -> None:
        self.checks = list(checks)
        self.deadline_seconds = deadline_seconds
        # For the route: waiting for a report must not queue behind requests stuck on AWS.
        self.threads = anyio.CapacityLimiter(REPORTING_THREADS)
        self._lock = threading.Lock()
        self._running: dict[str, Future[None]] = {}

    def report(self) -> dict[str, str]:
        """Every check's outcome within the deadline; raises naming each failing dependency."""
        outcomes = {check.name: self._run(check) for check in self.checks}
        wait(outcomes.values(), timeout=self.deadline_seconds)
        failures: dict[str, str] = {}
        for name, outcome in outcomes.items():
            if not outcome.done():
                failures[name] = f"no answer within {self.deadline_seconds} s"
            elif (exc := outcome.exception()) is not None:
                failures[name] = f"{type(exc).__name__}: {exc}"
        if failures:
            detail = "; ".join(f"{name}: {reason}" for name, reason in sorted(failures.items()))
            raise DependencyUnavailable("not ready", detail)
        return {check.name: "ok" for check in self.checks}

    def _run(self, check: ReadinessCheck) -> Future[None]:
        """The check's outcome: the run still under way, or a new one."""
        with self._lock:
            running = self._running.get(check.name)
            if running is not None and not running.done():
                return running
            outcome: Future[None] = Future()
            outcome.set_running_or_notify_cancel()
            self._running[check.name] = outcome
        threading.Thread(
            target=_check_into, args=(check, outcome), name=f"ready-{check.name}", daemon=True
        ).start()
        return outcome


def _check_into(check: ReadinessCheck, outcome: Future[None]) -> None:
    try:
        check.check()
    except Exception as exc:  # any failure means not ready; the reason is reported
        outcome.set_exception(exc)
    else:
        outcome.set_result(None)
