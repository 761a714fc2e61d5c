"""Least privilege, proven: the three services run an order, an import and an export on
credentials carrying exactly their task roles' policies, and a removed grant fails.

How. infra/terraform/envs/local is applied to a fresh moto server (IAM not enforced
yet: Terraform signs with any keys). With an admin IAM user's keys, one role per
service gets the policy envs/local outputs as `task_role_policies` (what envs/aws
attaches, so the two cannot drift), and `sts:AssumeRole` into it gives that service's
credentials. Then moto enforces IAM for every request, and the services start, each
under its role, each recording its AWS calls (conveyor_devstack.iam.calls).

moto 5.2's enforcement is partial (conveyor_devstack.iam.moto_view lists the gaps), so
the check has two halves that together are faithful:

1. live, by moto: each role holds the policy in the form moto can enforce (the same
   grants with batch operation names, no Conditions). Signatures, sessions, every
   action and its resource ARN (SNS, DynamoDB, SES and sqs:GetQueueUrl through the
   devstack's moto_process, which moto alone checks against `*`) are enforced; no
   recorded call may be refused.
2. call by call, by conveyor_devstack.iam.policy: every recorded call, as IAM action,
   real resource ARN and condition keys (ses:FromAddress, s3:prefix, and the
   kms:ViaService calls S3 makes on the caller's behalf), must be allowed by the real
   policy, Conditions and all.

A removed grant is shown to fail both ways: the recorded calls evaluated against the
policy without it are denied (the workers' sqs:GetQueueUrl and sqs:SendMessage on
their DLQ, the producer's readiness probes, the e-mail, the storage key), a producer
started live on a role without dynamodb:DescribeTable answers /ready with 503, and a
processor on a role without sqs:GetQueueUrl on its DLQ is refused the lookup and
consumes nothing.

Not covered live: following a presigned link (moto answers 500 to any presigned S3
URL once IAM is on, so the export is read back as the admin; the link's GetObject is
checked against the signer's policy from the record) and the KMS calls S3 makes
(moto does not make them; the evaluator checks them). Not covered at all: presigned
POST uploads (botocore signs them without an API call to record; the streamed upload
is what runs here).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import httpx
import pytest
from tests.integration.terraform.test_local_root import copy_of_the_tree, terraform

from conveyor_common.jobs import JobStatus
from conveyor_devstack.iam import calls
from conveyor_devstack.iam.moto_view import moto_view
from conveyor_devstack.iam.policy import Decision, Request, evaluate
from conveyor_devstack.iam.requests import Account, requests_of
from conveyor_devstack.ports import LOOPBACK, free_port
from conveyor_devstack.services import WORKER_READY_MARK, ServiceProcess
from conveyor_devstack.stack import Stack

from .conftest import eventually, mint_token
from .test_imports import Uploader, csv_file, one_email_to, order_line
from .test_order_pipeline import an_order_body, emails_to, persisted_over_api, unique_email

pytestmark = [
    pytest.mark.e2e,
    # The first test waits for the apply (two to four minutes) and the flows.
    pytest.mark.timeout(900),
    pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform binary not on PATH"),
]

SERVICES = ("producer", "processor", "notifier")
ADMIN = "conveyor-admin"
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
# What AWS answers a call IAM refuses, by protocol; moto answers JSON-protocol services
# in XML, which botocore reads as the bare status.
DENIALS = {
    "AccessDenied",
    "AccessDeniedException",
    "AuthorizationError",
    "InvalidClientTokenId",
    "403",
}


class EnforcedStack(Stack):
    """The stack on envs/local's resources, each service on its task role, recorded."""

    def __init__(self, *, database_url: str, log_dir: Path, workdir: Path) -> None:
        super().__init__(database_url=database_url, log_dir=log_dir)
        self.workdir = workdir
        self.outputs: dict[str, Any] = {}
        self.credentials: dict[str, dict[str, str]] = {}

    def _bootstrap(self) -> dict[str, str]:
        self.outputs = apply_local_root(self.moto.url, self.workdir)
        self.moto.credentials = admin_keys(self.moto.client("iam"))
        for service in SERVICES:
            policy = json.loads(self.outputs["task_role_policies"][service])
            self.credentials[service] = self.role(service, moto_view(policy))
        self.moto.enforce_iam()
        env: dict[str, str] = self.outputs["env"]
        return env

    def role(self, name: str, policy: dict[str, Any]) -> dict[str, str]:
        """Credentials of a new role holding `policy`, assumed by the admin user."""
        return assume_role(self.moto.client("iam"), self.moto.client("sts"), name, policy)

    def record(self, service: str) -> Path:
        return self.log_dir / f"{service}.calls.jsonl"

    def service_env(self, name: str) -> dict[str, str]:
        return self.credentials[name] | {calls.RECORD_ENV: str(self.record(name))}

    def service_command(self, name: str) -> list[str]:
        return [sys.executable, "-m", calls.__name__, f"conveyor_{name}"]

    def account(self) -> Account:
        _, _, _, region, account_id, _ = self.outputs["events_topic_arn"].split(":")
        s3 = self.moto.client("s3")
        keys = {}
        for bucket in (self.outputs["exports_bucket"], self.outputs["uploads_bucket"]):
            [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
                "Rules"
            ]
            keys[bucket] = rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
        return Account(account_id=account_id, region=region, bucket_keys=keys)


def apply_local_root(endpoint: str, workdir: Path) -> dict[str, Any]:
    root = copy_of_the_tree(workdir)
    terraform(root, "init", "-backend=false", "-lockfile=readonly")
    terraform(root, "apply", "-auto-approve", f"-var=aws_endpoint_url={endpoint}")
    outputs = json.loads(terraform(root, "output", "-json"))
    return {k: v["value"] for k, v in outputs.items()}


def admin_keys(iam: Any) -> dict[str, str]:
    """An IAM user allowed everything: what the test itself signs with once IAM is on."""
    iam.create_user(UserName=ADMIN)
    iam.put_user_policy(UserName=ADMIN, PolicyName="admin", PolicyDocument=json.dumps(ADMIN_POLICY))
    key = iam.create_access_key(UserName=ADMIN)["AccessKey"]
    return {
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }


def assume_role(iam: Any, sts: Any, name: str, policy: dict[str, Any]) -> dict[str, str]:
    admin_arn = iam.get_user(UserName=ADMIN)["User"]["Arn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": admin_arn}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName=f"{name}-task", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]
    iam.put_role_policy(
        RoleName=f"{name}-task", PolicyName="task", PolicyDocument=json.dumps(policy)
    )
    session = sts.assume_role(RoleArn=role["Arn"], RoleSessionName=name)["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": session["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": session["SecretAccessKey"],
        "AWS_SESSION_TOKEN": session["SessionToken"],
    }


@pytest.fixture(scope="module")
def stack(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EnforcedStack]:
    log_dir = tmp_path_factory.mktemp("least-privilege-logs")
    workdir = tmp_path_factory.mktemp("least-privilege-terraform")
    with EnforcedStack(database_url=database_url, log_dir=log_dir, workdir=workdir) as running:
        yield running


def recorded(stack: EnforcedStack, service: str) -> list[calls.Call]:
    return list(calls.read(stack.record(service)))


def requests_made(stack: EnforcedStack, service: str) -> list[Request]:
    """What IAM was asked for the service's recorded calls, each once."""
    account = stack.account()
    made = (r for call in recorded(stack, service) for r in requests_of(call, account))
    return list({str(r): r for r in made}.values())


def denied(policy: dict[str, Any], requests: list[Request]) -> list[str]:
    return sorted(str(r) for r in requests if evaluate([policy], r) is not Decision.ALLOW)


def policy_of(stack: EnforcedStack, service: str) -> dict[str, Any]:
    policy: dict[str, Any] = json.loads(stack.outputs["task_role_policies"][service])
    return policy


def without(policy: dict[str, Any], sid: str, action: str) -> dict[str, Any]:
    """The policy with `action` removed from the statement `sid` (which must grant it)."""
    statements = []
    for statement in policy["Statement"]:
        actions = as_list(statement["Action"])
        if statement["Sid"] == sid:
            assert action in actions, (sid, action)
            actions.remove(action)
        if actions:
            statements.append(statement | {"Action": actions})
    return policy | {"Statement": statements}


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def poison_both_queues(stack: EnforcedStack) -> None:
    """An event nobody handles on each worker's queue: each parks it in its DLQ."""
    sqs = stack.moto.client("sqs")
    for worker in ("processor", "notifier"):
        unknown = {
            "event_id": str(uuid.uuid4()),
            "event_type": "NobodyHandlesThis",
            "schema_version": 1,
            "occurred_at": datetime.now(UTC).isoformat(),
            "correlation_id": uuid.uuid4().hex,
            "tenant_id": "least-privilege",
            "payload": {},
        }
        sqs.send_message(
            QueueUrl=stack.outputs["queue_urls"][worker], MessageBody=json.dumps(unknown)
        )


def dlq_depth(stack: EnforcedStack, worker: str) -> int:
    sqs = stack.moto.client("sqs")
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    url = stack.outputs["dead_letter_queue_urls"][worker]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(v) for v in attributes.values())


def exported_customers(stack: EnforcedStack, uploader: Uploader) -> list[str]:
    """Export the uploader's orders as CSV and read the file back: through the admin
    user, as moto answers 500 to a presigned link once IAM is on (the link's GetObject
    is checked against the producer's policy from the record)."""
    body = {"resource": "orders", "format": "csv", "columns": ["customerId"]}
    accepted = uploader.api.post("/api/v1/exports", json=body | {"notify": [uploader.export_email]})
    assert accepted.status_code == 202, accepted.text
    link = f"/api/v1/exports/{accepted.json()['exportId']}"

    def ended() -> dict[str, Any] | None:
        done: dict[str, Any] = uploader.api.get(link).json()
        return done if JobStatus(done["status"]).is_terminal else None

    done = eventually(ended, what="the export")
    assert done["status"] == "COMPLETED", done
    eventually(partial(emails_to, stack, uploader.export_email), what="the export's e-mail")
    bucket, key = urlparse(done["downloadUrl"]).path.lstrip("/").split("/", 1)
    content = stack.moto.client("s3").get_object(Bucket=bucket, Key=unquote(key))["Body"].read()
    return sorted(row[0] for row in list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:])


@pytest.fixture(scope="module")
def flows_ran(stack: EnforcedStack) -> EnforcedStack:
    """An order, an import and an export of the imported orders, and one message each
    worker gives up on, all run end to end under the task roles."""
    token = mint_token(stack, tenant="least-privilege", sub="customer")
    api = httpx.Client(
        base_url=stack.producer_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    email = unique_email()
    accepted = api.post("/api/v1/orders", json=an_order_body(email))
    assert accepted.status_code == 202, accepted.text
    order_id = accepted.json()["orderId"]
    eventually(partial(persisted_over_api, api, order_id), what="the order persisted")
    eventually(partial(emails_to, stack, email), what="the order confirmation")

    uploader = Uploader(stack)
    done = uploader.imported(
        "orders.csv", csv_file(order_line("L-1", "c-1"), order_line("L-2", "c-2"))
    )
    assert done["status"] == "COMPLETED", done
    assert done["rowsImported"] == 2, done
    one_email_to(stack, uploader.email)
    assert exported_customers(stack, uploader) == ["c-1", "c-2"]

    poison_both_queues(stack)
    for worker in ("processor", "notifier"):
        eventually(partial(dlq_depth, stack, worker), what=f"the {worker}'s DLQ")
    api.close()
    uploader.api.close()
    return stack


def test_no_call_of_the_flows_is_refused_by_the_emulator(flows_ran: EnforcedStack) -> None:
    for service in SERVICES:
        made = recorded(flows_ran, service)
        assert made, f"{service} recorded no call"
        refused = [c for c in made if c.error in DENIALS]
        assert refused == [], f"{service}: {refused}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_call_is_allowed_by_the_real_policy(flows_ran: EnforcedStack, service: str) -> None:
    requests = requests_made(flows_ran, service)
    assert denied(policy_of(flows_ran, service), requests) == []


# What an audit found each service needs: removing the grant denies a call the flows make.
REMOVED_GRANTS = [
    ("processor", "ParkInDeadLetterQueue", "sqs:GetQueueUrl", "conveyor-processor-dlq"),
    ("notifier", "ParkInDeadLetterQueue", "sqs:GetQueueUrl", "conveyor-notifier-dlq"),
    ("processor", "ParkInDeadLetterQueue", "sqs:SendMessage", "conveyor-processor-dlq"),
    ("notifier", "ParkInDeadLetterQueue", "sqs:SendMessage", "conveyor-notifier-dlq"),
    ("producer", "ReadinessTable", "dynamodb:DescribeTable", "table/conveyor-state"),
    ("producer", "ReadinessTopic", "sns:GetTopicAttributes", "conveyor-events"),
    ("notifier", "SendEmail", "ses:SendEmail", "identity/no-reply@conveyor.example.com"),
    ("processor", "StorageKey", "kms:GenerateDataKey", "key/"),
]


@pytest.mark.parametrize(("service", "sid", "action", "resource"), REMOVED_GRANTS)
def test_a_removed_grant_denies_a_call_the_flows_make(
    flows_ran: EnforcedStack, service: str, sid: str, action: str, resource: str
) -> None:
    reduced = without(policy_of(flows_ran, service), sid, action)
    refused = denied(reduced, requests_made(flows_ran, service))
    assert any(f"{action} on " in r and resource in r for r in refused), refused


def test_a_producer_without_describe_table_is_not_ready(flows_ran: EnforcedStack) -> None:
    # given the producer's policy without dynamodb:DescribeTable, enforced by moto
    reduced = without(policy_of(flows_ran, "producer"), "ReadinessTable", "dynamodb:DescribeTable")
    # (the test signs as its admin user, whom the new role trusts)
    credentials = flows_ran.role("producer-unready", moto_view(reduced))
    port = free_port()
    env = flows_ran.env | credentials | {"PORT": str(port)}
    producer = ServiceProcess(
        "producer-unready", "conveyor_producer", env=env, log_dir=flows_ran.log_dir
    )
    producer.start()
    try:
        # then it is alive but not ready
        producer.wait_for_http(f"http://{LOOPBACK}:{port}/health")
        ready = httpx.get(f"http://{LOOPBACK}:{port}/ready", timeout=10)
        assert ready.status_code == 503, ready.text
    finally:
        producer.stop()
    # while the producer on the whole policy is ready
    assert httpx.get(f"{flows_ran.producer_url}/ready", timeout=10).status_code == 200


def test_a_worker_that_cannot_find_its_dlq_consumes_nothing(flows_ran: EnforcedStack) -> None:
    # given the processor's policy without sqs:GetQueueUrl on its DLQ, enforced by moto
    reduced = without(policy_of(flows_ran, "processor"), "ParkInDeadLetterQueue", "sqs:GetQueueUrl")
    name = "processor-without-dlq"
    record = flows_ran.log_dir / f"{name}.calls.jsonl"
    env = flows_ran.env | flows_ran.role(name, moto_view(reduced))
    env |= {
        calls.RECORD_ENV: str(record),
        "METRICS_PORT": str(free_port()),
        "LIVENESS_FILE": str(flows_ran.log_dir / f"{name}.alive"),
    }
    command = flows_ran.service_command("processor")
    worker = ServiceProcess(
        name, "conveyor_processor", env=env, log_dir=flows_ran.log_dir, command=command
    )
    worker.start()
    try:
        # when it starts, the DLQ's lookup is refused
        def refused() -> list[calls.Call]:
            return [
                c for c in calls.read(record) if c.operation == "GetQueueUrl" and c.error in DENIALS
            ]

        [lookup] = eventually(refused, what="the refused lookup of the DLQ")
        assert lookup.params == {"QueueName": "conveyor-processor-dlq"}
        # then it never consumes
        time.sleep(3)
        assert not any(c.operation == "ReceiveMessage" for c in calls.read(record))
        assert WORKER_READY_MARK not in worker.log()
    finally:
        worker.stop()
