"""POST /api/v1/exports: validation, row limits, recipients, record-then-publish, retries."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from litestar.testing import TestClient
from tests.unit.producer.conftest import (
    EXPORTS,
    START,
    TENANT,
    FakeDatabase,
    FakeExportStates,
    FakePublisher,
    FakeStore,
    bearer,
)

from conveyor_common.envelope import Envelope
from conveyor_common.events import ExportRequested
from conveyor_common.exports.job import ExportJob
from conveyor_common.jobs import JobStatus
from conveyor_producer.acceptance.idempotency_store import KeyOwner, record_key
from conveyor_producer.exports.jobs import job_for

ALICE = bearer(email="Alice@Example.com")

# The callers the tests' tokens name (conftest.bearer's default subject).
OWNER = KeyOwner(TENANT, "alice")


def export_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resource": "orders",
        "format": "csv",
        "filters": {"createdAt": {"from": "2024-01-01T00:00:00Z"}, "currency": ["eur"]},
        "columns": ["orderId", "totalAmount"],
        "title": "Q1 orders",
    }
    body.update(overrides)
    return body


def problem_fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


def test_an_accepted_export_is_queued_with_its_count_links_and_location(
    client: TestClient[Any], database: FakeDatabase
) -> None:
    # given 1,234 matching rows
    database.row_count = 1234

    response = client.post(EXPORTS, json=export_body(), headers=ALICE)

    assert response.status_code == 202
    body = response.json()
    export_id = body["exportId"]
    assert uuid.UUID(export_id).version == 4
    assert body == {
        "exportId": export_id,
        "status": "QUEUED",
        "estimatedRowCount": 1234,
        "links": {
            "self": f"{EXPORTS}/{export_id}",
            "cancel": f"{EXPORTS}/{export_id}/cancel",
        },
    }
    assert response.headers["location"] == f"{EXPORTS}/{export_id}"


def test_the_count_is_of_the_callers_tenant_with_the_typed_filters(
    client: TestClient[Any], database: FakeDatabase
) -> None:
    client.post(EXPORTS, json=export_body(), headers=bearer(tenant="globex", email="a@b.io"))

    [query] = database.counted
    assert query.sql.startswith("SELECT count(*) FROM orders o WHERE o.tenant_id = %(tenant_id)s")
    assert query.params["tenant_id"] == "globex"
    assert ["EUR"] in query.params.values()


def test_the_job_is_recorded_queued_before_the_event_is_published(
    client: TestClient[Any],
    database: FakeDatabase,
    export_states: FakeExportStates,
    publisher: FakePublisher,
) -> None:
    database.row_count = 7
    jobs_at_publish: list[dict[uuid.UUID, ExportJob]] = []
    original = publisher.publish

    def publish(envelope: Envelope) -> str:
        jobs_at_publish.append(dict(export_states.jobs))
        return original(envelope)

    publisher.publish = publish  # type: ignore[method-assign]

    response = client.post(EXPORTS, json=export_body(), headers=ALICE)

    [jobs] = jobs_at_publish
    job = jobs[uuid.UUID(response.json()["exportId"])]
    assert job.status is JobStatus.QUEUED
    assert (job.tenant_id, job.requested_by, job.estimated_row_count) == (TENANT, "alice", 7)
    assert job.created_at == START
    assert (job.expires_at - job.created_at).days == 30
    assert job.notify == ("alice@example.com",)
    assert job.columns == ("orderId", "totalAmount")


def test_a_read_right_after_the_202_answers_queued(client: TestClient[Any]) -> None:
    accepted = client.post(EXPORTS, json=export_body(), headers=ALICE)

    response = client.get(accepted.headers["location"], headers=ALICE)

    assert response.status_code == 200
    assert response.json()["status"] == "QUEUED"


def test_the_published_event_describes_the_export(
    client: TestClient[Any], database: FakeDatabase, publisher: FakePublisher
) -> None:
    database.row_count = 5
    response = client.post(
        EXPORTS,
        json=export_body(format="xlsx", includeBom=True),
        headers={**ALICE, "X-Correlation-ID": "corr-exp-1"},
    )

    [envelope] = publisher.published
    event = envelope.payload
    assert isinstance(event, ExportRequested)
    assert envelope.tenant_id == TENANT
    assert envelope.correlation_id == "corr-exp-1"
    assert str(event.export_id) == response.json()["exportId"]
    assert event.requested_by == "alice"
    assert event.format == "xlsx"
    assert event.include_bom is True
    assert event.estimated_row_count == 5
    assert event.filters == export_body()["filters"]
    assert event.title == "Q1 orders"
    assert job_for(envelope).export_id == event.export_id


def test_notify_defaults_to_the_email_claim_of_the_token(
    client: TestClient[Any], publisher: FakePublisher
) -> None:
    client.post(EXPORTS, json=export_body(), headers=bearer(email=" Alice@Example.COM "))

    event = publisher.published[0].payload
    assert isinstance(event, ExportRequested)
    assert event.notify == ("alice@example.com",)


def test_explicit_recipients_are_normalised_and_deduplicated(
    client: TestClient[Any], publisher: FakePublisher
) -> None:
    body = export_body(notify=["Ops@Example.com", "ops@example.com ", "cfo@example.com"])

    client.post(EXPORTS, json=body, headers=bearer())

    event = publisher.published[0].payload
    assert isinstance(event, ExportRequested)
    assert event.notify == ("ops@example.com", "cfo@example.com")


def test_without_notify_and_without_an_email_claim_it_is_422(
    client: TestClient[Any], publisher: FakePublisher
) -> None:
    response = client.post(EXPORTS, json=export_body(), headers=bearer())

    assert problem_fields(response) == ["notify"]
    assert "e-mail" in response.json()["detail"]
    assert publisher.published == []


def test_a_bad_recipient_is_422(client: TestClient[Any]) -> None:
    response = client.post(EXPORTS, json=export_body(notify=["not an address"]), headers=ALICE)

    assert problem_fields(response) == ["notify[0]"]


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"resource": "invoices"}, ["resource"]),
        ({"columns": ["orderId", "shoeSize"]}, ["columns"]),
        ({"filters": {"colour": "red"}}, ["filters.colour"]),
        ({"filters": {"createdAt": {"from": "yesterday"}}}, ["filters.createdAt.from"]),
        (
            {"filters": {"createdAt": {"from": "2024-02-01", "to": "2024-01-01"}}},
            ["filters.createdAt"],
        ),
        ({"format": "docx"}, ["format"]),
        ({"shape": "round"}, ["shape"]),
    ],
)
def test_what_the_registry_or_the_schema_refuses_is_422_naming_the_field(
    client: TestClient[Any],
    database: FakeDatabase,
    publisher: FakePublisher,
    overrides: dict[str, Any],
    fields: list[str],
) -> None:
    response = client.post(EXPORTS, json=export_body(**overrides), headers=ALICE)

    assert problem_fields(response) == fields
    assert response.json()["title"] == "The request is not a valid export"
    assert database.counted == []
    assert publisher.published == []


def test_malformed_json_is_400(client: TestClient[Any]) -> None:
    response = client.post(
        EXPORTS,
        content=b'{"resource": "orders",',
        headers={**ALICE, "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["type"].endswith("/malformed-body")


@pytest.mark.parametrize(
    ("export_format", "limit"), [("csv", 500_000), ("xlsx", 500_000), ("pdf", 20_000)]
)
def test_more_rows_than_the_format_holds_is_422_saying_the_count_and_the_limit(
    client: TestClient[Any],
    database: FakeDatabase,
    export_states: FakeExportStates,
    publisher: FakePublisher,
    export_format: str,
    limit: int,
) -> None:
    # given one row more than the format's limit
    database.row_count = limit + 1

    response = client.post(EXPORTS, json=export_body(format=export_format), headers=ALICE)

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/too-many-rows")
    assert f"{limit + 1:,} rows match" in problem["detail"]
    assert f"at most {limit:,} rows" in problem["detail"]
    assert export_states.jobs == {}
    assert publisher.published == []


def test_exactly_the_limit_is_accepted(client: TestClient[Any], database: FakeDatabase) -> None:
    database.row_count = 20_000

    response = client.post(EXPORTS, json=export_body(format="pdf"), headers=ALICE)

    assert response.status_code == 202


def submit_with_key(client: TestClient[Any], key: str, **overrides: Any) -> Any:
    return client.post(
        EXPORTS, json=export_body(**overrides), headers={**ALICE, "Idempotency-Key": key}
    )


def test_a_retry_with_the_same_key_gets_the_first_answer_and_publishes_once(
    client: TestClient[Any], database: FakeDatabase, publisher: FakePublisher, store: FakeStore
) -> None:
    database.row_count = 3
    first = submit_with_key(client, "exp-1")
    # the data changed meanwhile, but the retry is the same request
    database.row_count = 4

    retry = submit_with_key(client, "exp-1")

    assert (first.status_code, retry.status_code) == (202, 202)
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert len(publisher.published) == 1
    assert len(database.counted) == 1
    stored = store.items[(record_key(OWNER, "exp-1"), "EXPORTS")]
    assert stored["status"] == "PUBLISHED"
    assert stored["export_id"] == first.json()["exportId"]
    assert stored["event_id"] == str(publisher.published[0].event_id)


def test_the_same_key_for_another_export_is_422(
    client: TestClient[Any], publisher: FakePublisher
) -> None:
    submit_with_key(client, "exp-2")

    response = submit_with_key(client, "exp-2", format="pdf")

    assert response.status_code == 422
    assert response.json()["type"].endswith("/idempotency-key-reused")
    assert len(publisher.published) == 1


def test_order_and_export_keys_do_not_collide(
    client: TestClient[Any], publisher: FakePublisher, store: FakeStore
) -> None:
    submit_with_key(client, "shared")

    assert (record_key(OWNER, "shared"), "EXPORTS") in store.items
    assert (record_key(OWNER, "shared"), "ORDERS") not in store.items


def test_a_failed_publish_is_503_and_a_retry_publishes_the_same_event(
    client: TestClient[Any],
    publisher: FakePublisher,
    store: FakeStore,
    export_states: FakeExportStates,
) -> None:
    # given a first attempt whose publish failed
    publisher.failures = 1
    failed = submit_with_key(client, "exp-3")
    assert failed.status_code == 503
    assert int(failed.headers["retry-after"]) > 0
    pending = store.items[(record_key(OWNER, "exp-3"), "EXPORTS")]
    assert pending["status"] == "PENDING"
    # the accepted job is already readable
    export_id = uuid.UUID(pending["export_id"])
    assert export_states.jobs[export_id].status is JobStatus.QUEUED

    # when the caller retries with the same key and body
    retry = submit_with_key(client, "exp-3")

    # then the first attempt's event goes out under the first export id
    assert retry.status_code == 202
    [envelope] = publisher.published
    assert str(envelope.event_id) == pending["event_id"]
    assert retry.json()["exportId"] == pending["export_id"]
    assert list(export_states.jobs) == [export_id]
    assert store.items[(record_key(OWNER, "exp-3"), "EXPORTS")]["status"] == "PUBLISHED"


def test_a_retry_recreates_the_job_when_the_first_attempt_could_not_record_it(
    client: TestClient[Any], publisher: FakePublisher, export_states: FakeExportStates
) -> None:
    # given a first attempt that claimed its key but could not write the job
    export_states.fault = EndpointConnectionError(endpoint_url="https://dynamodb.example.invalid")
    assert submit_with_key(client, "exp-4").status_code == 503
    export_states.fault = None

    retry = submit_with_key(client, "exp-4")

    assert retry.status_code == 202
    assert uuid.UUID(retry.json()["exportId"]) in export_states.jobs
    assert len(publisher.published) == 1


def test_without_a_key_an_unpublished_export_is_cancelled_so_it_never_runs(
    client: TestClient[Any], publisher: FakePublisher, export_states: FakeExportStates
) -> None:
    publisher.failures = 1

    response = client.post(EXPORTS, json=export_body(), headers=ALICE)

    assert response.status_code == 503
    [job] = export_states.jobs.values()
    assert job.status is JobStatus.CANCELLED


@pytest.mark.parametrize("roles", [(), ("viewer",)])
def test_requesting_an_export_needs_the_exporter_or_admin_role(
    client: TestClient[Any], roles: tuple[str, ...]
) -> None:
    response = client.post(
        EXPORTS, json=export_body(), headers=bearer(roles=roles, email="a@example.com")
    )
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "exporter" in response.json()["detail"]
