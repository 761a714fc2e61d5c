"""Lazily created, shared boto3 clients.

botocore reads AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) by itself, so
the same code talks to AWS, moto server or LocalStack with no branch here.
Clients are thread-safe once built; building them is not, hence the lock.
"""

from __future__ import annotations

import os
import threading
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

# Enough pooled connections for a busy API worker's thread pool.
MAX_POOL_CONNECTIONS = 64
MAX_ATTEMPTS = 5
DEFAULT_REGION = "us-east-1"

_lock = threading.Lock()


def _config(service: str) -> Config:
    extra: dict[str, Any] = {}
    if service == "s3" and os.environ.get("AWS_ENDPOINT_URL"):
        # Emulators serve buckets by path, not by virtual host.
        extra["s3"] = {"addressing_style": "path"}
    return Config(
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
        max_pool_connections=MAX_POOL_CONNECTIONS,
        **extra,
    )


@cache
def _client(service: str) -> Any:
    with _lock:
        region = (
            os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
        )
        return boto3.session.Session().client(  # type: ignore[call-overload]
            service, region_name=region, config=_config(service)
        )


def sns() -> SNSClient:
    client: SNSClient = _client("sns")
    return client


def sqs() -> SQSClient:
    client: SQSClient = _client("sqs")
    return client


def s3() -> S3Client:
    client: S3Client = _client("s3")
    return client


def dynamodb() -> DynamoDBClient:
    client: DynamoDBClient = _client("dynamodb")
    return client


def ses() -> SESClient:
    client: SESClient = _client("ses")
    return client


def reset() -> None:
    """Forget every client, e.g. after the endpoint changed in a test."""
    _client.cache_clear()
