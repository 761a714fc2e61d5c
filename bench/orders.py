"""Order throughput against the emulator and the API's own cost, each against a baseline
measured in the same run.

    uv run python bench/orders.py [--concurrency 64] [--seconds 15] [--orders 2000]
                                  [--overhead-only]

1. raw: boto3 SNS publishes of OrderSubmitted envelopes from `concurrency` threads;
2. http: POST /api/v1/orders at `concurrency` connections (target: at least 0.7x raw);
3. api overhead (needs wrk): POST /api/v1/orders with its AWS calls answered at once,
   against a bare Litestar and msgspec app under the same server and the same wrk load
   (target: at least 0.5x the bare app; bench/api_overhead.py says what is measured);
4. end to end: `orders` orders from POST to persisted row, every one accounted for.

The three services run as separate processes, as in production. Prints figures only;
the machine is noisy, so compare the ratios, not absolute rates across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg

from api_overhead import Load, api_overhead
from conveyor_aws.publisher import EventPublisher
from conveyor_common.envelope import wrap
from conveyor_common.events import OrderSubmitted
from conveyor_common.orders import Order, OrderItem
from conveyor_common.progress import progress_bar
from conveyor_devstack.demo import mint_token
from conveyor_devstack.stack import Stack

TARGET_RATIO = 0.7
DRAIN_TIMEOUT_SECONDS = 900
# How often a windowed end-to-end phase counts the persisted rows.
WINDOW_POLL_SECONDS = 0.25


def order_body(customer: str) -> dict[str, Any]:
    return {
        "customerId": customer,
        "customerEmail": f"{customer}@example.com",
        "currency": "eur",
        "items": [
            {"sku": "A-1", "quantity": 2, "unitPrice": "9.99"},
            {"sku": "B-2", "quantity": 1, "unitPrice": "5"},
        ],
        "totalAmount": "24.98",
    }


def an_envelope(customer: str) -> Any:
    order = Order(
        order_id=uuid.uuid4(),
        tenant_id="bench",
        customer_id=customer,
        customer_email=f"{customer}@example.com",
        customer_name=None,
        currency="EUR",
        items=(
            OrderItem(
                sku="A-1",
                name=None,
                quantity=2,
                unit_price=Decimal("9.99"),
                line_total=Decimal("19.98"),
            ),
            OrderItem(
                sku="B-2", name=None, quantity=1, unit_price=Decimal(5), line_total=Decimal(5)
            ),
        ),
        total_amount=Decimal("24.98"),
        submitted_at=datetime.now(UTC),
    )
    return wrap(OrderSubmitted(order=order), tenant_id="bench", correlation_id="bench")


def summarise(name: str, latencies: list[float], seconds: float) -> float:
    rate = len(latencies) / seconds
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"{name:<5} {len(latencies):>6} requests  {rate:8.1f} req/s  "
        f"p50 {cuts[49] * 1000:6.1f} ms  p99 {cuts[98] * 1000:7.1f} ms"
    )
    return rate


def raw_publishes(stack: Stack, *, concurrency: int, seconds: float) -> float:
    sns = stack.moto.client("sns", max_connections=concurrency)
    publisher = EventPublisher(topic_arn=stack.env["EVENTS_TOPIC_ARN"], client=sns)
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop(worker: int) -> None:
        count = 0
        while time.monotonic() < deadline:
            envelope = an_envelope(f"raw-{worker}-{count}")
            started = time.perf_counter()
            publisher.publish(envelope)
            with lock:
                latencies.append(time.perf_counter() - started)
            count += 1

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(loop, range(concurrency)))
    return summarise("raw", latencies, time.monotonic() - started)


async def post_orders(
    stack: Stack,
    token: str,
    *,
    concurrency: int,
    seconds: float | None,
    total: int | None,
    invalid: bool = False,
    retry_unavailable: bool = False,
    window: int | None = None,
) -> tuple[list[float], list[str], float]:
    """POST orders from `concurrency` connections. With `retry_unavailable`, a 503 is
    retried after its Retry-After with the same Idempotency-Key, as a client should.
    With `window`, no order is sent while `window` sent ones are not yet persisted."""
    latencies: list[float] = []
    accepted: list[str] = []
    failures = 0
    retried = 0
    issued = 0
    done = 0
    counted = asyncio.Condition()

    def room_ahead() -> bool:
        return window is None or issued - done < window

    async def count_persisted() -> None:
        nonlocal done
        while True:
            done = await asyncio.to_thread(persisted, stack, list(accepted))
            async with counted:
                counted.notify_all()
            await asyncio.sleep(WINDOW_POLL_SECONDS)

    deadline = time.monotonic() + seconds if seconds else None
    # Idle connections are dropped before uvicorn's 5 s keep-alive closes them: a request
    # sent on one it is closing fails with ReadError (while 503s are waited out, say).
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=2
    )

    async def loop(client: httpx.AsyncClient, worker: int) -> None:
        nonlocal failures, retried, issued
        while (deadline is None or time.monotonic() < deadline) and (
            total is None or issued < total
        ):
            if window is not None:
                async with counted:
                    # An order that is never persisted ends the run here, not in a hang.
                    await asyncio.wait_for(counted.wait_for(room_ahead), DRAIN_TIMEOUT_SECONDS)
                if total is not None and issued >= total:
                    break  # others took the last orders while this one waited
            issued += 1
            started = time.perf_counter()
            body = order_body(f"http-{worker}-{issued}")
            if invalid:
                body["totalAmount"] = "1.00"
            # A key only where a retry may repeat the request: it costs DynamoDB calls.
            headers = {"Idempotency-Key": f"bench-{uuid.uuid4()}"} if retry_unavailable else {}
            response = await client.post("/api/v1/orders", json=body, headers=headers)
            while retry_unavailable and response.status_code == 503:
                retried += 1
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                response = await client.post("/api/v1/orders", json=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code == 202:
                accepted.append(response.json()["orderId"])
            elif not (invalid and response.status_code == 422):
                failures += 1

    async with httpx.AsyncClient(
        base_url=stack.producer_url,
        headers={"Authorization": f"Bearer {token}"},
        limits=limits,
        timeout=60,
    ) as client:
        started = time.monotonic()
        counting = asyncio.create_task(count_persisted()) if window is not None else None
        await asyncio.gather(*(loop(client, worker) for worker in range(concurrency)))
        elapsed = time.monotonic() - started
        if counting is not None:
            counting.cancel()
    if failures:
        print(f"      {failures} requests were not accepted")
    if retried:
        print(f"      {retried} answers were 503 with Retry-After, and retried")
    return latencies, accepted, elapsed


def purge_queues(stack: Stack) -> None:
    """Deep moto queues slow down linearly; start the end-to-end phase empty."""
    sqs = stack.moto.client("sqs")
    for queue in (stack.env["PROCESSOR_QUEUE"], stack.env["NOTIFIER_QUEUE"]):
        sqs.purge_queue(QueueUrl=sqs.get_queue_url(QueueName=queue)["QueueUrl"])


def persisted(stack: Stack, order_ids: list[str]) -> int:
    with psycopg.connect(str(stack.database_url)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM orders WHERE order_id = ANY(%s::uuid[])", (order_ids,)
        ).fetchone()
    return int(row[0]) if row else 0


def end_to_end(
    stack: Stack, token: str, *, concurrency: int, orders: int, window: int | None = None
) -> float:
    started = time.monotonic()
    _, accepted, _ = asyncio.run(
        post_orders(
            stack,
            token,
            concurrency=concurrency,
            seconds=None,
            total=orders,
            retry_unavailable=True,
            window=window,
        )
    )
    deadline = started + DRAIN_TIMEOUT_SECONDS
    with progress_bar(f"e2e   {len(accepted)} orders persisting", length=len(accepted)) as bar:
        while (done := persisted(stack, accepted)) < len(accepted) and time.monotonic() < deadline:
            bar.to(done)
            time.sleep(0.5)
        bar.to(done)
    elapsed = time.monotonic() - started
    print(
        f"e2e   {orders} posted, {len(accepted)} accepted, {done} persisted "
        f"in {elapsed:.1f} s: {done / elapsed:.1f} orders/s"
    )
    print(f"      every accepted order accounted for: {done == len(accepted) == orders}")
    return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--overhead-only", action="store_true", help="only phase 3")
    args = parser.parse_args()
    log_dir = Path(".devstack/bench-logs").resolve()
    with Stack(log_dir=log_dir) as stack:
        token = mint_token(stack.env)
        # The publish phases measure the accepting side alone; the workers come back for e2e.
        for worker in ("processor", "notifier"):
            stack.services.pop(worker).stop()
        print(f"concurrency {args.concurrency}, {args.seconds:.0f} s per phase")
        if not args.overhead_only:
            against_raw(stack, token, concurrency=args.concurrency, seconds=args.seconds)
        load = Load(args.concurrency, args.seconds, order_body("overhead"))
        api_overhead(stack, token, load)
        if args.orders and not args.overhead_only:
            purge_queues(stack)
            for worker in ("processor", "notifier"):
                stack.start_service(worker)
            end_to_end(stack, token, concurrency=args.concurrency, orders=args.orders)


def against_raw(stack: Stack, token: str, *, concurrency: int, seconds: float) -> None:
    # Each phase starts from empty queues: moto's SQS slows down as a queue deepens.
    purge_queues(stack)
    raw = raw_publishes(stack, concurrency=concurrency, seconds=seconds)
    purge_queues(stack)
    latencies, _, elapsed = asyncio.run(
        post_orders(stack, token, concurrency=concurrency, seconds=seconds, total=None)
    )
    http = summarise("http", latencies, elapsed)
    print(f"ratio http/raw {http / raw:.2f} (target >= {TARGET_RATIO})")


if __name__ == "__main__":
    main()
