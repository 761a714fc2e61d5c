"""Terraform deployment in infra/terraform: validate, then apply and destroy it
against a real moto server and inspect the result with boto3.

The whole configuration is applied, ECS services included: moto accepts them
and checks their subnets against its own default VPC.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conveyor_aws.resources import SERVICE_EVENTS
from conveyor_devstack.moto_server import MotoServer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform binary not on PATH"),
]

REPO = Path(__file__).resolve().parents[2]
TF_DIR = REPO / "infra" / "terraform"
REGION = "us-east-1"
# messaging.tf reads the routing from here, by a path relative to the module.
ROUTING_JSON = REPO / "libs" / "aws_clients" / "src" / "conveyor_aws" / "routing.json"
UPLOADS_CORS_ORIGINS = ("https://app.example.com", "http://localhost:5173")


def tf_env(data_dir: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(
        TF_CLI_CONFIG_FILE=str(TF_DIR / "cli.tfrc"),  # offline provider mirror
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )
    if data_dir is not None:
        env["TF_DATA_DIR"] = str(data_dir)
    return env


def terraform(workdir: Path, *args: str, timeout: float = 240) -> str:
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


@pytest.fixture(scope="module")
def terraform_moto() -> Iterator[MotoServer]:
    """An emulator of its own: Terraform creates the same names the bootstrap does."""
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="module")
def moto_endpoint(terraform_moto: MotoServer) -> str:
    return terraform_moto.url


@pytest.fixture(scope="module")
def client(terraform_moto: MotoServer) -> Callable[[str], Any]:
    return terraform_moto.client


@pytest.fixture(scope="module")
def applied(
    moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory, client: Callable[[str], Any]
) -> Iterator[dict[str, Any]]:
    """Apply a copy of the configuration (own state and .terraform), yield its outputs, destroy.

    The copy keeps the module's place in the tree, so the routing file it reads is found.
    """
    copy = tmp_path_factory.mktemp("terraform")
    workdir = copy / TF_DIR.relative_to(REPO)
    workdir.mkdir(parents=True)
    for f in [*TF_DIR.glob("*.tf"), TF_DIR / ".terraform.lock.hcl"]:
        shutil.copy(f, workdir)
    routing = copy / ROUTING_JSON.relative_to(REPO)
    routing.parent.mkdir(parents=True)
    shutil.copy(ROUTING_JSON, routing)

    subnet = client("ec2").describe_subnets()["Subnets"][0]["SubnetId"]
    tf_vars = [
        f"-var=aws_endpoint_url={moto_endpoint}",
        '-var=images={producer="conveyor-producer:test",processor="conveyor-processor:test",notifier="conveyor-notifier:test"}',
        f'-var=subnet_ids=["{subnet}"]',
        "-var=database_url=postgresql://conveyor:conveyor@db:5432/conveyor",
        "-var=jwt_secret=test-secret",
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
        topics = client("sns").list_topics()["Topics"]
        assert topics == [], f"destroy left topics behind: {topics}"


def test_terraform_check_script() -> None:
    proc = subprocess.run(
        [str(REPO / "scripts" / "terraform-check")],
        env=tf_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "The configuration is valid" in proc.stdout


def test_outputs_env_map(applied: dict[str, Any], moto_endpoint: str) -> None:
    env = applied["env"]
    assert env["AWS_ENDPOINT_URL"] == moto_endpoint
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
        assert attrs["VisibilityTimeout"] == "300"
        assert attrs["MessageRetentionPeriod"] == "345600"
        redrive = json.loads(attrs["RedrivePolicy"])
        assert int(redrive["maxReceiveCount"]) == 3
        assert redrive["deadLetterTargetArn"].endswith(f":conveyor-{name}-dlq")
        policy = json.loads(attrs["Policy"])
        (stmt,) = policy["Statement"]
        assert stmt["Action"] == "sqs:SendMessage"
        assert stmt["Condition"]["ArnEquals"]["aws:SourceArn"] == applied["events_topic_arn"]

        dlq_url = sqs.get_queue_url(QueueName=f"conveyor-{name}-dlq")["QueueUrl"]
        dlq = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["MessageRetentionPeriod"])
        assert dlq["Attributes"]["MessageRetentionPeriod"] == "1209600"


def test_subscriptions_filter_and_raw_delivery(
    applied: dict[str, Any], client: Callable[[str], Any]
) -> None:
    sns = client("sns")
    subs = sns.list_subscriptions_by_topic(TopicArn=applied["events_topic_arn"])["Subscriptions"]
    by_queue = {s["Endpoint"].rsplit(":", 1)[1]: s for s in subs}
    # exactly the routing the Python code reads: one subscription per service, its events
    expected = {f"conveyor-{service}": list(types) for service, types in SERVICE_EVENTS.items()}
    assert set(by_queue) == set(expected) == {"conveyor-processor", "conveyor-notifier"}
    for queue, sub in by_queue.items():
        assert sub["Protocol"] == "sqs"
        attrs = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])[
            "Attributes"
        ]
        assert attrs["RawMessageDelivery"] == "true"
        assert json.loads(attrs["FilterPolicy"]) == {"event_type": expected[queue]}


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


def test_exports_bucket(applied: dict[str, Any], client: Callable[[str], Any]) -> None:
    s3 = client("s3")
    bucket = applied["exports_bucket"]
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert rules["expire-exports"]["Filter"]["Prefix"] == "exports/"
    assert rules["expire-exports"]["Expiration"]["Days"] == 30
    abort = rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"]
    assert abort["DaysAfterInitiation"] == 1
    sse = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert sse["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
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
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {
        ("pk", "HASH"),
        ("sk", "RANGE"),
    }
    ttl = ddb.describe_time_to_live(TableName=applied["state_table"])["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "ttl"
    assert ttl["TimeToLiveStatus"] == "ENABLED"


def test_ses_identity(applied: dict[str, Any], client: Callable[[str], Any]) -> None:
    identities = client("ses").list_identities()["Identities"]
    assert applied["env"]["SES_SENDER"] in identities


def statements(iam: Any, service: str) -> list[tuple[set[str], set[str]]]:
    """A service's policy statements, each as (actions, resources)."""
    doc = iam.get_role_policy(RoleName=f"conveyor-{service}", PolicyName=f"conveyor-{service}")
    policy = doc["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy

    def as_set(value: str | list[str]) -> set[str]:
        return {value} if isinstance(value, str) else set(value)

    return [(as_set(stmt["Action"]), as_set(stmt["Resource"])) for stmt in policy["Statement"]]


def resources_granted(iam: Any, service: str, action: str) -> set[str]:
    """Every resource on which a service's policy allows this action."""
    return {r for acts, resources in statements(iam, service) if action in acts for r in resources}


def s3_actions_by_bucket(iam: Any, service: str) -> dict[str, set[str]]:
    """A service's S3 actions, by the bucket (conveyor-<name>) each statement names."""
    found: dict[str, set[str]] = {}
    for acts, resources in statements(iam, service):
        for resource in resources:
            if resource.startswith("arn:aws:s3:::conveyor-"):
                bucket = resource.removeprefix("arn:aws:s3:::conveyor-").split("/", 1)[0]
                found.setdefault(bucket, set()).update(acts)
    return found


def test_service_roles_are_scoped(applied: dict[str, Any], client: Callable[[str], Any]) -> None:
    iam = client("iam")

    def actions(service: str) -> set[str]:
        return {action for acts, _ in statements(iam, service) for action in acts}

    producer, processor, notifier = actions("producer"), actions("processor"), actions("notifier")
    producer_s3 = s3_actions_by_bucket(iam, "producer")
    assert "sns:Publish" in producer
    assert "sqs:ReceiveMessage" not in producer
    assert {"sqs:ReceiveMessage", "sns:Publish", "s3:PutObject"} <= processor
    # a reclaimed export finds and aborts the uploads of its killed attempts
    assert {"s3:ListBucketMultipartUploads", "s3:AbortMultipartUpload"} <= processor
    assert "ses:SendEmail" in notifier
    assert "sns:Publish" not in notifier
    # e-mailed links are presigned by the processor; the producer only presigns reads
    assert not any(a.startswith("s3:") for a in notifier)
    # the producer presigns reads of exports, and streams or presigns uploads into the
    # uploads bucket (and reads them back: HEAD, which needs ListBucket to tell a missing
    # key, and error-report links)
    assert producer_s3 == {
        "exports": {"s3:GetObject"},
        "uploads": {"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListBucket"},
    }
    assert not any(a.startswith("ses:") for a in producer | processor)


def test_workers_find_and_fill_their_own_dlq_only(
    applied: dict[str, Any], client: Callable[[str], Any]
) -> None:
    iam, sqs = client("iam"), client("sqs")

    def arn(queue: str) -> str:
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        queue_arn: str = attributes["Attributes"]["QueueArn"]
        return queue_arn

    for service in SERVICE_EVENTS:
        own = {arn(f"conveyor-{service}"), arn(f"conveyor-{service}-dlq")}
        # the broker looks the DLQ up when it starts consuming, and parks messages there
        assert resources_granted(iam, service, "sqs:GetQueueUrl") == own
        assert resources_granted(iam, service, "sqs:SendMessage") == own
        assert resources_granted(iam, service, "sqs:ReceiveMessage") == {arn(f"conveyor-{service}")}
    assert resources_granted(iam, "producer", "sqs:SendMessage") == set()


def test_the_producer_may_probe_what_its_readiness_checks(
    applied: dict[str, Any], client: Callable[[str], Any]
) -> None:
    iam = client("iam")
    table = client("dynamodb").describe_table(TableName=applied["state_table"])["Table"]
    # GET /ready describes the state table and reads the topic's attributes
    assert resources_granted(iam, "producer", "dynamodb:DescribeTable") == {table["TableArn"]}
    assert resources_granted(iam, "producer", "sns:GetTopicAttributes") == {
        applied["events_topic_arn"]
    }
    for worker in ("processor", "notifier"):
        assert resources_granted(iam, worker, "dynamodb:DescribeTable") == set()


def test_ecs_task_definitions_wire_env(
    applied: dict[str, Any], client: Callable[[str], Any]
) -> None:
    ecs = client("ecs")
    td = ecs.describe_task_definition(taskDefinition="conveyor-processor")["taskDefinition"]
    containers = {c["name"]: c for c in td["containerDefinitions"]}
    assert containers["migrate"]["command"] == ["python", "-m", "conveyor_processor.migrate"]
    assert containers["processor"]["dependsOn"] == [
        {"containerName": "migrate", "condition": "SUCCESS"}
    ]
    env = {e["name"]: e["value"] for e in containers["processor"]["environment"]}
    expected = {k: v for k, v in applied["env"].items() if k != "AWS_ENDPOINT_URL"}
    assert env == expected | {"METRICS_PORT": "9101"}
    assert [s["name"] for s in containers["processor"]["secrets"]] == ["DATABASE_URL"]

    services = ecs.describe_services(
        cluster="conveyor",
        services=["conveyor-producer", "conveyor-processor", "conveyor-notifier"],
    )["services"]
    assert len(services) == 3
    assert {s["launchType"] for s in services} == {"FARGATE"}
