"""Runs the whole stack and shows its main job.

    python -m conveyor_devstack.demo [--once] [--port 8000]

Starts moto server, PostgreSQL (or uses DATABASE_URL), the bootstrap, the
migrations and the three services as processes; posts a few orders over HTTP
and shows them persisted in PostgreSQL and DynamoDB with their confirmation
e-mails; then exports the orders as CSV, XLSX and PDF to S3 and shows the
download links and the e-mails the emulator captured. Ctrl-C stops everything (--once stops at
the end of the demo).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from conveyor_aws.order_items import ORDER_SK, order_pk
from conveyor_common.exports.model import ExportFormat
from conveyor_common.jobs import JobStatus
from conveyor_common.progress import progress_bar
from conveyor_devstack.mailbox import captured_emails
from conveyor_devstack.seed import seed_orders, seeded_rows
from conveyor_devstack.stack import STARTUP_STEPS, Stack

DEMO_TENANT = "demo-tenant"
DEMO_EMAIL = "demo-user@example.com"
DEMO_TIMEOUT_SECONDS = 120
# Older orders loaded straight into PostgreSQL, so the exports have something to chew on.
HISTORY_ORDERS = 1_000
HISTORY_START = datetime(2026, 1, 1, tzinfo=UTC)

SAMPLE_ORDERS: list[dict[str, Any]] = [
    {
        "customerId": "  cust-001 ",
        "customerEmail": "  Ada.Lovelace@Example.COM ",
        "customerName": "Ada Lovelace",
        "currency": "eur",
        "items": [
            {
                "sku": "BOOK-42",
                "name": "Analytical Engine Notes",
                "quantity": 2,
                "unitPrice": "19.5",
            },
            {"sku": "PEN-1", "quantity": 3, "unitPrice": 1.25},
        ],
        "totalAmount": "42.75",
    },
    {
        "customerId": "cust-002",
        "customerEmail": "grace@example.com",
        "customerName": "Grace Hopper",
        "currency": "USD",
        "items": [{"sku": "COBOL-1", "name": "Compiler", "quantity": 1, "unitPrice": "999.99"}],
    },
    {
        "customerId": "cust-003",
        "customerEmail": "alan@example.com",
        "currency": "gbp",
        "items": [{"sku": "ENIGMA", "quantity": 5, "unitPrice": "10"}],
        "totalAmount": 50,
    },
]


# One export per format; the PDF is filtered, as PDFs allow fewer rows.
EXPORT_REQUESTS: dict[ExportFormat, dict[str, Any]] = {
    ExportFormat.CSV: {"includeBom": True},
    ExportFormat.XLSX: {"title": "All orders"},
    ExportFormat.PDF: {
        "title": "Euro orders",
        "filters": {"currency": "EUR"},
        "columns": ["orderId", "createdAt", "customerName", "totalAmount"],
    },
}


def mint_token(env: dict[str, str]) -> str:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "conveyor_producer.token",
            "--sub",
            "demo-user",
            "--tenant",
            DEMO_TENANT,
            "--roles",
            "admin",
            "--email",
            DEMO_EMAIL,
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def post_orders(stack: Stack, token: str) -> list[str]:
    order_ids = []
    with httpx.Client(base_url=stack.producer_url, timeout=10) as http:
        for order in SAMPLE_ORDERS:
            response = http.post(
                "/api/v1/orders", json=order, headers={"Authorization": f"Bearer {token}"}
            )
            print(f"POST /api/v1/orders -> {response.status_code} {response.text}")
            response.raise_for_status()
            order_ids.append(response.json()["orderId"])
        bad = http.post(
            "/api/v1/orders",
            json={**SAMPLE_ORDERS[0], "currency": "XXQ"},
            headers={"Authorization": f"Bearer {token}"},
        )
        print(f"POST with a bad currency -> {bad.status_code} {bad.text}")
    return order_ids


def wait_for_pipeline(stack: Stack, order_ids: list[str]) -> None:
    """Until each order is stored and its confirmation e-mailed: two steps per order."""
    deadline = time.monotonic() + DEMO_TIMEOUT_SECONDS
    label = f"waiting for {len(order_ids)} orders to be stored and confirmed"
    with progress_bar(label, length=2 * len(order_ids)) as bar:
        while time.monotonic() < deadline:
            persisted, emailed = _flowed(stack, order_ids)
            bar.to(persisted + emailed)
            if persisted == emailed == len(order_ids):
                return
            time.sleep(0.5)
    raise TimeoutError("the orders did not flow through the pipeline in time")


def _flowed(stack: Stack, order_ids: list[str]) -> tuple[int, int]:
    """How many of the orders are stored, and how many confirmations were sent."""
    with psycopg.connect(str(stack.database_url)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM orders WHERE order_id = ANY(%s::uuid[])", (order_ids,)
        ).fetchone()
    emails = captured_emails(stack.moto.mailbox())
    return (int(row[0]) if row else 0), min(len(emails), len(order_ids))


def show_results(stack: Stack, order_ids: list[str]) -> None:
    print("\n== PostgreSQL: orders")
    with psycopg.connect(str(stack.database_url)) as conn:
        rows = conn.execute(
            "SELECT order_id, customer_email, currency, total_amount, "
            "(SELECT count(*) FROM order_items i WHERE i.order_id = o.order_id) "
            "FROM orders o WHERE order_id = ANY(%s::uuid[]) ORDER BY created_at",
            (order_ids,),
        ).fetchall()
    for order_id, email, currency, total, items in rows:
        print(f"  {order_id}  {email:<28} {total:>10} {currency}  {items} item(s)")
    print("\n== DynamoDB: order read model")
    dynamodb = stack.moto.client("dynamodb")
    for order_id in order_ids:
        item = dynamodb.get_item(
            TableName=stack.env["STATE_TABLE"],
            Key={"pk": {"S": order_pk(uuid.UUID(order_id))}, "sk": {"S": ORDER_SK}},
        ).get("Item", {})
        print(f"  {order_id}  status={item.get('status', {}).get('S')}")
    print("\n== SES (captured by the emulator)")
    for email in captured_emails(stack.moto.mailbox()):
        print(f"  to={','.join(email.to)}  subject={email.subject!r}")


def run_exports(stack: Stack, token: str) -> None:
    """The main job: one export per format, followed to completion over REST."""
    with progress_bar(
        f"seeding {HISTORY_ORDERS:,} orders", length=seeded_rows(HISTORY_ORDERS)
    ) as bar:
        seed_orders(
            str(stack.database_url),
            tenant=DEMO_TENANT,
            count=HISTORY_ORDERS,
            start=HISTORY_START,
            progress=bar.to,
        )
    print(f"\n== Exports ({HISTORY_ORDERS:,} historical orders loaded, plus the new ones)")
    with httpx.Client(
        base_url=stack.producer_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as http:
        accepted = {
            export_format: _request_export(http, export_format, extra)
            for export_format, extra in EXPORT_REQUESTS.items()
        }
        finished = _wait_for_exports(http, accepted)
    for export_format, state in finished.items():
        rows, size = state["actualRowCount"], state["fileSizeBytes"]
        print(f"  {export_format.value:<4} {state['status']:<9} {rows:>5} rows {size:>9,} bytes")
        print(f"       download: {state.get('downloadUrl')}")
    print("\n== SES: export e-mails (captured by the emulator)")
    for email in captured_emails(stack.moto.mailbox()):
        if DEMO_EMAIL in email.to:
            print(f"  to={','.join(email.to)}  subject={email.subject!r}")


def _request_export(http: httpx.Client, export_format: ExportFormat, extra: dict[str, Any]) -> str:
    body: dict[str, Any] = {"resource": "orders", "format": export_format.value} | extra
    response = http.post("/api/v1/exports", json=body)
    print(f"POST /api/v1/exports ({export_format.value}) -> {response.status_code} {response.text}")
    response.raise_for_status()
    export_id: str = response.json()["exportId"]
    return export_id


def _wait_for_exports(
    http: httpx.Client, accepted: dict[ExportFormat, str]
) -> dict[ExportFormat, dict[str, Any]]:
    """Each export's last state once all have ended; the bar adds up their percentages."""
    deadline = time.monotonic() + DEMO_TIMEOUT_SECONDS
    with progress_bar(f"waiting for {len(accepted)} exports", length=100 * len(accepted)) as bar:
        while time.monotonic() < deadline:
            states = {
                export_format: http.get(f"/api/v1/exports/{export_id}").json()
                for export_format, export_id in accepted.items()
            }
            bar.to(sum(_percent_done(state) for state in states.values()))
            if all(JobStatus(state["status"]).is_terminal for state in states.values()):
                return states
            time.sleep(0.5)
    raise TimeoutError("the exports did not finish in time")


def _percent_done(state: dict[str, Any]) -> int:
    if JobStatus(state["status"]).is_terminal:
        return 100
    return int(state.get("progressPercentage") or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--once", action="store_true", help="stop after the demo")
    parser.add_argument("--port", type=int, default=8000, help="the producer's port")
    args = parser.parse_args()
    log_dir = Path(".devstack/logs").resolve()
    print(f"logs in {log_dir}")
    with contextlib.ExitStack() as running:
        with progress_bar("starting the stack", length=STARTUP_STEPS) as bar:
            stack = running.enter_context(
                Stack(producer_port=args.port, log_dir=log_dir, on_started=bar.to)
            )
        print(f"producer: {stack.producer_url}  (OpenAPI: {stack.producer_url}/schema)")
        print(f"moto:     {stack.moto.url}\npostgres: {stack.database_url}\n")
        token = mint_token(stack.env)
        order_ids = post_orders(stack, token)
        wait_for_pipeline(stack, order_ids)
        show_results(stack, order_ids)
        run_exports(stack, token)
        print("\n== env for your own requests")
        print(json.dumps({"TOKEN": token, "PRODUCER": stack.producer_url}, indent=2))
        if not args.once:
            stopped = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stopped.set())
            print("\nthe stack is running; Ctrl-C stops it")
            with contextlib.suppress(KeyboardInterrupt):
                stopped.wait()
        print("stopping ...")
    print("stopped")


if __name__ == "__main__":
    main()
