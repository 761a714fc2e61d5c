"""API fuzzing: every operation of the served OpenAPI document, against the real producer.

The app is served by uvicorn on a loopback port, against the moto server and
PostgreSQL; Schemathesis loads the schema it serves and calls each operation
with generated requests (as a caller with the exporter and admin roles). No
request may give a 5xx, and every response must be one the document declares:
its status, its media type and its body's schema.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis import BaseSchema, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# The order tests' settings: the same secret and the emulator's resources.
from tests.integration.producer.test_orders import SECRET, producer_settings

from conveyor_devstack.ports import LOOPBACK, free_port
from conveyor_producer.app import real_app
from conveyor_producer.token import issue_token

pytestmark = pytest.mark.integration

SCHEMA_PATH = "/schema/openapi.json"
JSON = "application/json"
START_TIMEOUT_SECONDS = 20
# Per operation and mode (schema-conforming, then schema-violating requests).
EXAMPLES_PER_OPERATION = 40
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
CALLER = {
    "Authorization": "Bearer "
    + issue_token(
        SECRET,
        sub="fuzzer",
        tenant="tenant-fuzz",
        roles=("exporter", "admin"),
        email="fuzzer@example.com",
        ttl_seconds=3600,
    )
}


@pytest.fixture(scope="module")
def served_api(aws_env: dict[str, str], migrated_database: str) -> Iterator[str]:
    """The producer, served over HTTP for the whole module; its base URL."""
    app = real_app(producer_settings(aws_env, migrated_database))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host=LOOPBACK, port=port, log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="fuzzed-producer", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the producer did not start")
        time.sleep(0.05)
    yield f"http://{LOOPBACK}:{port}"
    server.should_exit = True
    thread.join(timeout=START_TIMEOUT_SECONDS)


# Every operation the document declares, each fuzzed as a test of its own; the first
# test fails when a route is added without being listed here.
OPERATIONS = [
    "POST /api/v1/orders",
    "GET /api/v1/orders/{order_id}",
    "POST /api/v1/exports",
    "GET /api/v1/exports",
    "GET /api/v1/exports/{export_id}",
    "POST /api/v1/exports/{export_id}/cancel",
    "POST /api/v1/files/upload",
    "POST /api/v1/files",
    "POST /api/v1/files/{file_id}/complete",
    "GET /api/v1/files",
    "GET /api/v1/files/{file_id}",
    "POST /api/v1/files/{file_id}/cancel",
    "GET /api/v1/files/template.csv",
    "GET /api/v1/files/template.json",
    "GET /links/{token}",
    "GET /health",
    "GET /ready",
]


@pytest.fixture
def api_schema(served_api: str, aws: dict[str, str]) -> BaseSchema:
    # `aws` empties the queues first, so the accepted requests do not pile up there.
    return schemathesis.openapi.from_url(f"{served_api}{SCHEMA_PATH}")


def test_every_served_operation_is_fuzzed(api_schema: BaseSchema) -> None:
    served = {result.ok().label for result in api_schema.get_all_operations()}  # type: ignore[union-attr]

    assert served == set(OPERATIONS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("label", OPERATIONS)
def test_no_request_errs_or_breaks_the_documented_contract(
    api_schema: BaseSchema, label: str, mode: GenerationMode
) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None
    sent = (operation.path_parameters, operation.headers, operation.query, operation.body)
    if mode is GenerationMode.NEGATIVE and not any(sent):
        pytest.skip(f"{label} takes nothing a request could get wrong")

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: Case[Any]) -> None:
        case.call_and_validate(headers=CALLER, checks=CHECKS)

    call()


@pytest.mark.parametrize("label", ["POST /api/v1/orders", "POST /api/v1/exports"])
def test_the_documented_example_is_accepted_by_the_served_api(
    api_schema: BaseSchema, label: str
) -> None:
    # Generated bodies rarely pass every business rule; the example always must.
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None
    body_schema = operation.definition.raw["requestBody"]["content"][JSON]["schema"]
    [example] = body_schema["examples"]

    response = operation.Case(body=example, media_type=JSON).call_and_validate(
        headers=CALLER, checks=CHECKS
    )

    assert response.status_code == HTTPStatus.ACCEPTED, response.text
