"""Readiness checks: can this instance reach PostgreSQL and AWS right now?

Each check fails fast (a couple of seconds at most) so an orchestrator's probe
gets an answer before its own timeout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import boto3
from botocore.config import Config

from conveyor_producer.database import Database
from conveyor_producer.settings import ProducerSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient

CHECK_TIMEOUT_SECONDS = 2


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
        self._database.ping(timeout_seconds=CHECK_TIMEOUT_SECONDS)

    def close(self) -> None:
        pass


class AwsCheck:
    name = "aws"

    def __init__(self, settings: ProducerSettings) -> None:
        self._table = settings.state_table
        self._topic_arn = settings.events_topic_arn
        session = boto3.session.Session(region_name=settings.aws_region)
        # One attempt with short timeouts: the service's own clients retry, a probe must not.
        config = Config(
            connect_timeout=CHECK_TIMEOUT_SECONDS,
            read_timeout=CHECK_TIMEOUT_SECONDS,
            retries={"max_attempts": 1, "mode": "standard"},
        )
        endpoint = str(settings.aws_endpoint_url) if settings.aws_endpoint_url else None
        self._dynamodb: DynamoDBClient = session.client(
            "dynamodb", config=config, endpoint_url=endpoint
        )
        self._sns: SNSClient = session.client("sns", config=config, endpoint_url=endpoint)

    def open(self) -> None:
        pass

    def check(self) -> None:
        self._dynamodb.describe_table(TableName=self._table)
        self._sns.get_topic_attributes(TopicArn=self._topic_arn)

    def close(self) -> None:
        self._dynamodb.close()
        self._sns.close()


def default_checks(settings: ProducerSettings, database: Database) -> list[ReadinessCheck]:
    return [DatabaseCheck(database), AwsCheck(settings)]
