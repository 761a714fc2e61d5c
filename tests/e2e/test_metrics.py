"""Each service's /metrics, scraped before and after an order and an export."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conveyor_aws.metrics.sampling import SAMPLE_INTERVAL_SECONDS
from conveyor_common.jobs import JobStatus
from conveyor_devstack.seed import seed_orders
from conveyor_devstack.stack import Stack

from .conftest import eventually, mint_token
from .test_imports import csv_file, order_line

pytestmark = pytest.mark.e2e

SERVICES = ("producer", "processor", "notifier")
# (sample name, labels) -> value
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
# An import long enough to be seen running: several seconds at the fastest rate measured.
RUNNING_IMPORT_ORDERS = 60_000
# What the order and the export make each worker handle.
HANDLED = (
    ("processor", "OrderSubmitted"),
    ("processor", "ExportRequested"),
    ("notifier", "OrderPersisted"),
    ("notifier", "ExportCompleted"),
)


def scrape(stack: Stack, service: str) -> Samples:
    response = httpx.get(stack.metrics_url(service), timeout=10)
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def handled_ok(stack: Stack, service: str, event_type: str) -> float:
    labels = {"service": service, "event_type": event_type, "outcome": "ok"}
    return value(scrape(stack, service), "conveyor_messages_handled_total", **labels)


def requests_accepted(samples: Samples, path: str) -> float:
    labels = {"app_name": "producer", "method": "POST", "path": path, "status_code": "202"}
    return value(samples, "conveyor_producer_requests_total", **labels)


def completed_exports(stack: Stack) -> float:
    samples = scrape(stack, "processor")
    return value(samples, "conveyor_jobs", kind="export", status=JobStatus.COMPLETED.value)


def post_an_order_and_an_export(stack: Stack) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    seed_orders(str(stack.database_url), tenant=tenant, count=3, start=datetime.now(UTC))
    token = mint_token(stack, tenant=tenant, sub="exporter", roles="exporter")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=stack.producer_url, headers=headers, timeout=30) as api:
        order = api.post("/api/v1/orders", json=an_order())
        assert order.status_code == 202, order.text
        export = api.post(
            "/api/v1/exports",
            json={"resource": "orders", "format": "csv", "notify": ["ops@example.com"]},
        )
        assert export.status_code == 202, export.text


def an_order() -> dict[str, object]:
    return {
        "customerId": "cust-m",
        "customerName": "Metrics Buyer",
        "customerEmail": f"buyer-{uuid.uuid4().hex[:8]}@example.com",
        "currency": "EUR",
        "items": [{"sku": "BOOK", "name": "Notes", "quantity": 1, "unitPrice": "5.00"}],
        "totalAmount": "5.00",
    }


def handled_more_than(stack: Stack, service: str, event_type: str, before: Samples) -> bool:
    labels = {"service": service, "event_type": event_type, "outcome": "ok"}
    counted_before = value(before, "conveyor_messages_handled_total", **labels)
    return handled_ok(stack, service, event_type) > counted_before


def check_worker_gauges(stack: Stack, service: str, samples: Samples, event_type: str) -> None:
    labels = {"service": service, "event_type": event_type}
    assert value(samples, "conveyor_message_handling_seconds_count", **labels) >= 1
    queue = stack.env[f"{service.upper()}_QUEUE"]
    for name in (queue, f"{queue}-dlq"):
        assert ("conveyor_queue_messages", frozenset({("queue", name), ("state", "visible")})) in (
            samples
        )


def test_each_service_reports_what_it_did(stack: Stack) -> None:
    before = {service: scrape(stack, service) for service in SERVICES}
    exports_before = completed_exports(stack)

    post_an_order_and_an_export(stack)

    # then each worker counted the messages it handled, once its handler returned
    for service, event_type in HANDLED:
        eventually(
            partial(handled_more_than, stack, service, event_type, before[service]),
            what=f"{service} counting a handled {event_type}",
        )
    after = {service: scrape(stack, service) for service in SERVICES}
    # and the producer counted both accepted requests, by route
    for path in ("/api/v1/orders", "/api/v1/exports"):
        accepted_before = requests_accepted(before["producer"], path)
        assert requests_accepted(after["producer"], path) == accepted_before + 1
    # and each worker's handling time and queue gauges are there
    check_worker_gauges(stack, "processor", after["processor"], "OrderSubmitted")
    check_worker_gauges(stack, "notifier", after["notifier"], "OrderPersisted")
    # and the job catalogue's count moves once its 15 s sample has aged
    eventually(
        lambda: completed_exports(stack) > exports_before,
        what="the completed export counted in conveyor_jobs",
        seconds=SAMPLE_INTERVAL_SECONDS + 10,
    )


def import_rate(stack: Stack) -> float:
    return value(scrape(stack, "processor"), "conveyor_job_rows_per_second", kind="import")


def test_the_processor_shows_the_rows_per_second_of_a_running_import(stack: Stack) -> None:
    # given no import runs, the gauge is there at 0
    assert ("conveyor_job_rows_per_second", frozenset({("kind", "import")})) in scrape(
        stack, "processor"
    )
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    token = mint_token(stack, tenant=tenant, sub="importer", roles="exporter")
    lines = (order_line(f"R-{n:07d}", f"c-{n:07d}") for n in range(RUNNING_IMPORT_ORDERS))
    with httpx.Client(
        base_url=stack.producer_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as api:
        # when a large file is being imported
        accepted = api.post(
            "/api/v1/files/upload", files={"file": ("rate.csv", csv_file(*lines), "text/csv")}
        )
        assert accepted.status_code == 202, accepted.text
        file_id = accepted.json()["fileId"]

        # then the processor shows its rows per second while it runs
        eventually(lambda: import_rate(stack) > 0, what="the import's rows per second", seconds=120)

        # and, once it is cancelled, the rate of imports drops back to 0
        cancelled = api.post(f"/api/v1/files/{file_id}/cancel")
        assert cancelled.status_code in (200, 202), cancelled.text
    eventually(lambda: import_rate(stack) == 0, what="no import running any more", seconds=120)
