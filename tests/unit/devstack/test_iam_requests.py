"""Recorded AWS calls become the IAM requests AWS would authorise; moto's form of a
policy widens only what the evaluator checks instead."""

from __future__ import annotations

import json

import pytest

from conveyor_devstack.iam.calls import Call, _naming
from conveyor_devstack.iam.moto_view import moto_view
from conveyor_devstack.iam.requests import Account, requests_of

KEY = "arn:aws:kms:us-east-1:123456789012:key/k"
ACCOUNT = Account("123456789012", "us-east-1", {"conveyor-exports": KEY})


def test_a_queue_url_becomes_the_queue_arn_and_a_batch_its_single_action() -> None:
    url = "http://127.0.0.1:5000/123456789012/conveyor-processor-dlq"
    [request] = requests_of(Call("sqs", "DeleteMessageBatch", {"QueueUrl": url}), ACCOUNT)
    assert (request.action, request.resource) == (
        "sqs:DeleteMessage",
        "arn:aws:sqs:us-east-1:123456789012:conveyor-processor-dlq",
    )
    [lookup] = requests_of(
        Call("sqs", "GetQueueUrl", {"QueueName": "conveyor-notifier-dlq"}), ACCOUNT
    )
    assert lookup.resource == "arn:aws:sqs:us-east-1:123456789012:conveyor-notifier-dlq"


def test_sending_an_email_names_the_sender_identity_and_address() -> None:
    call = Call("ses", "SendEmail", {"Source": "Conveyor <no-reply@conveyor.example.com>"})
    [request] = requests_of(call, ACCOUNT)
    assert (
        request.resource
        == "arn:aws:ses:us-east-1:123456789012:identity/no-reply@conveyor.example.com"
    )
    assert request.context == {"ses:FromAddress": "no-reply@conveyor.example.com"}


def test_writing_to_an_encrypted_bucket_uses_the_key_through_s3() -> None:
    call = Call(
        "s3", "CreateMultipartUpload", {"Bucket": "conveyor-exports", "Key": "exports/t/1/a.csv"}
    )
    put, *kms = requests_of(call, ACCOUNT)
    assert (put.action, put.resource) == (
        "s3:PutObject",
        "arn:aws:s3:::conveyor-exports/exports/t/1/a.csv",
    )
    assert {(r.action, r.resource) for r in kms} == {
        ("kms:GenerateDataKey", KEY),
        ("kms:Decrypt", KEY),
    }
    assert all(r.context == {"kms:ViaService": "s3.us-east-1.amazonaws.com"} for r in kms)


def test_a_bucket_without_a_customer_key_needs_no_kms() -> None:
    call = Call(
        "s3", "GetObject", {"Bucket": "conveyor-uploads", "Key": "uploads/x"}, presigned=True
    )
    assert [r.action for r in requests_of(call, ACCOUNT)] == ["s3:GetObject"]


def test_an_unmapped_operation_raises() -> None:
    with pytest.raises(KeyError, match="sqs:PurgeQueue"):
        requests_of(Call("sqs", "PurgeQueue", {"QueueUrl": "http://h/1/q"}), ACCOUNT)


def test_moto_view_adds_operation_names_and_drops_conditions() -> None:
    queue = "arn:aws:sqs:us-east-1:1:q"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Q",
                "Effect": "Allow",
                "Action": ["sqs:GetQueueUrl", "sqs:DeleteMessage"],
                "Resource": queue,
            },
            {
                "Sid": "Mail",
                "Effect": "Allow",
                "Action": "ses:SendEmail",
                "Resource": "arn:aws:ses:us-east-1:1:identity/a@b.c",
                "Condition": {"StringEquals": {"ses:FromAddress": "a@b.c"}},
            },
        ],
    }
    view = moto_view(policy)
    assert view["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["sqs:DeleteMessage", "sqs:DeleteMessageBatch", "sqs:GetQueueUrl"],
            "Resource": queue,
        },
        {
            "Effect": "Allow",
            "Action": ["ses:SendEmail"],
            "Resource": "arn:aws:ses:us-east-1:1:identity/a@b.c",
        },
    ]
    assert "Condition" not in json.dumps(view)


def test_moto_view_refuses_a_deny_it_would_widen() -> None:
    deny = {"Effect": "Deny", "Action": "sns:Publish", "Resource": "arn:aws:sns:us-east-1:1:t"}
    with pytest.raises(ValueError, match="only Allow"):
        moto_view({"Version": "2012-10-17", "Statement": [deny]})


def test_a_publish_batch_needs_sns_publish_on_its_topic() -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:conveyor-events"
    [request] = requests_of(Call("sns", "PublishBatch", {"TopicArn": topic}), ACCOUNT)
    assert (request.action, request.resource) == ("sns:Publish", topic)


def test_a_batch_write_names_each_of_its_tables() -> None:
    recorded = _naming({"RequestItems": {"conveyor-state": [], "other": []}})
    requests = requests_of(Call("dynamodb", "BatchWriteItem", recorded), ACCOUNT)
    assert [(r.action, r.resource) for r in requests] == [
        ("dynamodb:BatchWriteItem", "arn:aws:dynamodb:us-east-1:123456789012:table/conveyor-state"),
        ("dynamodb:BatchWriteItem", "arn:aws:dynamodb:us-east-1:123456789012:table/other"),
    ]
