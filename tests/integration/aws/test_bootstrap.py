"""The emulator bootstrap converges to the same resources however often it runs."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conveyor_aws import clients
from conveyor_aws.bootstrap import bootstrap
from conveyor_aws.resources import (
    MAX_RECEIVE_COUNT,
    QUEUE_RETENTION_SECONDS,
    QUEUE_VISIBILITY_TIMEOUT_SECONDS,
    SERVICE_EVENTS,
    UPLOADS_CORS_MAX_AGE_SECONDS,
    UPLOADS_CORS_METHODS,
    ResourceNames,
)
from conveyor_common.exports.model import RETENTION_DAYS
from conveyor_common.imports.model import RETENTION_DAYS as UPLOAD_RETENTION_DAYS

pytestmark = pytest.mark.integration


def test_running_the_bootstrap_again_changes_nothing(aws: dict[str, str]) -> None:
    # given the resources the session already bootstrapped
    names = ResourceNames()
    # when the bootstrap runs again
    env = bootstrap(names)
    # then it reports the same environment
    assert {key: aws[key] for key in env} == env
    sqs, sns = clients.sqs(), clients.sns()
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=env["EVENTS_TOPIC_ARN"])
    by_endpoint = {s["Endpoint"].rsplit(":", 1)[-1]: s for s in subscriptions["Subscriptions"]}
    # and each service still has exactly one filtered, raw subscription and a DLQ
    assert sorted(by_endpoint) == sorted(names.queue(service) for service in SERVICE_EVENTS)
    for service, event_types in SERVICE_EVENTS.items():
        url = sqs.get_queue_url(QueueName=names.queue(service))["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["VisibilityTimeout"] == str(QUEUE_VISIBILITY_TIMEOUT_SECONDS)
        assert attributes["MessageRetentionPeriod"] == str(QUEUE_RETENTION_SECONDS)
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["maxReceiveCount"] == MAX_RECEIVE_COUNT
        assert redrive["deadLetterTargetArn"].endswith(names.dead_letter_queue(service))
        subscription = by_endpoint[names.queue(service)]
        sub_attributes = sns.get_subscription_attributes(
            SubscriptionArn=subscription["SubscriptionArn"]
        )["Attributes"]
        assert sub_attributes["RawMessageDelivery"] == "true"
        assert json.loads(sub_attributes["FilterPolicy"]) == {"event_type": list(event_types)}


def test_exported_files_expire_when_their_exports_do(aws: dict[str, str]) -> None:
    # the bucket's lifecycle rule is the exports' one retention period
    rules = clients.s3().get_bucket_lifecycle_configuration(Bucket=aws["EXPORTS_BUCKET"])["Rules"]
    [expiry] = [rule for rule in rules if rule.get("ID") == "expire-exports"]
    assert expiry["Expiration"]["Days"] == RETENTION_DAYS


def test_uploads_are_private_and_expire_with_their_imports(aws: dict[str, str]) -> None:
    s3 = clients.s3()
    bucket = aws["UPLOADS_BUCKET"]
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    [expiry] = [rule for rule in rules if rule.get("ID") == "expire-uploads"]
    assert expiry["Expiration"]["Days"] == UPLOAD_RETENTION_DAYS
    assert expiry["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())


def test_the_uploads_bucket_lets_the_configured_origins_post_and_no_other(
    aws: dict[str, str],
) -> None:
    s3 = clients.s3()
    bucket = aws["UPLOADS_BUCKET"]
    origins = ["https://app.example.com", "http://localhost:5173"]
    try:
        # when the bootstrap runs with origins
        bootstrap(ResourceNames(), uploads_cors_origins=origins)
        # then the bucket has one rule for them: POST, any request header, ETag readable
        [rule] = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
        assert rule["AllowedOrigins"] == origins
        assert rule["AllowedMethods"] == list(UPLOADS_CORS_METHODS)
        assert rule["AllowedHeaders"] == ["*"]
        assert rule["ExposeHeaders"] == ["ETag"]
        assert rule["MaxAgeSeconds"] == UPLOADS_CORS_MAX_AGE_SECONDS
    finally:
        # and when it runs again without any, the bucket converges to no CORS rule
        bootstrap(ResourceNames())
    with pytest.raises(ClientError) as missing:
        s3.get_bucket_cors(Bucket=bucket)
    assert missing.value.response["Error"]["Code"] == "NoSuchCORSConfiguration"
