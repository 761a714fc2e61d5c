"""The notifier against moto server: SES, the DynamoDB ledger and a real SQS worker."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import dramatiq
import pytest

from conveyor_aws import clients
from conveyor_aws.broker.attributes import ERROR_ATTRIBUTE
from conveyor_aws.mail import SesSender
from conveyor_aws.publisher import EventPublisher
from conveyor_aws.resources import ResourceNames
from conveyor_aws.state_store import StateStore
from conveyor_common.envelope import Envelope, encode, wrap
from conveyor_common.events import OrderPersisted, OrderSubmitted, persisted_event_id
from conveyor_common.orders import Order, OrderItem
from conveyor_devstack.mailbox import CapturedEmail, captured_emails
from conveyor_devstack.moto_server import MotoServer
from conveyor_notifier.ledger import SENT, SentOnceLedger, ledger_key
from conveyor_notifier.orders.emails import ORDER_CONFIRMATION
from conveyor_notifier.send_once import Delivery, send_once
from conveyor_notifier.settings import NotifierSettings
from conveyor_notifier.worker import EMAIL_KINDS, build_broker

pytestmark = pytest.mark.integration

DEADLINE_SECONDS = 30
POLL_INTERVAL_SECONDS = 0.2


def _order(recipient: str) -> Order:
    price = Decimal("12.50")
    order = Order(
        order_id=uuid.uuid4(),
        tenant_id="tenant-int",
        customer_id="cust-int",
        customer_email=recipient,
        customer_name="Integration Tester",
        currency="USD",
        items=(
            OrderItem(
                sku="INT-1", name="Gadget", quantity=3, unit_price=price, line_total=price * 3
            ),
        ),
        total_amount=price * 3,
        submitted_at=datetime.now(UTC),
    )
    return order


def _order_envelope(recipient: str) -> Envelope[OrderPersisted]:
    """The processor's announcement that the order is stored: what is confirmed."""
    order = _order(recipient)
    return wrap(
        OrderPersisted(order=order),
        tenant_id="tenant-int",
        correlation_id="corr-int",
        event_id=persisted_event_id(order.order_id),
    )


def emails_to(moto_server: MotoServer, recipient: str) -> list[CapturedEmail]:
    """The e-mails moto's SES accepted for this recipient."""
    return [m for m in captured_emails(moto_server.mailbox()) if recipient in m.to]


def unique_recipient() -> str:
    return f"notifier-{uuid.uuid4().hex}@example.com"


@contextmanager
def running_worker(settings: NotifierSettings) -> Iterator[None]:
    """A notifier worker consuming its queue over the SQS wire protocol, in this process."""
    worker = dramatiq.Worker(
        build_broker(settings), queues={settings.notifier_queue}, worker_threads=2
    )
    worker.start()
    try:
        yield
    finally:
        worker.stop()


def wait_until(condition: Callable[[], bool], *, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {DEADLINE_SECONDS} s waiting for {what}")
        time.sleep(POLL_INTERVAL_SECONDS)


def queue_depth(queue_name: str) -> int:
    sqs = clients.sqs()
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return sum(int(count) for count in attributes.values())


def test_confirmation_is_sent_through_ses_and_recorded(
    aws: dict[str, str], moto_server: MotoServer
) -> None:
    # given an OrderPersisted event for a customer no other test mails
    recipient = unique_recipient()
    envelope = _order_envelope(recipient)
    store = StateStore(table=aws["STATE_TABLE"])

    # when the notifier handles it with the real SES sender
    delivery = send_once(
        envelope,
        kinds=EMAIL_KINDS,
        ledger=SentOnceLedger(store=store),
        mailer=SesSender(sender=aws["SES_SENDER"]),
    )

    # then SES holds one e-mail with the confirmation subject, and the ledger its message id
    assert delivery is Delivery.SENT
    [email] = emails_to(moto_server, recipient)
    assert email.subject == f"Order {envelope.payload.order.order_id} confirmed"
    assert email.source == aws["SES_SENDER"]
    record = store.get(*ledger_key(envelope.event_id, ORDER_CONFIRMATION))
    assert record is not None
    assert record["status"] == SENT
    assert record["ses_message_id"] == email.id


def test_only_one_of_two_concurrent_claims_wins(aws: dict[str, str]) -> None:
    # given two workers holding the same event
    ledger = SentOnceLedger(store=StateStore(table=aws["STATE_TABLE"]))
    event_id = uuid.uuid4()
    both_ready = threading.Barrier(2)

    def claim() -> bool:
        both_ready.wait()
        return ledger.claim(event_id, ORDER_CONFIRMATION) is not None

    # when both claim its e-mail at once
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [future.result() for future in [pool.submit(claim), pool.submit(claim)]]

    # then exactly one may send, and a released claim can be taken again
    assert sorted(results) == [False, True]
    ledger.release(event_id, ORDER_CONFIRMATION)
    assert ledger.claim(event_id, ORDER_CONFIRMATION) is not None


def test_worker_sends_one_email_for_a_redelivered_event(
    aws: dict[str, str], moto_server: MotoServer
) -> None:
    # given a notifier worker consuming its queue over the SQS wire protocol
    settings = NotifierSettings(skip_ses=False)
    publisher = EventPublisher(topic_arn=aws["EVENTS_TOPIC_ARN"])
    recipient = unique_recipient()
    envelope = _order_envelope(recipient)
    with running_worker(settings):
        # when the event is published to the topic
        publisher.publish(envelope)

        # then the confirmation reaches SES
        wait_until(lambda: len(emails_to(moto_server, recipient)) >= 1, what="the e-mail")

        # when the same event is published again and the worker has drained the queue
        publisher.publish(envelope)
        wait_until(lambda: queue_depth(settings.notifier_queue) == 0, what="the queue to drain")

        # then the customer still has exactly one e-mail and nothing went to the DLQ
        assert len(emails_to(moto_server, recipient)) == 1
        assert queue_depth(ResourceNames().dead_letter_queue("notifier")) == 0


def test_a_submitted_order_is_not_confirmed_until_it_is_persisted(
    aws: dict[str, str], moto_server: MotoServer
) -> None:
    # given a running notifier and a customer's order
    settings = NotifierSettings(skip_ses=False)
    publisher = EventPublisher(topic_arn=aws["EVENTS_TOPIC_ARN"])
    recipient = unique_recipient()
    order = _order(recipient)
    submitted = wrap(OrderSubmitted(order=order), tenant_id="tenant-int", correlation_id="c")
    sqs = clients.sqs()
    notifier_queue = sqs.get_queue_url(QueueName=settings.notifier_queue)["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName=ResourceNames().dead_letter_queue("notifier"))["QueueUrl"]
    with running_worker(settings):
        # when only OrderSubmitted exists, published to the topic and, as a stray copy,
        # sent straight to the notifier's queue
        publisher.publish(submitted)
        sqs.send_message(QueueUrl=notifier_queue, MessageBody=encode(submitted).decode())

        # then the stray copy is parked with its reason and no e-mail goes out
        def parked() -> list[dict[str, Any]]:
            response = sqs.receive_message(
                QueueUrl=dlq, WaitTimeSeconds=1, MessageAttributeNames=["All"]
            )
            return [dict(message) for message in response.get("Messages", [])]

        [dead] = wait_for(parked, what="the stray OrderSubmitted in the DLQ")
        reason = dead["MessageAttributes"][ERROR_ATTRIBUTE]["StringValue"]
        assert reason == "undeliverable: no handler for event type 'OrderSubmitted'"
        wait_until(lambda: queue_depth(settings.notifier_queue) == 0, what="the queue to drain")
        assert emails_to(moto_server, recipient) == []

        # when the processor announces the order as stored
        publisher.publish(
            wrap(
                OrderPersisted(order=order),
                tenant_id="tenant-int",
                correlation_id="c",
                event_id=persisted_event_id(order.order_id),
            )
        )

        # then exactly one confirmation goes out
        wait_until(lambda: len(emails_to(moto_server, recipient)) >= 1, what="the e-mail")
        wait_until(lambda: queue_depth(settings.notifier_queue) == 0, what="the queue to drain")
        [email] = emails_to(moto_server, recipient)
        assert email.subject == f"Order {order.order_id} confirmed"


def wait_for(probe: Callable[[], list[dict[str, Any]]], *, what: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def arrived() -> bool:
        found.extend(probe())
        return bool(found)

    wait_until(arrived, what=what)
    return found
