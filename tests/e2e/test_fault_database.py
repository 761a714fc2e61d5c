"""A 202 is a promise: PostgreSQL stops for 30 s while orders keep coming, and every
accepted order is still stored and confirmed once, and only once it is stored."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest

from conveyor_devstack.mailbox import captured_emails
from conveyor_devstack.postgres import TempPostgres
from conveyor_devstack.stack import Stack

from .conftest import (
    database_down,
    eventually,
    mint_token,
    queue_counts,
    queue_depth,
    service_log_lines,
)
from .test_order_pipeline import an_order_body

pytestmark = pytest.mark.e2e

ORDERS_PER_SECOND = 2
# Orders are posted before, during and after the outage.
BEFORE_OUTAGE_SECONDS = 5
OUTAGE_SECONDS = 30
AFTER_OUTAGE_SECONDS = 5
# Retries come back at most 30 s apart once PostgreSQL is back, but a message whose
# retry or delete could not reach SQS comes back only when its 300 s visibility
# timeout lapses: the promise is "stored", the bound only stops a hung run.
RECOVERY_SECONDS = 360


class OrderBurst:
    """Posts orders at a steady rate on a thread, remembering the accepted ones."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.accepted: list[tuple[str, float]] = []
        self.refused: list[int] = []
        self._thread = threading.Thread(target=self._run, name="order-burst", daemon=True)

    def __enter__(self) -> OrderBurst:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def order_ids(self, *, accepted_after: float = 0.0) -> list[str]:
        with self._lock:
            return [order_id for order_id, at in self.accepted if at >= accepted_after]

    def _run(self) -> None:
        interval = 1 / ORDERS_PER_SECOND
        while not self._stop.is_set():
            started = time.monotonic()
            email = f"fault-{uuid.uuid4().hex[:10]}@example.com"
            try:
                response = self._client.post("/api/v1/orders", json=an_order_body(email))
            except httpx.HTTPError:
                self.refused.append(0)
            else:
                if response.status_code == 202:
                    with self._lock:
                        self.accepted.append((response.json()["orderId"], started))
                else:
                    self.refused.append(response.status_code)
            self._stop.wait(max(0.0, interval - (time.monotonic() - started)))


def stored_order_ids(stack: Stack, tenant: str) -> set[str]:
    with psycopg.connect(str(stack.database_url)) as conn:
        rows = conn.execute("SELECT order_id FROM orders WHERE tenant_id = %s", (tenant,))
        return {str(order_id) for (order_id,) in rows.fetchall()}


def where_are(stack: Stack, aws_client: Callable[[str], Any], missing: set[str]) -> str:
    """What the queues and the processor's log say of orders not stored."""
    queues = {
        name: queue_counts(aws_client, name)
        for name in (stack.env["PROCESSOR_QUEUE"], f"{stack.env['PROCESSOR_QUEUE']}-dlq")
    }
    log = service_log_lines(stack, "processor", sorted(missing)[:5], last=20)
    return f"{len(missing)} not stored: {sorted(missing)}\nqueues: {queues}\nprocessor log:\n{log}"


def confirmations(stack: Stack, order_ids: set[str]) -> dict[str, int]:
    """How many confirmation e-mails each of these orders got."""
    counts: dict[str, int] = {}
    for email in captured_emails(stack.moto.mailbox()):
        for order_id in order_ids:
            if email.subject == f"Order {order_id} confirmed":
                counts[order_id] = counts.get(order_id, 0) + 1
    return counts


@pytest.mark.timeout(900)
def test_no_accepted_order_is_lost_or_confirmed_early_when_postgres_stops_for_30_s(
    stack: Stack, database_server: TempPostgres, aws_client: Callable[[str], Any]
) -> None:
    tenant = f"fault-{uuid.uuid4().hex[:8]}"
    token = mint_token(stack, tenant=tenant)
    dead_letter_queues = [f"{stack.env[q]}-dlq" for q in ("PROCESSOR_QUEUE", "NOTIFIER_QUEUE")]
    parked_before = [queue_depth(aws_client, q) for q in dead_letter_queues]
    statuses_seen: set[str] = set()
    with (
        httpx.Client(
            base_url=stack.producer_url, headers={"Authorization": f"Bearer {token}"}, timeout=15
        ) as client,
        OrderBurst(client) as burst,
    ):
        # given orders flowing at 2/s
        time.sleep(BEFORE_OUTAGE_SECONDS)
        # when PostgreSQL stops for 30 s
        outage_started = time.monotonic()
        with database_down(database_server):
            while time.monotonic() - outage_started < OUTAGE_SECONDS:
                # the API says the newest orders are waiting (ACCEPTED, then PENDING)
                latest = burst.order_ids(accepted_after=outage_started)[-3:]
                for order_id in latest:
                    response = client.get(f"/api/v1/orders/{order_id}")
                    if response.status_code == 200:
                        statuses_seen.add(response.json()["status"])
                time.sleep(1)
            # and nothing accepted during the outage has been confirmed
            during = set(burst.order_ids(accepted_after=outage_started))
            assert confirmations(stack, during) == {}
        time.sleep(AFTER_OUTAGE_SECONDS)

    # then every accepted order ends up stored
    accepted = set(burst.order_ids())
    assert len(accepted) >= (BEFORE_OUTAGE_SECONDS + OUTAGE_SECONDS) * ORDERS_PER_SECOND * 0.7
    eventually(
        lambda: stored_order_ids(stack, tenant) == accepted,
        what="every accepted order in PostgreSQL",
        seconds=RECOVERY_SECONDS,
        explain=lambda: where_are(stack, aws_client, accepted - stored_order_ids(stack, tenant)),
    )
    # and confirmed exactly once
    eventually(
        lambda: set(confirmations(stack, accepted)) == accepted,
        what="a confirmation for every order",
        seconds=RECOVERY_SECONDS,
    )
    assert set(confirmations(stack, accepted).values()) == {1}
    # and nothing was parked in either DLQ
    assert [queue_depth(aws_client, q) for q in dead_letter_queues] == parked_before
    # and while it waited, the API said so
    assert "PENDING" in statuses_seen
