"""Creates Conveyor's AWS resources on an emulator; safe to run again.

    python -m conveyor_aws.bootstrap [--prefix P] [--bucket B] [--sender S]
        [--uploads-cors-origin ORIGIN ...]

prints the environment the services need, one KEY=value a line. The uploads bucket's
CORS origins default to UPLOADS_CORS_ORIGINS (separated by commas; none: no CORS rule).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from conveyor_aws import clients
from conveyor_aws.publisher import EVENT_TYPE_ATTRIBUTE
from conveyor_aws.resources import (
    DLQ_RETENTION_SECONDS,
    MAX_RECEIVE_COUNT,
    QUEUE_RETENTION_SECONDS,
    QUEUE_VISIBILITY_TIMEOUT_SECONDS,
    SERVICE_EVENTS,
    UPLOADS_CORS_EXPOSED_HEADERS,
    UPLOADS_CORS_HEADERS,
    UPLOADS_CORS_MAX_AGE_SECONDS,
    UPLOADS_CORS_METHODS,
    UPLOADS_CORS_ORIGINS_VARIABLE,
    ResourceNames,
)
from conveyor_common.exports.model import RETENTION_DAYS
from conveyor_common.imports.model import RETENTION_DAYS as UPLOAD_RETENTION_DAYS

if TYPE_CHECKING:
    from mypy_boto3_sqs.literals import QueueAttributeNameType


def bootstrap(names: ResourceNames, *, uploads_cors_origins: Sequence[str] = ()) -> dict[str, str]:
    topic_arn = clients.sns().create_topic(Name=names.topic)["TopicArn"]
    env = {"EVENTS_TOPIC_ARN": topic_arn}
    for service, event_types in SERVICE_EVENTS.items():
        queue_url = _create_queue_with_dlq(names, service)
        _subscribe(topic_arn, queue_url, event_types)
        env[f"{service.upper()}_QUEUE"] = names.queue(service)
    _create_bucket(names.bucket)
    _create_uploads_bucket(names.uploads_bucket)
    _set_uploads_cors(names.uploads_bucket, uploads_cors_origins)
    _create_table(names.table)
    clients.ses().verify_email_identity(EmailAddress=names.sender)
    env |= {"EXPORTS_BUCKET": names.bucket, "STATE_TABLE": names.table, "SES_SENDER": names.sender}
    env["UPLOADS_BUCKET"] = names.uploads_bucket
    return env


def _queue_arn(queue_url: str) -> str:
    attributes = clients.sqs().get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def _create_queue_with_dlq(names: ResourceNames, service: str) -> str:
    sqs = clients.sqs()
    dlq_url = sqs.create_queue(
        QueueName=names.dead_letter_queue(service),
        Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)},
    )["QueueUrl"]
    attributes: dict[QueueAttributeNameType, str] = {
        "VisibilityTimeout": str(QUEUE_VISIBILITY_TIMEOUT_SECONDS),
        "MessageRetentionPeriod": str(QUEUE_RETENTION_SECONDS),
        "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": _queue_arn(dlq_url), "maxReceiveCount": MAX_RECEIVE_COUNT}
        ),
    }
    queue_url = sqs.create_queue(QueueName=names.queue(service))["QueueUrl"]
    # Set separately so a re-run converges an existing queue to these values.
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes=attributes)
    return queue_url


def _subscribe(topic_arn: str, queue_url: str, event_types: tuple[str, ...]) -> None:
    sns, sqs = clients.sns(), clients.sqs()
    queue_arn = _queue_arn(queue_url)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
    existing = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    arn = next((s["SubscriptionArn"] for s in existing if s["Endpoint"] == queue_arn), None)
    if arn is None:
        arn = sns.subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
    sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="RawMessageDelivery", AttributeValue="true"
    )
    sns.set_subscription_attributes(
        SubscriptionArn=arn,
        AttributeName="FilterPolicy",
        AttributeValue=json.dumps({EVENT_TYPE_ATTRIBUTE: list(event_types)}),
    )


def _block_public_access(bucket: str) -> None:
    clients.s3().put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def _create_bucket(bucket: str) -> None:
    """Exports: never public (links are presigned), gone after their retention."""
    s3 = clients.s3()
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket)
    _block_public_access(bucket)
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-exports",
                    "Status": "Enabled",
                    "Filter": {"Prefix": "exports/"},
                    "Expiration": {"Days": RETENTION_DAYS},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                }
            ]
        },
    )


def _create_uploads_bucket(bucket: str) -> None:
    """Uploaded files and their error reports: never public, gone after their retention,
    and no multipart upload left open by an upload that was cut short."""
    s3 = clients.s3()
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket)
    _block_public_access(bucket)
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-uploads",
                    "Status": "Enabled",
                    "Filter": {"Prefix": "uploads/"},
                    "Expiration": {"Days": UPLOAD_RETENTION_DAYS},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                }
            ]
        },
    )


def _set_uploads_cors(bucket: str, origins: Sequence[str]) -> None:
    """Lets pages of these origins POST to the presigned form; with no origin, removes
    the rule, so that a run converges the bucket to the origins it is given."""
    s3 = clients.s3()
    if not origins:
        s3.delete_bucket_cors(Bucket=bucket)
        return
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "ID": "presigned-uploads",
                    "AllowedOrigins": list(origins),
                    "AllowedMethods": list(UPLOADS_CORS_METHODS),
                    "AllowedHeaders": list(UPLOADS_CORS_HEADERS),
                    "ExposeHeaders": list(UPLOADS_CORS_EXPOSED_HEADERS),
                    "MaxAgeSeconds": UPLOADS_CORS_MAX_AGE_SECONDS,
                }
            ]
        },
    )


def cors_origins(raw: str | None) -> list[str]:
    """Origins separated by commas (an environment variable's value); blanks dropped."""
    return [origin.strip() for origin in (raw or "").split(",") if origin.strip()]


def _create_table(table: str) -> None:
    dynamodb = clients.dynamodb()
    try:
        dynamodb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
    except dynamodb.exceptions.ResourceInUseException:
        return
    dynamodb.get_waiter("table_exists").wait(TableName=table)
    dynamodb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    defaults = ResourceNames()
    parser.add_argument("--prefix", default=defaults.prefix)
    parser.add_argument("--bucket", default=defaults.bucket)
    parser.add_argument("--sender", default=defaults.sender)
    parser.add_argument(
        "--uploads-cors-origin",
        action="append",
        dest="origins",
        help="an origin (scheme://host[:port]) whose pages may POST presigned uploads",
    )
    args = parser.parse_args()
    names = ResourceNames(prefix=args.prefix, bucket=args.bucket, sender=args.sender)
    origins = args.origins or cors_origins(os.environ.get(UPLOADS_CORS_ORIGINS_VARIABLE))
    env = bootstrap(names, uploads_cors_origins=origins)
    for key, value in env.items():
        print(f"{key}={value}")


if __name__ == "__main__":
    main()
