"""The processor against real PostgreSQL and the moto server over its wire protocols."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import dramatiq
import msgspec
import psycopg
import pytest
from sqlalchemy import Engine

from conveyor_aws import clients
from conveyor_aws.broker.attributes import ERROR_ATTRIBUTE
from conveyor_aws.order_items import OrderItems
from conveyor_aws.publisher import EventPublisher
from conveyor_aws.resources import ResourceNames
from conveyor_aws.state_store import StateStore
from conveyor_common.envelope import Envelope, decode, encode, wrap
from conveyor_common.events import OrderPersisted, OrderSubmitted, persisted_event_id
from conveyor_common.orders import Order, OrderItemRequest, OrderRequest, normalise_order
from conveyor_devstack.postgres import TempPostgres
from conveyor_processor.composition import UseCases, order_use_case
from conveyor_processor.db import build_engine
from conveyor_processor.orders.persist import handle_order_submitted
from conveyor_processor.orders.ports import OrderRepository
from conveyor_processor.orders.repository import EventReused, SqlOrderRepository
from conveyor_processor.settings import ProcessorSettings
from conveyor_processor.worker import actor_table, build_broker

pytestmark = pytest.mark.integration

TENANT = "tenant-int"
DELIVERY_TIMEOUT_SECONDS = 30
DEAD_LETTER_TIMEOUT_SECONDS = 30
POLL_INTERVAL_SECONDS = 0.2
# The first attempt and 2 retries: what the old policy allowed before the DLQ.
OLD_ATTEMPTS_BEFORE_DLQ = 3
# Racing duplicates collide on either unique index only some of the time: race often.
RACE_ROUNDS = 50

NAMES = ResourceNames()


# --- helpers ---------------------------------------------------------------------------------


def an_order() -> Order:
    request = OrderRequest(
        customer_id="cust-9",
        customer_email="grace@example.com",
        customer_name="Grace",
        currency="usd",
        items=[
            OrderItemRequest(sku="SKU-1", quantity=3, unit_price=Decimal("19.99"), name="Mug"),
            OrderItemRequest(sku="SKU-2", quantity=1, unit_price=Decimal("0.05")),
        ],
    )
    return normalise_order(
        request,
        order_id=uuid.uuid4(),
        tenant_id=TENANT,
        submitted_at=datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC),
    )


def an_envelope(order: Order) -> Envelope:
    return wrap(OrderSubmitted(order=order), tenant_id=TENANT, correlation_id=str(uuid.uuid4()))


def wait_until(condition: Callable[[], bool], *, timeout_seconds: float, what: str) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_seconds} s waiting for {what}")
        time.sleep(POLL_INTERVAL_SECONDS)


def query(database_url: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as connection:
        return connection.execute(statement, params).fetchall()


def order_count(database_url: str, order_id: uuid.UUID) -> int:
    rows = query(database_url, "SELECT count(*) FROM orders WHERE order_id = %s", order_id)
    count: int = rows[0][0]
    return count


def queue_url(name: str) -> str:
    return clients.sqs().get_queue_url(QueueName=name)["QueueUrl"]


def queue_is_drained(name: str) -> bool:
    """Nothing waiting, in flight or delayed: every message was acked or dead-lettered."""
    attributes = clients.sqs().get_queue_attributes(
        QueueUrl=queue_url(name),
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return all(int(count) == 0 for count in attributes.values())


def notifier_envelopes(expected: int) -> list[Envelope]:
    """Receive and delete `expected` envelopes from the notifier's queue, then check
    nothing else is there."""
    url = queue_url(NAMES.queue("notifier"))
    envelopes: list[Envelope] = []

    def all_arrived() -> bool:
        response = clients.sqs().receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        for message in response.get("Messages", []):
            envelopes.append(decode(message["Body"]))
            clients.sqs().delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(envelopes) >= expected

    wait_until(all_arrived, timeout_seconds=DELIVERY_TIMEOUT_SECONDS, what="OrderPersisted")
    assert queue_is_drained(NAMES.queue("notifier"))
    return envelopes


def collect_dead_letters(expected: int) -> list[dict[str, Any]]:
    """Receive (and hide) dead letters until `expected` arrived; each one is kept once."""
    url = queue_url(NAMES.dead_letter_queue("processor"))
    received: dict[str, dict[str, Any]] = {}

    def all_arrived() -> bool:
        response = clients.sqs().receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            VisibilityTimeout=DEAD_LETTER_TIMEOUT_SECONDS * 2,
            MessageAttributeNames=["All"],
            AttributeNames=["ApproximateReceiveCount"],
        )
        for message in response.get("Messages", []):
            received[message["MessageId"]] = dict(message)
        return len(received) >= expected

    wait_until(all_arrived, timeout_seconds=DEAD_LETTER_TIMEOUT_SECONDS, what="dead letters")
    return list(received.values())


def order_broker(
    settings: ProcessorSettings,
    *,
    orders: OrderRepository,
    read_model: OrderItems,
    events: EventPublisher,
) -> dramatiq.Broker:
    """The processor's broker with the order actor only."""
    handle = order_use_case(orders=orders, read_model=read_model, events=events)
    return build_broker(settings, actor_table(UseCases(orders=handle)))


@contextmanager
def running(broker: dramatiq.Broker, queue: str) -> Iterator[None]:
    worker = dramatiq.Worker(broker, queues={queue}, worker_threads=2)
    worker.start()
    try:
        yield
    finally:
        worker.stop()


class CountingRepository(SqlOrderRepository):
    """The real repository, counting the attempts to store an order."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.attempts = 0

    def save_order(self, order: Order, *, event_id: uuid.UUID, correlation_id: str) -> bool:
        self.attempts += 1
        return super().save_order(order, event_id=event_id, correlation_id=correlation_id)


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def engine(db: str) -> Iterator[Engine]:
    engine = build_engine(db)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(aws: dict[str, str], db: str) -> ProcessorSettings:
    return ProcessorSettings(
        database_url=db,
        state_table=aws["STATE_TABLE"],
        events_topic_arn=aws["EVENTS_TOPIC_ARN"],
        processor_queue=aws["PROCESSOR_QUEUE"],
        public_api_url="http://api.test",
    )


@pytest.fixture
def read_model(aws: dict[str, str]) -> OrderItems:
    return OrderItems(StateStore(table=aws["STATE_TABLE"]))


@pytest.fixture
def publisher(aws: dict[str, str]) -> EventPublisher:
    return EventPublisher(topic_arn=aws["EVENTS_TOPIC_ARN"])


# --- repository ------------------------------------------------------------------------------


def test_an_order_saved_twice_is_stored_once_with_its_items(engine: Engine, db: str) -> None:
    # given
    order = an_order()
    event_id = uuid.uuid4()
    repository = SqlOrderRepository(engine)

    # when
    first = repository.save_order(order, event_id=event_id, correlation_id="corr-a")
    second = repository.save_order(order, event_id=event_id, correlation_id="corr-a")

    # then
    assert (first, second) == (True, False)
    orders = query(
        db,
        "SELECT tenant_id, customer_id, customer_email, customer_name, currency, total_amount,"
        " status, created_at, event_id, correlation_id, persisted_at IS NOT NULL FROM orders",
    )
    submitted_at = datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC)
    grace = ("cust-9", "grace@example.com", "Grace", "USD", Decimal("60.02"))
    assert orders == [(TENANT, *grace, "PERSISTED", submitted_at, event_id, "corr-a", True)]
    items = query(
        db,
        "SELECT order_id, line_no, sku, name, quantity, unit_price, line_total"
        " FROM order_items ORDER BY line_no",
    )
    assert items == [
        (order.order_id, 1, "SKU-1", "Mug", 3, Decimal("19.99"), Decimal("59.97")),
        (order.order_id, 2, "SKU-2", None, 1, Decimal("0.05"), Decimal("0.05")),
    ]


def test_concurrent_saves_of_one_order_insert_it_exactly_once(engine: Engine, db: str) -> None:
    # given deliveries of the same event racing each other, round after round
    repository = SqlOrderRepository(engine)
    orders = [an_order() for _ in range(RACE_ROUNDS)]
    outcomes: list[list[bool]] = []

    def race(order: Order) -> list[bool]:
        event_id = uuid.uuid4()
        start = threading.Barrier(2)
        results: list[bool] = []

        def deliver() -> None:
            start.wait()
            results.append(repository.save_order(order, event_id=event_id, correlation_id="c"))

        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    # when
    for order in orders:
        outcomes.append(sorted(race(order)))

    # then every race had one winner, no failure, and left one order with its items
    assert outcomes == [[False, True]] * RACE_ROUNDS
    assert query(db, "SELECT count(*) FROM orders") == [(RACE_ROUNDS,)]
    assert query(db, "SELECT count(*) FROM order_items") == [
        (sum(len(order.items) for order in orders),)
    ]


def test_an_event_id_reused_for_another_order_is_refused(engine: Engine, db: str) -> None:
    # given an order stored under an event id
    repository = SqlOrderRepository(engine)
    event_id = uuid.uuid4()
    repository.save_order(an_order(), event_id=event_id, correlation_id="c")
    other = an_order()

    # when another order arrives under the same event id
    with pytest.raises(EventReused):
        repository.save_order(other, event_id=event_id, correlation_id="c")

    # then it is not stored
    assert order_count(db, other.order_id) == 0


# --- handler ---------------------------------------------------------------------------------


def test_the_handler_writes_the_order_and_its_read_model(
    engine: Engine,
    db: str,
    read_model: OrderItems,
    publisher: EventPublisher,
    aws: dict[str, str],
) -> None:
    # given
    order = an_order()
    envelope = an_envelope(order)

    # when
    handle_order_submitted(
        envelope, orders=SqlOrderRepository(engine), read_model=read_model, events=publisher
    )

    # then
    assert order_count(db, order.order_id) == 1
    item = StateStore(table=aws["STATE_TABLE"]).get(f"ORDER#{order.order_id}", "ORDER")
    assert item is not None
    assert (item["tenant_id"], item["status"]) == (TENANT, "PERSISTED")
    assert msgspec.convert(item["order"], Order, strict=False) == order
    assert datetime.fromisoformat(item["persisted_at"]) >= order.submitted_at


def test_each_delivery_announces_the_stored_order_with_one_deterministic_event_id(
    engine: Engine, db: str, read_model: OrderItems, publisher: EventPublisher
) -> None:
    # given an order submitted once
    order = an_order()
    envelope = an_envelope(order)
    orders = SqlOrderRepository(engine)

    # when its event is handled
    handle_order_submitted(envelope, orders=orders, read_model=read_model, events=publisher)

    # then the notifier's queue holds one OrderPersisted for it, with the order's event id
    [announced] = notifier_envelopes(expected=1)
    assert announced.event_id == persisted_event_id(order.order_id)
    assert isinstance(announced.payload, OrderPersisted)
    assert announced.payload.order == order
    assert announced.correlation_id == envelope.correlation_id

    # when the same event is delivered again (a crash may have hit before the publish)
    handle_order_submitted(envelope, orders=orders, read_model=read_model, events=publisher)

    # then it is announced again under the same id, which the notifier sends once for
    [again] = notifier_envelopes(expected=1)
    assert again.event_id == announced.event_id
    assert order_count(db, order.order_id) == 1


# --- worker ----------------------------------------------------------------------------------


def test_the_worker_persists_a_published_order_once_whatever_the_deliveries(
    settings: ProcessorSettings,
    engine: Engine,
    db: str,
    read_model: OrderItems,
    publisher: EventPublisher,
) -> None:
    # given a running worker and an order published through SNS
    order = an_order()
    envelope = an_envelope(order)
    broker = order_broker(
        settings, orders=SqlOrderRepository(engine), read_model=read_model, events=publisher
    )
    with running(broker, settings.processor_queue):
        publisher.publish(envelope)
        wait_until(
            lambda: order_count(db, order.order_id) == 1,
            timeout_seconds=DELIVERY_TIMEOUT_SECONDS,
            what="the order row",
        )

        # when the same envelope is delivered again
        publisher.publish(envelope)
        wait_until(
            lambda: queue_is_drained(settings.processor_queue),
            timeout_seconds=DELIVERY_TIMEOUT_SECONDS,
            what="the redelivery to be handled",
        )

    # then there is still one order, and nothing was dead-lettered
    assert order_count(db, order.order_id) == 1
    assert query(db, "SELECT count(*) FROM order_items") == [(len(order.items),)]
    assert queue_is_drained(NAMES.dead_letter_queue("processor"))


def test_undeliverable_messages_reach_the_dead_letter_queue(
    settings: ProcessorSettings, engine: Engine, read_model: OrderItems, publisher: EventPublisher
) -> None:
    # given a running worker
    unknown_type = json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": "NoSuchEvent",
            "schema_version": 1,
            "occurred_at": "2025-01-01T00:00:00Z",
            "correlation_id": "corr-poison",
            "tenant_id": TENANT,
            "payload": {},
        }
    )
    bodies = {"this is not json {", unknown_type}
    broker = order_broker(
        settings, orders=SqlOrderRepository(engine), read_model=read_model, events=publisher
    )
    with running(broker, settings.processor_queue):
        # when bodies no actor can take are sent straight to the queue
        for body in bodies:
            clients.sqs().send_message(
                QueueUrl=queue_url(settings.processor_queue), MessageBody=body
            )

        # then the worker parks each in the DLQ at once, saying why
        dead = collect_dead_letters(len(bodies))

    assert {message["Body"] for message in dead} == bodies
    reasons = {
        message["Body"]: message["MessageAttributes"][ERROR_ATTRIBUTE]["StringValue"]
        for message in dead
    }
    assert reasons["this is not json {"].startswith("undeliverable: not an event envelope")
    assert reasons[unknown_type] == "undeliverable: unknown event type 'NoSuchEvent'"
    # parked on its first receive, not left for SQS redrive after MAX_RECEIVE_COUNT
    assert all(int(message["Attributes"]["ApproximateReceiveCount"]) == 1 for message in dead)
    assert queue_is_drained(settings.processor_queue)


def test_an_order_that_cannot_succeed_goes_to_the_dead_letter_queue_at_once_with_its_reason(
    settings: ProcessorSettings,
    engine: Engine,
    db: str,
    read_model: OrderItems,
    publisher: EventPublisher,
) -> None:
    # given an event id already stored with one order, reused for another (a broken producer)
    repository = SqlOrderRepository(engine)
    event_id = uuid.uuid4()
    repository.save_order(an_order(), event_id=event_id, correlation_id="c")
    other = an_order()
    envelope = wrap(
        OrderSubmitted(order=other), tenant_id=TENANT, correlation_id="reuse", event_id=event_id
    )
    broker = order_broker(settings, orders=repository, read_model=read_model, events=publisher)
    with running(broker, settings.processor_queue):
        # when it is delivered
        publisher.publish(envelope)
        dead = collect_dead_letters(1)
        wait_until(
            lambda: queue_is_drained(settings.processor_queue),
            timeout_seconds=DELIVERY_TIMEOUT_SECONDS,
            what="the queue to drain",
        )

    # then it is parked as it was published, with why, after one attempt
    assert [message["Body"] for message in dead] == [encode(envelope).decode()]
    reason = dead[0]["MessageAttributes"][ERROR_ATTRIBUTE]["StringValue"]
    assert reason.startswith("permanent: EventReused: event ")
    assert order_count(db, other.order_id) == 0


def assert_pending_and_retried(
    order: Order, *, store: StateStore, orders: CountingRepository
) -> None:
    """During an outage: the read model says the order is waiting, and why, and the
    delivery is retried past the point where it used to be dead-lettered."""
    wait_until(
        lambda: (store.get(f"ORDER#{order.order_id}", "ORDER") or {}).get("status") == "PENDING",
        timeout_seconds=DELIVERY_TIMEOUT_SECONDS,
        what="the order marked PENDING",
    )
    pending = store.get(f"ORDER#{order.order_id}", "ORDER")
    assert pending is not None
    assert pending["last_error"] == "the database is unavailable (OperationalError); retrying"
    wait_until(
        lambda: orders.attempts > OLD_ATTEMPTS_BEFORE_DLQ,
        timeout_seconds=DELIVERY_TIMEOUT_SECONDS,
        what="more attempts than the old policy allowed",
    )
    assert queue_is_drained(NAMES.dead_letter_queue("processor"))


def wait_until_stored(db: str, order: Order, *, queue: str) -> None:
    wait_until(
        lambda: order_count(db, order.order_id) == 1,
        timeout_seconds=DELIVERY_TIMEOUT_SECONDS,
        what="the order row after the outage",
    )
    wait_until(
        lambda: queue_is_drained(queue),
        timeout_seconds=DELIVERY_TIMEOUT_SECONDS,
        what="the queue to drain",
    )


def test_a_database_outage_is_retried_until_it_ends_and_nothing_is_dead_lettered(
    settings: ProcessorSettings,
    engine: Engine,
    db: str,
    read_model: OrderItems,
    publisher: EventPublisher,
    postgres: TempPostgres | None,
    aws: dict[str, str],
) -> None:
    if postgres is None:
        pytest.skip("the database is no local cluster of the tests (DATABASE_URL or a container)")
    # given a worker whose PostgreSQL is stopped
    order = an_order()
    store = StateStore(table=aws["STATE_TABLE"])
    orders = CountingRepository(engine)
    broker = order_broker(settings, orders=orders, read_model=read_model, events=publisher)
    with running(broker, settings.processor_queue):
        postgres.stop_server()
        try:
            # when an order arrives during the outage
            publisher.publish(an_envelope(order))

            # then it waits, PENDING, and is retried past where it used to be dead-lettered
            assert_pending_and_retried(order, store=store, orders=orders)
        finally:
            postgres.start_server()

        # when the database is back, the retry stores it and announces it
        wait_until_stored(db, order, queue=settings.processor_queue)

    # then it is PERSISTED, confirmed once, and nothing went to the DLQ
    persisted = store.get(f"ORDER#{order.order_id}", "ORDER")
    assert persisted is not None
    assert persisted["status"] == "PERSISTED"
    assert [e.event_id for e in notifier_envelopes(expected=1)] == [
        persisted_event_id(order.order_id)
    ]
    assert queue_is_drained(NAMES.dead_letter_queue("processor"))
