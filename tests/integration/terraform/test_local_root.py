"""Terraform's emulator root, infra/terraform/envs/local: applied once to a moto server
of its own, inspected with boto3, compared with what the Python bootstrap creates on
another, and destroyed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.terraform.topology import describe

from conveyor_aws.resources import SERVICE_EVENTS, ResourceNames
from conveyor_devstack.moto_server import MotoServer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform binary not on PATH"),
]

REPO = Path(__file__).resolve().parents[3]
TERRAFORM = REPO / "infra" / "terraform"
LOCAL_ROOT = TERRAFORM / "envs" / "local"
REGION = "us-east-1"
# The messaging module reads the routing from here, by a path relative to itself.
ROUTING_JSON = REPO / "libs" / "aws_clients" / "src" / "conveyor_aws" / "routing.json"
UPLOADS_CORS_ORIGINS = ("https://app.example.com", "http://localhost:5173")


def tf_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    return env | {
        "TF_CLI_CONFIG_FILE": str(TERRAFORM / "cli.tfrc"),  # offline provider mirror
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "TF_DATA_DIR": str(data_dir),
    }


def terraform(workdir: Path, *args: str, timeout: float = 400) -> str:
    proc = subprocess.run(
        ["terraform", *args, "-no-color"],
        cwd=workdir,
        env=tf_env(workdir / ".terraform"),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, f"terraform {args[0]} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def copy_of_the_tree(into: Path) -> Path:
    """The root, the modules and the routing file at their places in the repository,
    so the relative paths between them hold; no state or provider cache comes along."""
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate*")
    for part in (LOCAL_ROOT, TERRAFORM / "modules"):
        shutil.copytree(part, into / part.relative_to(REPO), ignore=ignore)
    routing = into / ROUTING_JSON.relative_to(REPO)
    routing.parent.mkdir(parents=True)
    shutil.copy(ROUTING_JSON, routing)
    return into / LOCAL_ROOT.relative_to(REPO)


@pytest.fixture(scope="module")
def terraform_moto() -> Iterator[MotoServer]:
    """An emulator of its own: Terraform creates the same names the bootstrap does."""
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="module")
def client(terraform_moto: MotoServer) -> Callable[[str], Any]:
    return terraform_moto.client


@pytest.fixture(scope="module")
def applied(
    terraform_moto: MotoServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Apply a copy of envs/local (own state and .terraform), yield its outputs, destroy."""
    workdir = copy_of_the_tree(tmp_path_factory.mktemp("terraform"))
    tf_vars = [
        f"-var=aws_endpoint_url={terraform_moto.url}",
        f"-var=uploads_cors_allowed_origins={json.dumps(list(UPLOADS_CORS_ORIGINS))}",
    ]
    terraform(workdir, "init", "-backend=false", "-lockfile=readonly")
    try:
        terraform(workdir, "apply", "-auto-approve", *tf_vars)
        outputs = json.loads(terraform(workdir, "output", "-json"))
        yield {k: v["value"] for k, v in outputs.items()}
    finally:
        # No refresh: the state was just written, and refreshing every
        # resource against the emulator only costs time.
        terraform(workdir, "destroy", "-auto-approve", "-refresh=false", *tf_vars)
        topics = terraform_moto.client("sns").list_topics()["Topics"]
        assert topics == [], f"destroy left topics behind: {topics}"


@pytest.fixture(scope="module")
def bootstrapped() -> Iterator[Callable[[str], Any]]:
    """A second emulator, set up by `python -m conveyor_aws.bootstrap` as the dev stack does."""
    with MotoServer() as server:
        origins = [
            arg for origin in UPLOADS_CORS_ORIGINS for arg in ("--uploads-cors-origin", origin)
        ]
        subprocess.run(
            [sys.executable, "-m", "conveyor_aws.bootstrap", *origins],
            env={**os.environ, **server.env},
            capture_output=True,
            check=True,
            timeout=120,
        )
        yield server.client


def test_terraform_and_the_bootstrap_create_the_same_topology(
    applied: dict[str, Any], client: Callable[[str], Any], bootstrapped: Callable[[str], Any]
) -> None:
    names = ResourceNames()
    from_terraform, from_bootstrap = describe(client, names), describe(bootstrapped, names)
    assert from_terraform == from_bootstrap
    # and the description is not empty where it matters
    assert len(from_bootstrap["subscriptions"]) == len(SERVICE_EVENTS)
    assert from_bootstrap["buckets"]["uploads"]["cors"]


def test_outputs_env_map(applied: dict[str, Any], terraform_moto: MotoServer) -> None:
    env = applied["env"]
    assert env["AWS_ENDPOINT_URL"] == terraform_moto.url
    assert env["AWS_REGION"] == REGION
    assert env["EVENTS_TOPIC_ARN"] == applied["events_topic_arn"]
    assert env["EVENTS_TOPIC_ARN"].endswith(":conveyor-events")
    assert env["PROCESSOR_QUEUE"] == "conveyor-processor"
    assert env["NOTIFIER_QUEUE"] == "conveyor-notifier"
    assert env["STATE_TABLE"] == applied["state_table"] == "conveyor-state"
    assert env["EXPORTS_BUCKET"] == applied["exports_bucket"] == "conveyor-exports"
    assert env["UPLOADS_BUCKET"] == applied["uploads_bucket"] == "conveyor-uploads"
    assert env["SES_SENDER"] == "no-reply@conveyor.example.com"
    assert "DATABASE_URL" not in env
    assert "JWT_SECRET" not in env


def test_queues_have_dlq_redrive(applied: dict[str, Any], client: Callable[[str], Any]) -> None:
    sqs = client("sqs")
    for name in ("processor", "notifier"):
        url = sqs.get_queue_url(QueueName=f"conveyor-{name}")["QueueUrl"]
        assert applied["queue_urls"][name] == url
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attrs["SqsManagedSseEnabled"] == "true"
        redrive = json.loads(attrs["RedrivePolicy"])
        assert int(redrive["maxReceiveCount"]) == 3
        assert redrive["deadLetterTargetArn"].endswith(f":conveyor-{name}-dlq")
        (stmt,) = json.loads(attrs["Policy"])["Statement"]
        assert stmt["Action"] == "sqs:SendMessage"
        assert stmt["Condition"]["ArnEquals"]["aws:SourceArn"] == applied["events_topic_arn"]
        assert applied["dead_letter_queue_urls"][name].endswith(f"/conveyor-{name}-dlq")


def test_events_are_routed_by_event_type(
    applied: dict[str, Any], client: Callable[[str], Any]
) -> None:
    sns, sqs = client("sns"), client("sqs")
    urls = applied["queue_urls"]

    def publish(event_type: str) -> None:
        sns.publish(
            TopicArn=applied["events_topic_arn"],
            Message=json.dumps({"event_type": event_type}),
            MessageAttributes={"event_type": {"DataType": "String", "StringValue": event_type}},
        )

    def drain(url: str) -> list[str]:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        bodies = []
        for m in msgs.get("Messages", []):
            bodies.append(json.loads(m["Body"])["event_type"])  # raw: no SNS envelope
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return sorted(bodies)

    routed = sorted({event_type for types in SERVICE_EVENTS.values() for event_type in types})
    for event_type in [*routed, "Unrelated"]:
        publish(event_type)
    # each queue gets its events once, and nothing else (at most 10 a receive: enough)
    for service, event_types in SERVICE_EVENTS.items():
        assert drain(urls[service]) == sorted(event_types)


@pytest.mark.parametrize("kind", ["exports", "uploads"])
def test_data_buckets_are_encrypted_versioned_and_logged(
    applied: dict[str, Any], client: Callable[[str], Any], kind: str
) -> None:
    s3, bucket = client("s3"), applied[f"{kind}_bucket"]
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert rules[f"expire-{kind}"]["Filter"]["Prefix"] == f"{kind}/"
    assert rules[f"expire-{kind}"]["Expiration"]["Days"] == 30
    assert rules[f"expire-{kind}"]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1
    abort = rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"]
    assert abort["DaysAfterInitiation"] == 1
    [sse] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert sse["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    key = sse["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    assert client("kms").describe_key(KeyId=key)["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    logging = s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]
    assert logging["TargetBucket"] == "conveyor-access-logs"
    assert logging["TargetPrefix"] == f"s3/{bucket}/"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())


def test_uploads_bucket_lets_the_configured_origins_post(
    applied: dict[str, Any], client: Callable[[str], Any]
) -> None:
    [rule] = client("s3").get_bucket_cors(Bucket=applied["uploads_bucket"])["CORSRules"]
    assert sorted(rule["AllowedOrigins"]) == sorted(UPLOADS_CORS_ORIGINS)
    assert rule["AllowedMethods"] == ["POST"]
    assert rule["AllowedHeaders"] == ["*"]
    assert rule["ExposeHeaders"] == ["ETag"]


def test_state_table(applied: dict[str, Any], client: Callable[[str], Any]) -> None:
    ddb = client("dynamodb")
    table = ddb.describe_table(TableName=applied["state_table"])["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["SSEType"] == "KMS"
    backups = ddb.describe_continuous_backups(TableName=applied["state_table"])
    recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"
    ttl = ddb.describe_time_to_live(TableName=applied["state_table"])["TimeToLiveDescription"]
    assert (ttl["AttributeName"], ttl["TimeToLiveStatus"]) == ("ttl", "ENABLED")


def test_ses_identity(applied: dict[str, Any], client: Callable[[str], Any]) -> None:
    identities = client("ses").list_identities()["Identities"]
    assert applied["env"]["SES_SENDER"] in identities


# ---- the task roles' policies (envs/local outputs them as envs/aws attaches them) ----


def statements(applied: dict[str, Any], service: str) -> list[dict[str, Any]]:
    policy = json.loads(applied["task_role_policies"][service])
    assert all(stmt["Effect"] == "Allow" for stmt in policy["Statement"])
    return [
        {
            "Sid": stmt["Sid"],
            "actions": as_set(stmt["Action"]),
            "resources": as_set(stmt["Resource"]),
            "condition": stmt.get("Condition", {}),
        }
        for stmt in policy["Statement"]
    ]


def as_set(value: str | list[str]) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


def resources_granted(applied: dict[str, Any], service: str, action: str) -> set[str]:
    """Every resource on which a service's policy allows this action."""
    return {
        r for s in statements(applied, service) if action in s["actions"] for r in s["resources"]
    }


def s3_actions_by_bucket(applied: dict[str, Any], service: str) -> dict[str, set[str]]:
    """A service's S3 actions, by the bucket (conveyor-<name>) each statement names."""
    found: dict[str, set[str]] = {}
    for s in statements(applied, service):
        for resource in s["resources"]:
            if resource.startswith("arn:aws:s3:::conveyor-"):
                bucket = resource.removeprefix("arn:aws:s3:::conveyor-").split("/", 1)[0]
                found.setdefault(bucket, set()).update(s["actions"])
    return found


def test_service_policies_are_scoped(applied: dict[str, Any]) -> None:
    def actions(service: str) -> set[str]:
        return {action for s in statements(applied, service) for action in s["actions"]}

    producer, processor, notifier = actions("producer"), actions("processor"), actions("notifier")
    assert "sns:Publish" in producer
    assert "sqs:ReceiveMessage" not in producer
    assert {"sqs:ReceiveMessage", "sns:Publish", "s3:PutObject"} <= processor
    # a reclaimed export finds and aborts the uploads of its killed attempts
    assert {"s3:ListBucketMultipartUploads", "s3:AbortMultipartUpload"} <= processor
    assert "ses:SendEmail" in notifier
    assert "sns:Publish" not in notifier
    # e-mailed links lead through the producer: the notifier touches no file, and the
    # processor writes exports without reading one back
    assert not any(a.startswith(("s3:", "kms:")) for a in notifier)
    assert s3_actions_by_bucket(applied, "processor")["exports"] == {
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "s3:ListBucket",
        "s3:ListBucketMultipartUploads",
    }
    # the producer presigns reads of exports, and streams or presigns uploads into the
    # uploads bucket (and reads them back: HEAD, which needs ListBucket to tell a missing
    # key, and error-report links)
    assert s3_actions_by_bucket(applied, "producer") == {
        "exports": {"s3:GetObject"},
        "uploads": {"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListBucket"},
    }
    assert not any(a.startswith("ses:") for a in producer | processor)


@pytest.mark.parametrize("service", ["producer", "processor"])
def test_the_storage_key_is_used_only_through_s3(
    applied: dict[str, Any], client: Callable[[str], Any], service: str
) -> None:
    bucket = client("s3").get_bucket_encryption(Bucket=applied["exports_bucket"])
    [sse] = bucket["ServerSideEncryptionConfiguration"]["Rules"]
    storage_key = sse["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    [grant] = [s for s in statements(applied, service) if s["Sid"] == "StorageKey"]
    assert grant["actions"] == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert grant["resources"] == {storage_key}
    assert grant["condition"] == {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}


def test_workers_find_and_fill_their_own_dlq_only(
    applied: dict[str, Any], client: Callable[[str], Any]
) -> None:
    sqs = client("sqs")

    def arn(queue: str) -> str:
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        queue_arn: str = attributes["Attributes"]["QueueArn"]
        return queue_arn

    for service in SERVICE_EVENTS:
        own = {arn(f"conveyor-{service}"), arn(f"conveyor-{service}-dlq")}
        # the broker looks the DLQ up when it starts consuming, and parks messages there
        assert resources_granted(applied, service, "sqs:GetQueueUrl") == own
        assert resources_granted(applied, service, "sqs:SendMessage") == own
        assert resources_granted(applied, service, "sqs:ReceiveMessage") == {
            arn(f"conveyor-{service}")
        }
    assert resources_granted(applied, "producer", "sqs:SendMessage") == set()


def test_the_producer_may_probe_what_its_readiness_checks(
    applied: dict[str, Any], client: Callable[[str], Any]
) -> None:
    table = client("dynamodb").describe_table(TableName=applied["state_table"])["Table"]
    # GET /ready describes the state table and reads the topic's attributes
    assert resources_granted(applied, "producer", "dynamodb:DescribeTable") == {table["TableArn"]}
    assert resources_granted(applied, "producer", "sns:GetTopicAttributes") == {
        applied["events_topic_arn"]
    }
    for worker in ("processor", "notifier"):
        assert resources_granted(applied, worker, "dynamodb:DescribeTable") == set()


def test_the_notifier_sends_from_the_sender_only(applied: dict[str, Any]) -> None:
    [grant] = [s for s in statements(applied, "notifier") if s["Sid"] == "SendEmail"]
    assert grant["actions"] == {"ses:SendEmail"}
    assert grant["condition"] == {"StringEquals": {"ses:FromAddress": applied["env"]["SES_SENDER"]}}


def audited_grants(service: str) -> set[str]:
    """The statement ids infra/README.md's audit names for a service: its table's [Sid]s."""
    text = (REPO / "infra" / "README.md").read_text(encoding="utf-8")
    section = text.split(f"**{service}**", 1)[1].split("\n\n**", 1)[0].split("\n\nNo service")[0]
    return set(re.findall(r"\[(\w+)\]", section))


@pytest.mark.parametrize("service", ["producer", "processor", "notifier"])
def test_the_audit_in_infra_readme_names_every_grant(applied: dict[str, Any], service: str) -> None:
    granted = {s["Sid"] for s in statements(applied, service)}
    assert audited_grants(service) == granted
