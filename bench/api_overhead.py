"""The API's own cost: Conveyor's POST /api/v1/orders against a bare app, same server.

The target's figure, per request: the whole ASGI stack the producer serves (metrics,
correlation id, AWS budget, bearer JWT verification), reading the body, decoding and
normalising the order, the accepted-order record and the
OrderSubmitted envelope built and encoded, and the log lines; its publisher and state
table answer at once in the process (bench/instant_producer.py), so no AWS client is
measured. A second figure keeps boto3's client side: the real producer, whose
DynamoDB and SNS calls go to bench/instant_aws.py, which answers at once (signing,
sending and parsing are measured, AWS's latency is not). A third is the refused path
(422), with no AWS call at all. PostgreSQL is not on these paths. The bare app
(bench/bare_app.py) decodes the same body into a msgspec Struct and answers 202; all
are served by conveyor_producer.http.server.serve and loaded by the same wrk command.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conveyor_devstack.ports import LOOPBACK, free_port, wait_for_port
from conveyor_devstack.services import ServiceProcess
from conveyor_devstack.stack import Stack

TARGET_RATIO = 0.5
BENCH_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Load:
    """What every load of this phase sends: the same wrk settings for each app."""

    concurrency: int
    seconds: float
    body: dict[str, Any]


@dataclass(frozen=True)
class Rate:
    requests_per_second: float
    p99: str
    # Answers other than 2xx or 3xx: for an accepted-path load, requests not accepted.
    not_ok: int


def wrk_rate(url: str, load: Load, headers: dict[str, str]) -> Rate:
    """POST `load.body` to `url` for `load.seconds` at `load.concurrency` connections."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("the API overhead phase needs wrk: run scripts/bench-setup")
    lines = [f"wrk.method = 'POST'\nwrk.body = '{json.dumps(load.body)}'"]
    lines += [f"wrk.headers['{name}'] = '{value}'" for name, value in headers.items()]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write("\n".join(lines) + "\n")
        script.flush()
        command = [wrk, "-t2", f"-c{load.concurrency}", f"-d{load.seconds:.0f}s", "--latency"]
        output = subprocess.run(
            [*command, "-s", script.name, url], check=True, capture_output=True, text=True
        ).stdout
    found = {line.split(":")[0].strip(): line.split()[-1] for line in output.splitlines()}
    p99 = next(line.split()[-1] for line in output.splitlines() if line.strip().startswith("99%"))
    return Rate(
        requests_per_second=float(found["Requests/sec"]),
        p99=p99,
        not_ok=int(found.get("Non-2xx or 3xx responses", 0)),
    )


@contextmanager
def instant_aws() -> Iterator[str]:
    """bench/instant_aws.py on a loopback port: its endpoint URL while it runs."""
    port = free_port()
    process = subprocess.Popen([sys.executable, str(BENCH_DIR / "instant_aws.py"), str(port)])
    try:
        wait_for_port(port, timeout_seconds=10)
        yield f"http://{LOOPBACK}:{port}"
    finally:
        process.terminate()
        process.wait()


def bare_rate(stack: Stack, load: Load) -> Rate:
    port = free_port()
    command = [sys.executable, str(BENCH_DIR / "bare_app.py"), str(port)]
    bare = ServiceProcess("bare", "", env=stack.env, log_dir=stack.log_dir, command=command)
    bare.start()
    try:
        bare.wait_for_http(f"http://{LOOPBACK}:{port}/health")
        headers = {"Content-Type": "application/json"}
        return wrk_rate(f"http://{LOOPBACK}:{port}/orders", load, headers)
    finally:
        bare.stop()


@dataclass(frozen=True)
class ConveyorRates:
    # POST /api/v1/orders accepted (202), its publisher and state table answering in
    # the process (bench/instant_producer.py): the API's own cost.
    accepted: Rate
    # The same through boto3, against an endpoint that answers at once (instant_aws.py).
    accepted_boto3: Rate
    # Refused with 422 (the total does not add up): no AWS call.
    refused: Rate


def conveyor_rates(stack: Stack, load: Load, token: str) -> ConveyorRates:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    url = f"{stack.producer_url}/api/v1/orders"
    stack.services.pop("producer").stop()
    instant = ServiceProcess(
        "producer-instant",
        "",
        env=stack.env,
        log_dir=stack.log_dir,
        command=[sys.executable, str(BENCH_DIR / "instant_producer.py")],
    )
    instant.start()
    try:
        instant.wait_for_http(f"{stack.producer_url}/ready")
        accepted = wrk_rate(url, load, headers)
    finally:
        instant.stop()
    with instant_aws() as endpoint:
        endpoints = {"AWS_ENDPOINT_URL_SNS": endpoint, "AWS_ENDPOINT_URL_DYNAMODB": endpoint}
        stack.start_service("producer", env=endpoints)
        try:
            accepted_boto3 = wrk_rate(url, load, headers)
            refused = wrk_rate(url, Load(**vars(load) | {"body": invalid(load.body)}), headers)
        finally:
            stack.services.pop("producer").stop()
    stack.start_service("producer")
    return ConveyorRates(accepted, accepted_boto3, refused)


def invalid(body: dict[str, Any]) -> dict[str, Any]:
    return body | {"totalAmount": "1.00"}


def api_overhead(stack: Stack, token: str, load: Load) -> None:
    if shutil.which("wrk") is None:
        print("api overhead skipped: install wrk (apt-get install wrk): a Python client")
        print("      cannot load a bare app enough")
        return
    bare = bare_rate(stack, load)
    rates = conveyor_rates(stack, load, token)
    named = {
        "bare": bare,
        "conveyor": rates.accepted,
        "+ boto3": rates.accepted_boto3,
        "422": rates.refused,
    }
    for name, rate in named.items():
        print(
            f"      {name:<8} {rate.requests_per_second:8.0f} req/s  p99 {rate.p99:>8}"
            + (f"  ({rate.not_ok} answers not 2xx)" if rate.not_ok and name != "422" else "")
        )
    paths = {
        "conveyor": rates.accepted,
        "conveyor with boto3 (instant endpoint)": rates.accepted_boto3,
        "conveyor 422 path": rates.refused,
    }
    for path, rate in paths.items():
        print(
            f"api overhead: {path} {rate.requests_per_second:.0f} req/s, "
            f"bare {bare.requests_per_second:.0f} req/s, "
            f"ratio {rate.requests_per_second / bare.requests_per_second:.2f} "
            + (f"(target >= {TARGET_RATIO})" if path == "conveyor" else "(for reference)")
        )
