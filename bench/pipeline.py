"""The pipeline's throughput against raw SNS → SQS, on the same emulator in the same run.

    uv run python bench/pipeline.py [--messages 2000] [--concurrency 64] [--runs 1]

1. raw: `messages` OrderSubmitted envelopes published to the events topic from
   `concurrency` threads while as many threads as the processor has workers receive
   them from the processor's queue (its subscription: the same filter policy, raw
   delivery), ten a receive, and delete each receive's batch with DeleteMessageBatch;
   publishing and consuming run together, publishing at most WINDOW messages ahead,
   so the queue stays shallow (moto's SQS slows as a queue deepens);
2. conveyor: `messages` orders from POST to persisted row, the end-to-end phase of
   bench/orders.py, with the processor and notifier running as processes; posting,
   like the raw phase's publishing, runs at most WINDOW orders ahead of the persisted
   rows, so the processor's queue stays as shallow as the raw phase's.

Prints `pipeline: conveyor X orders/s, raw SNS→SQS Y msg/s, ratio Z (target >= 0.5)`
for each run. The machine is noisy: compare the ratios, not rates across runs.
"""

from __future__ import annotations

import argparse
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from conveyor_aws.publisher import EventPublisher
from conveyor_common.settings import WorkerConfig
from conveyor_devstack.demo import mint_token
from conveyor_devstack.stack import Stack
from orders import an_envelope, end_to_end, purge_queues

TARGET_RATIO = 0.5
RECEIVE_BATCH = 10
RECEIVE_WAIT_SECONDS = 1
# How far publishing may run ahead of deleting (raw), or posting ahead of the persisted
# rows (conveyor): the queue never holds more, as moto's SQS slows with every message a
# queue holds (receives and deletes scan them all).
WINDOW = 100
DRAIN_TIMEOUT_SECONDS = 900
WORKERS = ("processor", "notifier")


class Tally:
    """Messages deleted so far, shared by the consuming threads, and the publishers' window."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.deleted = 0
        self.done = threading.Event()
        self.window = threading.Semaphore(WINDOW)
        self._lock = threading.Lock()

    def add(self, count: int) -> None:
        with self._lock:
            self.deleted += count
            if self.deleted >= self.total:
                self.done.set()
        self.window.release(count)


def publish(stack: Stack, tally: Tally, *, messages: int, concurrency: int) -> None:
    sns = stack.moto.client("sns", max_connections=concurrency)
    publisher = EventPublisher(topic_arn=stack.env["EVENTS_TOPIC_ARN"], client=sns)
    issued = itertools.count()

    def loop(worker: int) -> None:
        while (number := next(issued)) < messages:
            tally.window.acquire()
            publisher.publish(an_envelope(f"raw-{worker}-{number}"))

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(loop, range(concurrency)))


def consume(sqs: Any, queue_url: str, tally: Tally, deadline: float) -> None:
    while not tally.done.is_set() and time.monotonic() < deadline:
        received = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=RECEIVE_BATCH,
            WaitTimeSeconds=RECEIVE_WAIT_SECONDS,
        ).get("Messages", [])
        if not received:
            continue
        entries = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(received)
        ]
        response = sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
        tally.add(len(response.get("Successful", [])))


def raw_sns_to_sqs(stack: Stack, *, messages: int, concurrency: int, threads: int) -> float:
    """Publish → receive → delete of `messages` envelopes; returns messages per second."""
    sqs = stack.moto.client("sqs", max_connections=threads)
    queue_url = sqs.get_queue_url(QueueName=stack.env["PROCESSOR_QUEUE"])["QueueUrl"]
    tally = Tally(messages)
    started = time.monotonic()
    deadline = started + DRAIN_TIMEOUT_SECONDS
    consumers = [
        threading.Thread(target=consume, args=(sqs, queue_url, tally, deadline))
        for _ in range(threads)
    ]
    for consumer in consumers:
        consumer.start()
    publish(stack, tally, messages=messages, concurrency=concurrency)
    for consumer in consumers:
        consumer.join()
    elapsed = time.monotonic() - started
    # A publish retried after a timeout may deliver twice: count each message once.
    rate = min(tally.deleted, messages) / elapsed
    print(
        f"raw   {messages} published, {tally.deleted} received and deleted "
        f"by {threads} threads in {elapsed:.1f} s: {rate:.1f} msg/s"
    )
    return rate


def one_run(stack: Stack, token: str, *, messages: int, concurrency: int, threads: int) -> None:
    for worker in WORKERS:
        if worker in stack.services:
            stack.services.pop(worker).stop()
    purge_queues(stack)
    raw = raw_sns_to_sqs(stack, messages=messages, concurrency=concurrency, threads=threads)
    purge_queues(stack)
    for worker in WORKERS:
        stack.start_service(worker)
    conveyor = end_to_end(stack, token, concurrency=concurrency, orders=messages, window=WINDOW)
    print(
        f"pipeline: conveyor {conveyor:.1f} orders/s, raw SNS→SQS {raw:.1f} msg/s, "
        f"ratio {conveyor / raw:.2f} (target >= {TARGET_RATIO})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    # The processor's own thread count, so that the raw consumers are as many.
    threads = WorkerConfig().worker_threads
    with Stack(log_dir=Path(".devstack/bench-logs").resolve()) as stack:
        token = mint_token(stack.env)
        print(f"{args.messages} messages, {args.concurrency} publishers, {threads} consumers")
        for _ in range(args.runs):
            one_run(
                stack,
                token,
                messages=args.messages,
                concurrency=args.concurrency,
                threads=threads,
            )


if __name__ == "__main__":
    main()
