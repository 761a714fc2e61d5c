"""The AWS endpoint stops answering for a while (SIGSTOP on the emulator).

The API must say so quickly (503 with Retry-After, /ready within its probe bound),
and everything it accepted before or after must still be processed once AWS
answers again: the workers ride the freeze out.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial

import httpx
import pytest

from conveyor_aws.resources import QUEUE_VISIBILITY_TIMEOUT_SECONDS
from conveyor_devstack.mailbox import captured_emails
from conveyor_devstack.stack import Stack

from .conftest import aws_frozen, eventually, mint_token
from .test_order_pipeline import an_order_body, order_rows

pytestmark = pytest.mark.e2e

FREEZE_SECONDS = 15.0
# What the issue promises while AWS does not answer.
POST_BOUND_SECONDS = 5.0
READY_BOUND_SECONDS = 2.0
# Long enough for a request that was in flight when AWS froze to finish after the thaw,
# and for messages a cut-off receive had taken to come back when their visibility lapses.
RECOVERY_SECONDS = QUEUE_VISIBILITY_TIMEOUT_SECONDS + 60.0
ORDERS_BEFORE = 3


@pytest.fixture
def tenant_api(stack: Stack) -> Iterator[httpx.Client]:
    """A tenant of its own, so no other test's orders or exports are counted."""
    tenant = f"fault-{uuid.uuid4().hex[:8]}"
    token = mint_token(stack, tenant=tenant, sub="fault-user", roles="exporter")
    with httpx.Client(
        base_url=stack.producer_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        yield client


def unique_email() -> str:
    return f"fault-{uuid.uuid4().hex[:10]}@example.com"


def answer_within(send: Callable[[], httpx.Response], *, bound_seconds: float) -> httpx.Response:
    """The response, failing the test if none came within the bound (the client's timeout)."""
    try:
        return send()
    except httpx.TimeoutException:
        pytest.fail(f"no answer within {bound_seconds} s while AWS was frozen")


def assert_retryable_problem(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["status"] == 503


def accepted_order(api: httpx.Client, email: str) -> str | None:
    response = api.post("/api/v1/orders", json=an_order_body(email))
    if response.status_code == 503:
        return None
    assert response.status_code == 202, response.text
    order_id: str = response.json()["orderId"]
    return order_id


@pytest.mark.timeout(900)
def test_a_frozen_aws_endpoint_gets_fast_503s_and_loses_no_accepted_order(
    stack: Stack, tenant_api: httpx.Client
) -> None:
    # given orders accepted while AWS answers
    accepted: dict[str, str] = {}
    for _ in range(ORDERS_BEFORE):
        email = unique_email()
        order_id = accepted_order(tenant_api, email)
        assert order_id is not None
        accepted[order_id] = email
    first_order = next(iter(accepted))

    # when the AWS endpoint stops answering
    impatient = httpx.Client(
        base_url=stack.producer_url, headers=tenant_api.headers, timeout=POST_BOUND_SECONDS
    )
    with impatient, aws_frozen(stack):
        frozen_at = time.monotonic()
        # then a new order is refused quickly, as retryable
        order = answer_within(
            lambda: impatient.post("/api/v1/orders", json=an_order_body(unique_email())),
            bound_seconds=POST_BOUND_SECONDS,
        )
        assert_retryable_problem(order)
        # and so is an export request
        export = answer_within(
            lambda: impatient.post(
                "/api/v1/exports",
                json={"resource": "orders", "format": "csv", "notify": [unique_email()]},
            ),
            bound_seconds=POST_BOUND_SECONDS,
        )
        assert_retryable_problem(export)
        # and a read of the state table
        read = answer_within(
            lambda: impatient.get(f"/api/v1/orders/{first_order}"),
            bound_seconds=POST_BOUND_SECONDS,
        )
        assert_retryable_problem(read)
        # and readiness answers within a probe's patience, naming AWS
        ready = answer_within(
            lambda: httpx.get(f"{stack.producer_url}/ready", timeout=READY_BOUND_SECONDS),
            bound_seconds=READY_BOUND_SECONDS,
        )
        assert ready.status_code == 503, ready.text
        assert "aws" in ready.json()["detail"]
        # the freeze lasts its full length, longer than any client timeout of the API
        time.sleep(max(0.0, frozen_at + FREEZE_SECONDS - time.monotonic()))

    # when AWS answers again, an order is accepted again
    email = unique_email()
    after = eventually(
        partial(accepted_order, tenant_api, email),
        what="an order accepted after the thaw",
        seconds=RECOVERY_SECONDS,
    )
    accepted[after] = email
    assert tenant_api.get("/ready").status_code == 200

    # then every order that got a 202 is persisted: none lost
    for order_id in accepted:
        rows = eventually(
            partial(order_rows, stack, order_id),
            what=f"order {order_id} in PostgreSQL",
            seconds=RECOVERY_SECONDS,
        )
        assert len(rows) == 1
    # and both workers lived through the freeze and still consume: the last order is confirmed
    for worker in ("processor", "notifier"):
        process = stack.services[worker].process
        assert process is not None
        assert process.poll() is None, f"the {worker} exited"
    eventually(
        lambda: [mail for mail in captured_emails(stack.moto.mailbox()) if email in mail.to],
        what="the confirmation of the order accepted after the thaw",
        seconds=RECOVERY_SECONDS,
    )
