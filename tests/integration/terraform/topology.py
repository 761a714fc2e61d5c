"""What the emulator holds for Conveyor, read back with boto3 and normalised so that two
ways of creating it (the Python bootstrap, Terraform's envs/local) can be compared.

Only what both set is described: names, queue attributes and redrive, queue policies,
subscriptions, the buckets' lifecycle, public access block and CORS, the table's keys
and TTL, the sender. ARNs become names, JSON documents parsed values, lists sorted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from conveyor_aws.resources import SERVICE_EVENTS, ResourceNames

Client = Callable[[str], Any]
QUEUE_ATTRIBUTES = ("VisibilityTimeout", "MessageRetentionPeriod")
# Where each bucket keeps its objects (the lifecycle rules are compared for that prefix).
DATA_PREFIXES = {"exports": "exports/", "uploads": "uploads/"}


def name_of(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def describe(client: Client, names: ResourceNames) -> dict[str, Any]:
    return {
        "topics": sorted(name_of(t["TopicArn"]) for t in client("sns").list_topics()["Topics"]),
        "queues": {q: queue(client, q) for q in queue_names(names)},
        "subscriptions": subscriptions(client, names),
        "buckets": {
            kind: bucket(client, bucket_name, DATA_PREFIXES[kind])
            for kind, bucket_name in (("exports", names.bucket), ("uploads", names.uploads_bucket))
        },
        "table": table(client, names.table),
        "identities": sorted(client("ses").list_identities()["Identities"]),
    }


def queue_names(names: ResourceNames) -> list[str]:
    return sorted(n for s in SERVICE_EVENTS for n in (names.queue(s), names.dead_letter_queue(s)))


def queue(client: Client, name: str) -> dict[str, Any]:
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    described: dict[str, Any] = {k: attributes[k] for k in QUEUE_ATTRIBUTES}
    if "RedrivePolicy" in attributes:
        redrive = json.loads(attributes["RedrivePolicy"])
        described["redrive"] = (
            name_of(redrive["deadLetterTargetArn"]),
            int(redrive["maxReceiveCount"]),
        )
    if "Policy" in attributes:
        described["policy"] = [statement(s) for s in json.loads(attributes["Policy"])["Statement"]]
    return described


def statement(stmt: dict[str, Any]) -> dict[str, Any]:
    """A queue policy statement, without its Sid (the bootstrap names none)."""
    (source,) = stmt["Condition"]["ArnEquals"].values()
    return {
        "Effect": stmt["Effect"],
        "Principal": stmt["Principal"],
        "Action": stmt["Action"],
        "Resource": name_of(stmt["Resource"]),
        "SourceArn": name_of(source),
    }


def subscriptions(client: Client, names: ResourceNames) -> dict[str, Any]:
    sns = client("sns")
    topic = next(
        t["TopicArn"] for t in sns.list_topics()["Topics"] if name_of(t["TopicArn"]) == names.topic
    )
    described = {}
    for sub in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]:
        attrs = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])
        attributes = attrs["Attributes"]
        described[name_of(sub["Endpoint"])] = {
            "protocol": sub["Protocol"],
            "raw": attributes["RawMessageDelivery"],
            "filter": json.loads(attributes["FilterPolicy"]),
        }
    return described


def bucket(client: Client, name: str, prefix: str) -> dict[str, Any]:
    s3 = client("s3")
    rules = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    try:
        cors = s3.get_bucket_cors(Bucket=name)["CORSRules"]
    except s3.exceptions.ClientError:
        cors = []
    return {
        "lifecycle": lifecycle_for(rules, prefix),
        "public_access_block": block,
        "cors": [
            {k: sorted(v) if isinstance(v, list) else v for k, v in rule.items() if k != "ID"}
            for rule in cors
        ],
    }


def lifecycle_for(rules: list[dict[str, Any]], prefix: str) -> dict[str, int | None]:
    """What the enabled rules do to an object under prefix: expiry and abort, in days."""
    applying = [
        r
        for r in rules
        if r["Status"] == "Enabled" and prefix.startswith(r.get("Filter", {}).get("Prefix", ""))
    ]
    expiry = [r["Expiration"]["Days"] for r in applying if "Expiration" in r]
    abort = [
        r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        for r in applying
        if "AbortIncompleteMultipartUpload" in r
    ]
    return {"expire_days": min(expiry, default=None), "abort_days": min(abort, default=None)}


def table(client: Client, name: str) -> dict[str, Any]:
    ddb = client("dynamodb")
    described = ddb.describe_table(TableName=name)["Table"]
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    return {
        "keys": sorted((k["AttributeName"], k["KeyType"]) for k in described["KeySchema"]),
        "attributes": sorted(
            (a["AttributeName"], a["AttributeType"]) for a in described["AttributeDefinitions"]
        ),
        "billing": described["BillingModeSummary"]["BillingMode"],
        "ttl": (ttl.get("AttributeName"), ttl["TimeToLiveStatus"]),
    }
