"""The call recorder: what a botocore client is asked to do, presigned or sent, and
what AWS refused, one JSON line each."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from conveyor_devstack.iam.calls import Call, Recorder, read


def client(service: str) -> Any:
    return boto3.session.Session().client(  # type: ignore[call-overload]
        service,
        region_name="us-east-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
        endpoint_url="http://127.0.0.1:9",
    )


def test_calls_are_recorded_with_the_names_they_act_on_and_refusals(tmp_path: Path) -> None:
    record = tmp_path / "calls.jsonl"
    sqs = client("sqs")
    Recorder(record).attach(sqs)
    with Stubber(sqs) as stub:
        stub.add_response("get_queue_url", {"QueueUrl": "http://h/1/q-dlq"}, {"QueueName": "q-dlq"})
        stub.add_client_error(
            "send_message", service_error_code="AccessDenied", http_status_code=403
        )
        sqs.get_queue_url(QueueName="q-dlq")
        with contextlib.suppress(ClientError):
            sqs.send_message(QueueUrl="http://h/1/q-dlq", MessageBody="secret")
    assert list(read(record)) == [
        Call("sqs", "GetQueueUrl", {"QueueName": "q-dlq"}),
        Call("sqs", "SendMessage", {"QueueUrl": "http://h/1/q-dlq"}),
        Call("sqs", "SendMessage", {"QueueUrl": "http://h/1/q-dlq"}, error="AccessDenied"),
    ]
    assert "secret" not in record.read_text()


def test_a_presigned_link_is_recorded_as_a_call_of_its_signer(tmp_path: Path) -> None:
    record = tmp_path / "calls.jsonl"
    s3 = client("s3")
    Recorder(record).attach(s3)
    s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "exports/x.csv"})
    assert list(read(record)) == [
        Call("s3", "GetObject", {"Bucket": "b", "Key": "exports/x.csv"}, presigned=True)
    ]


def test_no_record_is_no_calls(tmp_path: Path) -> None:
    assert list(read(tmp_path / "absent.jsonl")) == []
