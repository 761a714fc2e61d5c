"""The routing of events to services: one JSON file, read by the Python code and by
Terraform, and checked against the event contracts."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import pytest

import conveyor_common.events  # noqa: F401 - registers every event type
from conveyor_aws.resources import SERVICE_EVENTS
from conveyor_aws.routing import ROUTING_FILE, InvalidRouting, load_routing, packaged_routing
from conveyor_common.envelope import json_schema

ROOT = Path(__file__).resolve().parents[3]
TF_DIR = ROOT / "infra" / "terraform"
MESSAGING_MODULE = TF_DIR / "modules" / "messaging"
PACKAGED = Path(str(files("conveyor_aws").joinpath(ROUTING_FILE))).resolve()
# The messaging module names the file relative to its own directory.
TF_ROUTING_FILE = re.compile(r'routing_file\s*=\s*"\$\{path\.module\}/(?P<path>[^"]+)"')


def contract_event_types() -> set[str]:
    """Every event type the envelope can carry (its schema's event_type enum)."""
    return set(json_schema()["properties"]["event_type"]["enum"])


def test_the_services_subscribe_to_what_the_file_says() -> None:
    raw = json.loads(PACKAGED.read_text(encoding="utf-8"))
    declared = {service: tuple(types) for service, types in raw["consumers"].items()}
    assert declared == SERVICE_EVENTS
    assert packaged_routing().consumers == SERVICE_EVENTS


def test_every_event_reaches_a_service_and_every_routed_event_exists() -> None:
    routed = {event_type for types in SERVICE_EVENTS.values() for event_type in types}
    assert contract_event_types() - routed == set(), "published but never consumed"
    assert routed - contract_event_types() == set(), "routed but no such event"


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("[]", "Expected `object`"),
        ('{"consumers": {"processor": ["OrderSubmitted"]}}', "missing required field `about`"),
        ('{"about": "", "consumers": {}}', "no service consumes any event"),
        ('{"about": "", "consumers": {"processor": []}}', "processor consumes no event type"),
        ('{"about": "", "consumers": {"p": ["A", "A"]}}', "p lists an event type twice"),
        ('{"about": "", "consumers": {"Pro-cessor": ["A"]}}', "matching regex"),
        ('{"about": "", "consumers": {"p": ["order submitted"]}}', "matching regex"),
        ('{"about": "", "consumers": {"p": ["A"]}, "queues": {}}', "unknown field `queues`"),
        ("{", "is not JSON"),
    ],
)
def test_a_malformed_routing_is_refused_with_the_reason(document: str, problem: str) -> None:
    with pytest.raises(InvalidRouting, match=re.escape(problem)):
        load_routing(document)


def test_terraform_reads_the_same_file_and_lists_no_event_of_its_own() -> None:
    messaging = (MESSAGING_MODULE / "main.tf").read_text(encoding="utf-8")
    # the file Terraform loads is the one the package ships
    [relative] = [m["path"] for m in TF_ROUTING_FILE.finditer(messaging)]
    assert (MESSAGING_MODULE / relative).resolve() == PACKAGED
    words = " ".join(messaging.split())
    assert "consumers = jsondecode(file(local.routing_file)).consumers" in words
    # and each subscription's filter is that file's list, for the queue it is made for
    subscription = words[words.index('resource "aws_sns_topic_subscription" "consumer"') :]
    assert subscription.startswith(
        'resource "aws_sns_topic_subscription" "consumer" { for_each = local.consumers'
    )
    assert "filter_policy = jsonencode({ event_type = each.value })" in subscription
    for event_type in contract_event_types():
        for tf_file in TF_DIR.rglob("*.tf"):
            text = tf_file.read_text(encoding="utf-8")
            assert f'"{event_type}"' not in text, f"{tf_file} names {event_type}"
