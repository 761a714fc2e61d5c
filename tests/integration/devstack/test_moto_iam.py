"""moto server as the devstack runs it, with IAM enforced: SNS, DynamoDB, SES and
sqs:GetQueueUrl are authorised against the resource's own ARN, as on AWS, so a grant
scoped to one topic, table, sender or queue allows it and nothing else."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from conveyor_devstack.moto_server import MotoServer

pytestmark = pytest.mark.integration

REGION = "us-east-1"


@pytest.fixture(scope="module")
def enforced() -> Iterator[tuple[MotoServer, dict[str, str]]]:
    """A server with two of each resource and a user granted only the first ones."""
    with MotoServer() as server:
        sns, ddb, ses, sqs = (server.client(s) for s in ("sns", "dynamodb", "ses", "sqs"))
        topics = [sns.create_topic(Name=f"topic-{n}")["TopicArn"] for n in (1, 2)]
        tables = []
        for n in (1, 2):
            table = ddb.create_table(
                TableName=f"table-{n}",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            tables.append(table["TableDescription"]["TableArn"])
        for n in (1, 2):
            ses.verify_email_identity(EmailAddress=f"sender-{n}@example.com")
            sqs.create_queue(QueueName=f"queue-{n}")
        account = topics[0].split(":")[4]
        grants = [
            ("sns:Publish", topics[0]),
            ("dynamodb:DescribeTable", tables[0]),
            ("ses:SendEmail", f"arn:aws:ses:{REGION}:{account}:identity/sender-1@example.com"),
            ("sqs:GetQueueUrl", f"arn:aws:sqs:{REGION}:{account}:queue-1"),
            ("dynamodb:BatchWriteItem", tables[0]),
        ]
        keys = user_with(
            server, [{"Effect": "Allow", "Action": a, "Resource": r} for a, r in grants]
        )
        server.enforce_iam()
        yield server, keys | {"topic-1": topics[0], "topic-2": topics[1]}


def user_with(server: MotoServer, statements: list[dict[str, str]]) -> dict[str, str]:
    iam = server.client("iam")
    iam.create_user(UserName="scoped")
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    iam.put_user_policy(UserName="scoped", PolicyName="scoped", PolicyDocument=document)
    key = iam.create_access_key(UserName="scoped")["AccessKey"]
    return {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def as_user(enforced: tuple[MotoServer, dict[str, str]]) -> Callable[[str], Any]:
    server, keys = enforced

    def client(service: str) -> Any:
        return boto3.session.Session().client(  # type: ignore[call-overload]
            service,
            endpoint_url=server.url,
            region_name=REGION,
            aws_access_key_id=keys["id"],
            aws_secret_access_key=keys["secret"],
        )

    return client


def denied(call: Callable[[], Any]) -> bool:
    """Refused as IAM refuses: a 403 (moto answers JSON-protocol services in XML, which
    botocore reads as the bare status)."""
    try:
        call()
    except ClientError as error:
        return bool(error.response["ResponseMetadata"]["HTTPStatusCode"] == 403)
    return False


def test_publish_is_allowed_on_the_granted_topic_only(
    enforced: tuple[MotoServer, dict[str, str]],
) -> None:
    sns, topics = as_user(enforced)("sns"), enforced[1]
    sns.publish(TopicArn=topics["topic-1"], Message="m")
    assert denied(lambda: sns.publish(TopicArn=topics["topic-2"], Message="m"))


def test_describe_table_is_allowed_on_the_granted_table_only(
    enforced: tuple[MotoServer, dict[str, str]],
) -> None:
    ddb = as_user(enforced)("dynamodb")
    ddb.describe_table(TableName="table-1")
    assert denied(lambda: ddb.describe_table(TableName="table-2"))


def test_send_email_is_allowed_from_the_granted_sender_only(
    enforced: tuple[MotoServer, dict[str, str]],
) -> None:
    ses = as_user(enforced)("ses")

    def send(source: str) -> Any:
        message = {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}
        return ses.send_email(
            Source=source, Destination={"ToAddresses": ["to@example.com"]}, Message=message
        )

    send("Conveyor <sender-1@example.com>")
    assert denied(lambda: send("sender-2@example.com"))


def test_get_queue_url_is_allowed_for_the_granted_queue_only(
    enforced: tuple[MotoServer, dict[str, str]],
) -> None:
    sqs = as_user(enforced)("sqs")
    assert sqs.get_queue_url(QueueName="queue-1")["QueueUrl"].endswith("/queue-1")
    assert denied(lambda: sqs.get_queue_url(QueueName="queue-2"))


def test_batch_write_item_is_allowed_on_the_granted_table_only(
    enforced: tuple[MotoServer, dict[str, str]],
) -> None:
    ddb = as_user(enforced)("dynamodb")

    def put(table: str) -> Any:
        return ddb.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]}
        )

    assert put("table-1")["UnprocessedItems"] == {}
    assert denied(lambda: put("table-2"))
